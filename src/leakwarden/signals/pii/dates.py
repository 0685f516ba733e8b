"""Dates of birth: any common date form, reported only when a birth cue introduces it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from leakwarden.signals.pii import context as cues
from leakwarden.signals.pii.context import fold
from leakwarden.signals.pii.scan import Candidate, Scan

_EN_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
_AR_MONTHS = "|".join(
    re.escape(fold(m))
    for m in sorted(
        [
            "يناير", "فبراير", "مارس", "أبريل", "إبريل", "ابريل", "مايو", "يونيو", "يونيه", "يوليو", "يوليه",
            "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز",
            "آب", "أيلول", "كانون الثاني", "كانون الأول", "تشرين الأول", "تشرين الثاني",
        ],
        key=len,
        reverse=True,
    )
)
_YEAR = r"(?:19|20)\d{2}|1[34]\d{2}"  # Gregorian, or Hijri 13xx/14xx
_DATE = re.compile(
    r"(?<![\w/.-])(?:"
    rf"(?P<iso>(?:{_YEAR})[-/.]\n?\d{{1,2}}[-/.]\n?\d{{1,2}})"
    rf"|(?P<num>\d{{1,2}}[-/.]\n?\d{{1,2}}[-/.]\n?(?:(?:{_YEAR})|\d{{2}}))"
    rf"|(?P<dmy>\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_EN_MONTHS})\.?,?\s+(?:{_YEAR}))"
    rf"|(?P<mdy>(?:{_EN_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:{_YEAR}))"
    rf"|(?P<ar>\d{{1,2}}\s+(?:من\s+)?(?:{_AR_MONTHS})\s*,?\s*(?:{_YEAR}))"
    r")(?:\s?[مه](?![\w]))?(?![\w/-])",
    re.IGNORECASE,
)


_LATIN_HINTS = ("born", "birth", "dob", "d.o.b", "day", "b.")


def _plausible(m: re.Match[str]) -> bool:
    if m["iso"]:
        _, month, day = (int(x) for x in re.split(r"[-/.]", m["iso"]))
        return 1 <= month <= 12 and 1 <= day <= 31
    if m["num"]:
        a, b, _ = (int(x) for x in re.split(r"[-/.]", m["num"]))
        return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)
    return True


def date_of_birth(scan: Scan) -> Iterator[Candidate]:
    if not scan.has_digits:
        return
    if not scan.has_arabic and not any(k in scan.lower for k in _LATIN_HINTS):
        return  # every Latin birth cue contains one of these
    if not cues.DOB_CUES.search(scan.text):
        return
    text = scan.text
    prev_end = 0
    for m in _dates_after_cues(text):
        start = m.start()
        window_start = max(prev_end, start - _REACH)
        prev_end = m.end()
        if not _plausible(m):
            continue
        cue = cues.last_cue(cues.DOB_CUES, text, start, start - window_start)
        if cue is None:
            continue
        gap = text[cue.end() : start]
        if any(c in gap for c in ".;!?\n") and gap.strip(" :.-") != "":
            continue
        if cues.DOB_BREAKERS.search(gap):
            continue
        yield Candidate("DATE_OF_BIRTH", start, m.end(), 0.95, f"keyword: {cue[0]}")


#: A birth date starts at most this many characters after its cue.
_REACH = 45
#: Longer than any date form: enough to find where a date that starts in a window begins.
_LONGEST = 40


def _dates_after_cues(text: str) -> Iterator[re.Match[str]]:
    """Every date that starts within reach of a birth cue, in order. Cues are rare, so looking
    only after them is much cheaper than matching dates across a whole long document."""
    pos = 0
    for cue in cues.DOB_CUES.finditer(text):
        pos = max(pos, cue.end())
        limit = cue.end() + _REACH
        while pos <= limit:
            found = _DATE.search(text, pos, min(len(text), limit + _LONGEST))
            if found is None or found.start() > limit:
                break
            m = _DATE.match(text, found.start())  # the whole date: the window may have cut it
            if m is None:
                pos = found.start() + 1
                continue
            yield m
            pos = m.end()
