"""Contact details: phone numbers (validated by phonenumbers, per region) and email addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers

from leakwarden.signals.pii import context as cues
from leakwarden.signals.pii.scan import Candidate, Scan

#: Separators as typed (space, dot, hyphen) and as PDF text has them (a line break where the
#: number wrapped, alone or after a separator).
_PSEP = r"(?:[ .-]\n?|\n)"
def _not_before(first: str) -> str:
    """No word character, "+" or digit group just before the first character ``first``."""
    return rf"(?<![\w+]{first})(?<![0-9][-. ]{first})"


_DIGITS = rf"\d(?:{_PSEP}?\d){{5,13}}"
_AREA = rf"(?:\(\d{{1,4}}\){_PSEP}?)?"
#: An optional international prefix (+966, 00966) and area code in parentheses, then 6 to 14 digits.
#: Each branch consumes its first character before looking behind, so the regex engine can skip
#: quickly to the characters a number can start with.
_PHONE = re.compile(
    "(?:"
    + r"\+" + _not_before(r"\+") + rf"\d{{1,3}}{_PSEP}?{_AREA}{_DIGITS}"
    + r"|\(" + _not_before(r"\(") + rf"\d{{1,4}}\){_PSEP}?{_DIGITS}"
    + r"|\d" + _not_before(r"\d") + rf"(?:(?<=0)0\d{{1,3}}{_PSEP}?{_AREA}\d)?(?:{_PSEP}?\d){{5,13}}"
    + r")(?![\w])(?![-. ]\d)"
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


def _bare_mobile(digits: str, regions: tuple[str, ...]) -> str | None:
    """The region where ``digits`` (one unbroken run) is a mobile number written nationally with
    the trunk prefix 0, as people type them in SA, AE and EG (``0551234567``, ``01012345678``)."""
    if not digits.startswith("0") or digits.startswith("00"):
        return None
    for region in regions:
        plan = _plan(region)
        if plan is None or plan[1] != "0":
            continue
        number = phonenumbers.PhoneNumber(country_code=plan[0], national_number=int(digits[1:]))
        if phonenumbers.is_valid_number_for_region(number, region) and \
                phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
            return region
    return None


def _pieces(raw: str, start: int) -> Iterator[tuple[str, int]]:
    """The match, then (where a line break runs through it) each line's part, with its offset."""
    yield raw, start
    if "\n" in raw:
        pos = 0
        for part in raw.split("\n"):
            piece = part.strip(" .-")
            if piece:
                yield piece, start + pos + part.index(piece)
            pos += len(part) + 1


def phone(scan: Scan) -> Iterator[Candidate]:
    if scan.digits < 7:
        return
    text = scan.text
    for m in _PHONE.finditer(text):
        cue = cues.last_cue(cues.PHONE_CUES, text, m.start(), 30)
        negative = cues.last_cue(cues.NOT_PHONE_CUES, text, m.start(), 25)
        if negative and not (cue and cue.start() > negative.start()):
            continue
        for raw, start in _pieces(m[0], m.start()):
            found = _phone_candidate(raw, start, cue, scan.regions)
            if found is not None:
                yield found
                break


def _phone_candidate(raw: str, start: int, cue: re.Match[str] | None, regions: tuple[str, ...]) -> Candidate | None:
    flat = raw.replace("\n", "")
    if len(flat) < 7 or _DATE_SHAPE.fullmatch(flat) or _SSN_SHAPE.fullmatch(flat):
        return None  # a date, an SSN or a ZIP+4 code, not a phone number
    international = raw.startswith(("+", "00"))
    formatted = international or not raw.isdigit()
    end = start + len(raw)
    if not formatted and not cue:
        # A bare digit run says nothing by itself, except a national mobile number with its
        # trunk prefix (05x in SA and AE, 01x in EG), which has a shape few other numbers have.
        region = _bare_mobile(raw, regions)
        if region is None:
            return None
        return Candidate("PHONE", start, end, 0.8, f"valid {region} mobile number (trunk prefix)")
    region = _parse(raw, regions)  # the costly step last
    if region is None:
        return None
    if cue:
        conf, why = 0.97, f"keyword: {cue[0]} + valid {region} number"
    else:
        conf, why = (0.93 if international else 0.85), f"valid {region} number"
    return Candidate("PHONE", start, end, conf, why)


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


def _around(text: str, needle: re.Pattern[str], before: int, after: int) -> Iterator[tuple[int, int]]:
    """Stretches of ``text`` around each occurrence of ``needle``, merged."""
    ws = we = -1
    for m in needle.finditer(text):
        a, b = max(0, m.start() - before), min(len(text), m.end() + after)
        if a <= we:
            we = b
            continue
        if we >= 0:
            yield ws, we
        ws, we = a, b
    if we >= 0:
        yield ws, we


_AT = re.compile("@")
_DOT_WORD = re.compile(r"(?:\[|\(|\{|\s)(?:dot|DOT)(?:\]|\)|\}|\s)")


def email(scan: Scan) -> Iterator[Candidate]:
    if "@" not in scan.text:
        return
    for ws, we in _around(scan.text, _AT, 70, 260):  # only the text around each "@" is scanned
        yield from _emails(scan.text, ws, we)


def _emails(text: str, ws: int, we: int) -> Iterator[Candidate]:
    for m in _EMAIL.finditer(text, ws, we):
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
    for ws, we in _around(text, _DOT_WORD, 220, 12):  # each such address has a "dot" before its TLD
        for m in _OBFUSCATED_EMAIL.finditer(text, ws, we):
            yield Candidate("EMAIL", m.start(), m.end(), 0.8, "format: spelled-out email")
