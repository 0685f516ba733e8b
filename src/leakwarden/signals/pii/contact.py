"""Contact details: phone numbers (validated by phonenumbers, per region) and email addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
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
#: An optional international prefix (+966, 00966) and area code in parentheses, then 6 to 14 digits;
#: or a trunk 0 before an area code in parentheses (``0 (532) 123 45 67``).
#: Each branch consumes its first character before looking behind, so the regex engine can skip
#: quickly to the characters a number can start with.
_PHONE = re.compile(
    "(?:"
    + r"\+" + _not_before(r"\+") + rf"\d{{1,3}}{_PSEP}?{_AREA}{_DIGITS}"
    + r"|\(" + _not_before(r"\(") + rf"\d{{1,4}}\){_PSEP}?{_DIGITS}"
    + r"|\d" + _not_before(r"\d")
    + rf"(?:(?<=0)(?:0\d{{1,3}}{_PSEP}?{_AREA}|{_PSEP}?\(\d{{1,4}}\){_PSEP}?)\d)?(?:{_PSEP}?\d){{5,13}}"
    + r")(?![\w])(?![-. ]\d)"
)
_DATE_SHAPE = re.compile(r"\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{2,4}")


#: An SSN's grouping (3-2-4, one kind of separator) and a ZIP+4 code: not phone numbers, unless a
#: phone keyword says so (the SSN shape; a ZIP+4 code never is one).
_SSN_SHAPE = re.compile(r"\d{3}([-. ])\d{2}\1\d{4}")
_ZIP4 = re.compile(r"\d{5}-\d{4}")
_NON_DIGITS = re.compile(r"\D")
#: Regions whose national numbers are written with the trunk prefix 0 (``055 123 4567``), where the
#: digits without it would read as too many other numbers: there a national number must carry it.
#: Elsewhere (``--regions CN``, ``TR``, ...) a number is read as phonenumbers reads it, with or
#: without the prefix (``159 1234 5678``, ``541 234 56 78``).
TRUNK_WRITTEN = frozenset({"SA", "AE", "EG"})


@dataclass(frozen=True, slots=True)
class _Plan:
    """What reading a national number of a region needs, from phonenumbers' metadata."""

    country_code: int
    prefix: str  # the national (trunk) prefix, "" if none
    simple: bool  # the prefix is all there is to strip (no carrier codes or rewriting rules)
    lengths: frozenset[int]  # of a national significant number
    mobile_lengths: frozenset[int]  # of a mobile one; empty where mobile and fixed lines look alike


@lru_cache(maxsize=512)
def _plan(region: str) -> _Plan | None:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.country_code is None:
        return None
    prefix = meta.national_prefix or ""
    simple = meta.national_prefix_for_parsing in (None, prefix) and meta.national_prefix_transform_rule is None
    general = meta.general_desc.possible_length if meta.general_desc else None
    mobile = meta.mobile.possible_length if meta.mobile and not meta.same_mobile_and_fixed_line_pattern else None
    return _Plan(meta.country_code, prefix, simple, frozenset(general or ()), frozenset(mobile or ()))


def _number(country_code: int, national: str) -> phonenumbers.PhoneNumber:
    """A number from its national significant digits, as phonenumbers itself builds one: a leading
    zero that belongs to the number (Italy, Côte d'Ivoire) is kept, not lost to ``int()``."""
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    if len(national) > 1 and national[0] == "0":
        number.italian_leading_zero = True
        zeros = len(national) - len(national.lstrip("0"))
        if zeros == len(national):
            zeros -= 1
        if zeros > 1:
            number.number_of_leading_zeros = zeros
    return number


def _national(digits: str, region: str, mobile: bool = False) -> Iterator[phonenumbers.PhoneNumber]:
    """The numbers of ``region`` that ``digits``, written nationally, can be (``mobile``: only
    those of a mobile number's length). In :data:`TRUNK_WRITTEN` regions only with the trunk
    prefix; elsewhere with or without it, and through phonenumbers' own parser where the region's
    prefix rules are more than one prefix."""
    plan = _plan(region)
    if plan is None or (mobile and not plan.mobile_lengths):
        return
    lengths = plan.mobile_lengths if mobile else plan.lengths
    has_prefix = bool(plan.prefix) and digits.startswith(plan.prefix) and len(digits) > len(plan.prefix)
    if region in TRUNK_WRITTEN and plan.prefix:
        if has_prefix and len(digits) - len(plan.prefix) in lengths:
            yield _number(plan.country_code, digits[len(plan.prefix) :])
        return
    if not plan.simple:
        try:
            parsed = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            return
        if parsed.country_code == plan.country_code:  # a national form never dials abroad
            yield parsed
        return
    if has_prefix and len(digits) - len(plan.prefix) in lengths:
        yield _number(plan.country_code, digits[len(plan.prefix) :])
    if len(digits) in lengths:
        yield _number(plan.country_code, digits)


