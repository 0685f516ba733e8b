"""Payment data: credit cards (Luhn + issuer prefix) and IBANs (mod 97, country length)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import iban, luhn

from leakwarden.signals.pii import context as cues
from leakwarden.signals.pii import ids
from leakwarden.signals.pii.scan import NA, Candidate, Scan, lead

_CARD = re.compile(lead(r"\d") + r"\d{3}(?:([- ]?)\d{4}\1\d{4}\1\d{1,7}|([- ]?)\d{6}\2\d{4,5})" + NA)
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


_CARD_RUNS = frozenset({4, 13, 14, 15, 16, 17, 18, 19})


def credit_card(scan: Scan) -> Iterator[Candidate]:
    if not scan.runs & _CARD_RUNS:
        return
    text = scan.text
    for m in _CARD.finditer(text):
        digits = m[0].replace(" ", "").replace("-", "")
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


_IBAN = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")


def iban_code(scan: Scan) -> Iterator[Candidate]:
    if scan.digits < 10:
        return
    for m in _IBAN.finditer(scan.text):
        value = m[0]
        while len(value) >= 15:  # a trailing word in capitals may have been swallowed: back off
            if iban.is_valid(value):
                yield Candidate("IBAN", m.start(), m.start() + len(value), 0.97, "mod 97 + country length")
                break
            cut = value.rfind(" ")
            if cut < 0:
                break
            value = value[:cut]
