"""Contact details: phone numbers (validated by phonenumbers, per region) and email addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers

from leakwarden.signals.pii import context as cues
from leakwarden.signals.pii.scan import Candidate, Scan

_PHONE = re.compile(
    r"(?=[+(0-9])(?<![\w+])(?<![0-9][-. ])"
    r"(?:(?:\+|00)\d{1,3}[ .-]?)?"
    r"(?:\(\d{1,4}\)[ .-]?)?"
    r"\d(?:[ .-]?\d){5,13}"
    r"(?![\w])(?![-. ]\d)"
)
_DATE_SHAPE = re.compile(r"\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{2,4}")


_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}|\d{5}-\d{4}")
_NON_DIGITS = re.compile(r"\D")


@lru_cache(maxsize=512)
def _plan(region: str) -> tuple[int, str] | None:
    """A region's country calling code and national (trunk) prefix, from phonenumbers' metadata."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.country_code is None:
        return None
    return meta.country_code, meta.national_prefix or ""


def _parse(raw: str, regions: tuple[str, ...]) -> str | None:
    """The region whose numbering plan makes ``raw`` a valid number, if any.

    International forms (``+966...``, ``00966...``) are valid in any region. A national form must
    be valid in one of ``regions``; where a region's trunk prefix is 0 (SA, AE, EG, ...) a national
    number must be written with it, as people write them (``055 123 4567``).
    """
    digits = _NON_DIGITS.sub("", raw)
    if raw.startswith(("+", "00")):
        intl = digits[2:] if raw.startswith("00") else digits
        for k in (1, 2, 3):
            cc = int(intl[:k])
            if cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE and len(intl) > k:
                number = phonenumbers.PhoneNumber(country_code=cc, national_number=int(intl[k:]))
                if phonenumbers.is_valid_number(number):
                    return phonenumbers.region_code_for_number(number) or "001"
                return None
        return None
    for region in regions:
        plan = _plan(region)
        if plan is None:
            continue
        cc, prefix = plan
        national = digits
        if prefix == "0":
            if not national.startswith("0"):
                continue
            national = national[1:]
        elif prefix and national.startswith(prefix) and len(national) > 10:
            national = national[len(prefix) :]
        if not national or national[0] == "0":
            continue
        number = phonenumbers.PhoneNumber(country_code=cc, national_number=int(national))
        if phonenumbers.is_valid_number_for_region(number, region):
            return region
    return None


def phone(scan: Scan) -> Iterator[Candidate]:
    if scan.digits < 7:
        return
    text = scan.text
    for m in _PHONE.finditer(text):
        raw = m[0]
        if _DATE_SHAPE.fullmatch(raw) or _SSN_SHAPE.fullmatch(raw):
            continue  # a date, an SSN or a ZIP+4 code, not a phone number
        international = raw.startswith(("+", "00"))
        formatted = international or not raw.isdigit()
        cue = cues.last_cue(cues.PHONE_CUES, text, m.start(), 30)
        negative = cues.last_cue(cues.NOT_PHONE_CUES, text, m.start(), 25)
        if negative and not (cue and cue.start() > negative.start()):
            continue
        if not formatted and not cue:
            continue  # a bare digit run with nothing saying it is a phone number
        region = _parse(raw, scan.regions)  # the costly step last
        if region is None:
            continue
        if cue:
            conf, why = 0.97, f"keyword: {cue[0]} + valid {region} number"
        else:
            conf, why = (0.93 if international else 0.85), f"valid {region} number"
        yield Candidate("PHONE", m.start(), m.end(), conf, why)


_OBFUSCATED_EMAIL = re.compile(
    r"(?<![\w.])([A-Za-z0-9][A-Za-z0-9._+-]{0,63})\s*(?:\[at\]|\(at\)|\{at\}|\s(?:at|AT)\s)\s*"
    r"([A-Za-z0-9-]{1,63}(?:\s*(?:\[dot\]|\(dot\)|\{dot\}|\s(?:dot|DOT)\s)\s*[A-Za-z0-9-]{1,63})*)"
    r"\s*(?:\[dot\]|\(dot\)|\{dot\}|\s(?:dot|DOT)\s)\s*"
    r"(com|org|net|edu|gov|me|io|co|info|biz|us|uk|sa|ae|eg|de|fr|ru|cn)(?![\w])"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,24}}"
_EMAIL = re.compile(
    r"(?<![\w.+*-])([A-Za-z0-9*][A-Za-z0-9._%+*-]{0,63})@(" + _DOMAIN + r")(?![\w-])"
)


def email(scan: Scan) -> Iterator[Candidate]:
    if "@" not in scan.text:
        return
    for m in _EMAIL.finditer(scan.text):
        local = m[1]
        if "*" in local:
            if not any(c.isalnum() for c in local):
                continue  # fully masked local part
            yield Candidate("EMAIL", m.start(), m.end(), 0.7, "format: masked email", masked=True)
        elif ".." in local or local.startswith(".") or local.endswith("."):
            continue
        else:
            yield Candidate("EMAIL", m.start(), m.end(), 0.95, "format: email")


def obfuscated_email(scan: Scan) -> Iterator[Candidate]:
    """``jane.doe at gmail dot com``, ``jane[at]proton[dot]me``: an address spelled out."""
    text = scan.text
    if " at " not in text and "at]" not in text and "at)" not in text and "at}" not in text \
            and " AT " not in text:
        return
    for m in _OBFUSCATED_EMAIL.finditer(text):
        yield Candidate("EMAIL", m.start(), m.end(), 0.8, "format: spelled-out email")
