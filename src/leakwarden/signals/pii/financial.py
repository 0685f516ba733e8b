"""Payment data: credit cards (Luhn + issuer prefix) and IBANs (mod 97, country length)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from stdnum import iban, luhn, numdb

from leakwarden.signals.pii import context as cues
from leakwarden.signals.pii import ids
from leakwarden.signals.pii.scan import NA, Candidate, Scan, consistent, lead

#: A separator between digit groups: hyphen or space (one kind per number), or a line break where
#: the number wrapped.
_CSEP = r"((?:[- ]\n?|\n)?)"
_CARD = re.compile(
    lead(r"\d") + rf"\d{{3}}(?:{_CSEP}\d{{4}}{_CSEP}\d{{4}}{_CSEP}\d{{1,7}}|{_CSEP}\d{{6}}{_CSEP}\d{{4,5}})" + NA
)
_CARD_MASKED = re.compile(r"(?=[Xx*•])(?<![\w*•])(?:[Xx*•]{4}([- ]?)){3}\d{4}" + NA)


def issuer(digits: str) -> str | None:
    """The card network for a PAN's prefix and length, or None if no network issues it."""
    n, p2, p4 = len(digits), int(digits[:2]), int(digits[:4])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (p4 == 6011 or p2 == 65 or 644 <= int(digits[:3]) <= 649) and n in (16, 19):
        return "discover"
    if 3528 <= p4 <= 3589 and n in (16, 19):
        return "jcb"
    if (300 <= int(digits[:3]) <= 305 or p2 in (36, 38)) and n == 14:
        return "diners"
    if digits[:2] in ("50", "56", "57", "58", "63", "67") and 16 <= n <= 19:
        return "maestro"
    return None


_NOT_DIGIT = re.compile(r"\D")
_CARD_RUNS = frozenset({4, 13, 14, 15, 16, 17, 18, 19})


def credit_card(scan: Scan) -> Iterator[Candidate]:
    if not scan.runs & _CARD_RUNS:
        return
    text = scan.text
    for m in _CARD.finditer(text):
        if not (consistent(m[1], m[2], m[3]) if m[4] is None else consistent(m[4], m[5])):
            continue
        digits = _NOT_DIGIT.sub("", m[0])
        network = issuer(digits)
        if network is None or not luhn.is_valid(digits):
            continue
        if network == "diners" and ids.eg_id_is_valid(digits):
            continue  # an Egyptian national ID is also 14 digits starting with 2 or 3
        cue = cues.last_cue(cues.CARD_CUES, text, m.start(), 50)
        if cue:
            yield Candidate("CREDIT_CARD", m.start(), m.end(), 0.99, f"keyword: {cue[0]} + {network} luhn")
        else:
            conf = 0.6 if network == "diners" else 0.9
            yield Candidate("CREDIT_CARD", m.start(), m.end(), conf, f"{network} prefix + luhn")
    for m in _CARD_MASKED.finditer(text):
        cue = cues.last_cue(cues.CARD_CUES, text, m.start(), 50)
        yield Candidate("CREDIT_CARD", m.start(), m.end(), 0.9 if cue else 0.7,
                        f"keyword: {cue[0]}" if cue else "format: masked card", masked=True)


#: Country code and check digits, then letters and digits in groups of any size (or none),
#: separated by single spaces, hyphens or a line break, in either case: as IBANs are typed, and
#: as PDF and OCR text renders them. The country's IBAN length decides where the value ends.
_IBAN = re.compile(
    r"[A-Za-z](?<![A-Za-z0-9][A-Za-z])[A-Za-z]\d ?\d(?:(?:[ -]\n?|\n)?[A-Za-z0-9]){10,32}"
)
#: A digit right after two letters: where an IBAN's check digits start. Digit-first, so the regex
#: engine skips quickly through prose to the few candidates.
_IBAN_START = re.compile(r"\d(?<=[A-Za-z][A-Za-z]\d)")
_STRUCT_LENGTH = re.compile(r"(\d+)!?[nac]")


@lru_cache(maxsize=256)
def iban_length(country: str) -> int | None:
    """The length of an IBAN of ``country`` (two upper-case letters), from python-stdnum's registry."""
    info = numdb.get("iban").info(country + "00")
    if not info or not info[0][1].get("bban"):
        return None
    return 4 + sum(int(n) for n in _STRUCT_LENGTH.findall(info[0][1]["bban"]))


def iban_code(scan: Scan) -> Iterator[Candidate]:
    if scan.digits < 10:
        return
    text = scan.text
    for hit in _IBAN_START.finditer(text):
        m = _IBAN.match(text, hit.start() - 2)
        if m is None:
            continue
        length = iban_length(m[0][:2].upper())
        if length is None:
            continue
        # Take exactly the country's number of letters and digits: the pattern may have run on
        # into the next word.
        count, end = 0, m.start()
        for end in range(m.start(), m.end()):
            if text[end].isalnum():
                count += 1
                if count == length:
                    break
        if count < length or (end + 1 < len(text) and text[end + 1].isalnum()):
            continue
        value = text[m.start() : end + 1]
        compact = "".join(ch for ch in value if ch.isalnum()).upper()
        if not iban.is_valid(compact):
            continue
        regular = value.isupper() or (value.replace(" ", "").isalnum() and value[:2].isupper())
        if regular and "\n" not in value:
            yield Candidate("IBAN", m.start(), end + 1, 0.97, "mod 97 + country length")
        else:
            yield Candidate("IBAN", m.start(), end + 1, 0.93, "mod 97 + country length (irregular form)")
