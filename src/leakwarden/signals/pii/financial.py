"""Payment data: credit cards (Luhn + issuer prefix) and IBANs (ISO 13616: the registry's length
and format for the country, mod 97; python-stdnum's national check digits where it has them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from stdnum import iban, luhn, numdb
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.util import get_cc_module

from leakwarden.signals.pii import context as cues
from leakwarden.signals.pii import ids
from leakwarden.signals.pii.scan import Candidate, Scan, consistent

#: A separator between digit groups: hyphen or space (one kind per number), or a line break where
#: the number wrapped.
_CSEP = r"((?:[- ]\n?|\n)?)"
#: No letter or digit on either side. Digit groups next to the number are judged in code
#: (:func:`stands_alone`): an expiry date or a second card beside a card is common in a leak.
_CARD = re.compile(
    r"\d(?<![0-9A-Za-z]\d)"
    + rf"\d{{3}}(?:{_CSEP}\d{{4}}{_CSEP}\d{{4}}{_CSEP}\d{{1,7}}|{_CSEP}\d{{6}}{_CSEP}\d{{4,5}})(?![0-9A-Za-z])"
)
#: A card with all but its last four digits masked (``**** **** **** 4242``, ``XXXXXXXXXXXX4242``).
_M = "[Xx*•]"
_CARD_MASKED = re.compile(
    rf"(?=[Xx*•])(?<![\w*•]){_M}{{4}}([- ]?){_M}{{4}}\1{_M}{{4}}\1\d{{4}}(?![0-9A-Za-z])"
)
#: ... or with the first four to six digits showing too, as PCI DSS truncation allows
#: (``4111 **** **** 1111``, ``411111******1111``, ``4111-11XX-XXXX-1111``).
_CARD_TRUNCATED = re.compile(
    rf"\d(?<![\w*•]\d)\d{{3}}([- ]?)(?:\d{{2}}{_M}{{2}}|\d{_M}{{3}}|{_M}{{4}})\1{_M}{{4}}\1\d{{4}}(?![0-9A-Za-z])"
)
#: Where a masked card can be: a run of mask characters (with separators) up to four digits. Only
#: these places are tried: the scan starts at the few mask characters in a text.
_MASK_TAIL = re.compile(r"(?=[Xx*•])(?<![Xx*•])[Xx*•][Xx*• -]{4,14}\d{4}(?![0-9A-Za-z])")


def _masked_cards(text: str) -> Iterator[re.Match[str]]:
    for tail in _MASK_TAIL.finditer(text):
        start = tail.start()
        m = _CARD_MASKED.match(text, start)
        for head in range(max(0, start - 7), start):
            if m is not None:
                break
            if text[head].isdigit():
                m = _CARD_TRUNCATED.match(text, head)
        if m is not None:
            yield m


def stands_alone(text: str, start: int, end: int, sep: str) -> bool:
    """Whether the number at ``text[start:end]``, whose digit groups are joined by ``sep`` (empty
    if none), is a whole number and not part of a longer one.

    A digit group just before or after it, joined by the same separator, continues the number
    (``4111 1111 1111 1111 1234`` is a 20-digit number, not a card), unless that group belongs to
    a value whose digits are joined another way: a date, a time, a differently grouped number
    (``... 1111 12/27``, ``09/27 4111 ...``). A group joined another way is a separate value
    (``4929526018159081 11/28``, ``5425-3016-6131-8608 4929 5260 ...``).
    """
    sep = sep.replace("\n", "")
    n = len(text)
    if end + 1 < n and text[end] == sep and text[end + 1].isdigit():
        after = end + 1
        while after < n and text[after].isdigit():
            after += 1
        if not _joins_other(text, after, after + 1, sep):
            return False
    if start >= 2 and text[start - 1] == sep and text[start - 2].isdigit():
        before = start - 2
        while before >= 0 and text[before].isdigit():
            before -= 1
        if not _joins_other(text, before, before - 1, sep):
            return False
    return True


def _joins_other(text: str, at: int, beyond: int, sep: str) -> bool:
    """Whether ``text[at]`` joins a neighbouring digit group to more digits with a separator
    other than ``sep``: the group then belongs to another value."""
    return (0 <= at < len(text) and text[at] in "-./:" and text[at] != sep
            and 0 <= beyond < len(text) and text[beyond].isdigit())


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
        seps = (m[1], m[2], m[3]) if m[4] is None else (m[4], m[5])
        if not consistent(*seps) or not stands_alone(text, m.start(), m.end(), next((s for s in seps if s), "")):
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
    if "****" not in text and "••••" not in text and "xxxx" not in scan.lower:
        return
    for m in _masked_cards(text):
        if not stands_alone(text, m.start(), m.end(), m[1]):
            continue
        # Never a full card: at most the first six and last four digits show, so it is a masked
        # (redacted) finding, whatever the digits are.
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
        checked = iban_checks(compact)
        if checked is None:
            continue
        regular = value.isupper() or (value.replace(" ", "").isalnum() and value[:2].isupper())
        if regular and "\n" not in value:
            yield Candidate("IBAN", m.start(), end + 1, 0.97, checked)
        else:
            yield Candidate("IBAN", m.start(), end + 1, 0.93, checked + " (irregular form)")


@lru_cache(maxsize=128)
def _national_module(country: str) -> Any:
    """python-stdnum's national IBAN module for ``country`` (BE, ES, ME, NO, ...), if it has one."""
    return get_cc_module(country, "iban")


def iban_checks(compact: str) -> str | None:
    """What an IBAN (compact, upper case) passed, as evidence says it, or None if it is not one.

    The IBAN label promises ISO 13616: a country in the IBAN registry, that country's length and
    BBAN format (letters and digits where the registry puts them), and the mod-97 check digits.
    Where python-stdnum knows the country's national check digits (BE, ES, ME, NO), those must
    hold too: a failed checksum means the number cannot be an account. Its other national rules
    (a Belgian bank code must be in its bank registry) do not reject the number, since registries
    lag behind banks; the evidence says that they did not pass.
    """
    country = compact[:2]
    try:
        iban.validate(compact, check_country=False)
    except ValidationError:
        return None
    checked = f"mod 97 + {country} length and format"
    module = _national_module(country)
    if module is None:
        return checked
    try:
        module.validate(compact)
    except InvalidChecksum:
        return None
    except ValidationError as exc:  # e.g. a Belgian bank code python-stdnum does not list
        return f"{checked}; national check not passed ({str(exc).rstrip('.').lower()})"
    return checked + " + national check digits"