def _parse(raw: str, regions: tuple[str, ...]) -> tuple[str, phonenumbers.PhoneNumber] | None:
    """The region whose numbering plan makes ``raw`` a valid number, and the number, if any.

    International forms (``+966...``, ``00966...``) are valid in any region. A national form must
    be valid in one of ``regions``; in :data:`TRUNK_WRITTEN` regions it must be written with the
    trunk prefix, as people there write them (``055 123 4567``).
    """
    digits = _NON_DIGITS.sub("", raw)
    if raw.startswith(("+", "00")):
        intl = digits[2:] if raw.startswith("00") else digits
        for k in (1, 2, 3):
            cc = int(intl[:k])
            if cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE and len(intl) > k:
                number = _number(cc, intl[k:])
                if phonenumbers.is_valid_number(number):
                    return phonenumbers.region_code_for_number(number) or "001", number
                return None
        return None
    for region in regions:
        for number in _national(digits, region):
            if phonenumbers.is_valid_number_for_region(number, region):
                return region, number
    return None


#: Number types that are no one's personal line, named in a finding's context (where
#: :mod:`leakwarden.signals.pii.public` reads them).
PUBLIC_NUMBER_TYPES = {
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll-free", phonenumbers.PhoneNumberType.SHARED_COST: "shared-cost",
    phonenumbers.PhoneNumberType.UAN: "universal access", phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium-rate",
}


def _bare_mobile(digits: str, regions: tuple[str, ...]) -> str | None:
    """The region where ``digits`` (one unbroken run) is a mobile number written exactly as the
    region writes it nationally: with the trunk prefix where it has one in use (``0551234567`` in
    SA, ``01012345678`` in EG, ``05412345678`` in TR), without where it has none
    (``15912345678`` in CN)."""
    if digits.startswith("00"):
        return None
    for region in regions:
        for number in _national(digits, region, mobile=True):
            if phonenumbers.is_valid_number_for_region(number, region) and \
                    phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
                national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
                if _NON_DIGITS.sub("", national) == digits:
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
    if len(flat) < 7 or _DATE_SHAPE.fullmatch(flat) or _ZIP4.fullmatch(flat) or \
            (_SSN_SHAPE.fullmatch(flat) and not cue):
        return None  # a date, a ZIP+4 code, or an SSN's shape with no phone keyword
    international = raw.startswith(("+", "00"))
    formatted = international or not raw.isdigit()
    end = start + len(raw)
    if not formatted and not cue:
        # A bare digit run says nothing by itself, except a mobile number written as its region
        # writes it (05x in SA and AE, 01x in EG, with the trunk prefix), a shape few other
        # numbers have.
        region = _bare_mobile(raw, regions)
        if region is None:
            return None
        return Candidate("PHONE", start, end, 0.8, f"valid {region} mobile number (national form)")
    parsed = _parse(raw, regions)  # the costly step last
    if parsed is None:
        return None
    region, number = parsed
    kind = PUBLIC_NUMBER_TYPES.get(phonenumbers.number_type(number))
    valid = f"valid {region} {kind} number" if kind else f"valid {region} number"
    if cue:
        conf, why = 0.97, f"keyword: {cue[0]} + {valid}"
    else:
        conf, why = (0.93 if international else 0.85), valid
    return Candidate("PHONE", start, end, conf, why)


_OBFUSCATED_EMAIL = re.compile(
    r"(?<![\w.])([A-Za-z0-9][A-Za-z0-9._+-]{0,63})\s*(?:\[at\]|\(at\)|\{at\}|\s(?:at|AT)\s)\s*"
    r"([A-Za-z0-9-]{1,63}(?:\s*(?:\[dot\]|\(dot\)|\{dot\}|\s(?:dot|DOT)\s)\s*[A-Za-z0-9-]{1,63})*)"
    r"\s*(?:\[dot\]|\(dot\)|\{dot\}|\s(?:dot|DOT)\s)\s*"
    r"(com|org|net|edu|gov|me|io|co|info|biz|us|uk|sa|ae|eg|de|fr|ru|cn)(?![\w])"
)
#: A domain label: letters (of any script: an internationalized domain as people type it) and
#: digits, with inner hyphens (``xn--bcher-kva``, a domain in its ASCII form).
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
#: A top-level domain: ASCII letters, an internationalized one in its ASCII form (``xn--ngbrx``), or
#: letters of one other script (``рф``).
_TLD = r"(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{0,58}[A-Za-z0-9]|[^\W\d_A-Za-z]{2,24})"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*\.{_TLD}"
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
