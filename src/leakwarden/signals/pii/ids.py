"""Government identity numbers: US SSN (full and partial), Saudi, Egyptian and Emirati IDs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from stdnum import luhn

from leakwarden.signals.pii import context as cues
from leakwarden.signals.pii.scan import NA, SEP, Candidate, Scan, consistent, lead

#: ddd-dd-dddd with hyphens, dots or spaces (one kind), or wrapped at a line end ("123-45-\n6789").
_SSN = re.compile("(" + lead(r"\d") + rf"\d{{2}})({SEP})(\d{{2}})({SEP})(\d{{4}})" + NA)
_SSN_BARE = re.compile("(" + lead(r"\d") + r"\d{2})(\d{2})(\d{4})" + NA)
_MASK = r"[Xx*#•●]"
_SSN_MASKED = re.compile(  # the first mask character consumed before looking behind: faster scans
    _MASK + r"(?<![\w*#•●][Xx*#•●])" + _MASK + rf"{{2}}{SEP}?" + _MASK + rf"{{2}}{SEP}?(\d{{4}})" + NA
)
_FOUR = re.compile(lead(r"\d") + r"\d{3}" + NA)


def ssn_is_valid(area: str, group: str, serial: str) -> bool:
    """The SSA's structural rules: no 000/666/9xx area, no 00 group, no 0000 serial."""
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


#: SSNs printed as examples, which belong to no one (any more): the sample card sold in wallets in
#: 1938 (078-05-1120, voided by the SSA), the SSA's own 1940s pamphlet (219-09-9999), and the
#: counting sequence of forms and documentation (123-45-6789, never issued). The advertising range
#: 987-65-4320..4329 already fails :func:`ssn_is_valid` (area 9xx).
SAMPLE_SSNS = frozenset({"078051120", "219099999", "123456789"})
#: How sure a sample is worth reporting as one: the lowest confidence a default search keeps.
SAMPLE_CONFIDENCE = 0.5


def ssn_sample(digits: str) -> str | None:
    """Why the nine digits of a valid SSN are an example rather than a person's, if they are."""
    if digits in SAMPLE_SSNS:
        return "published sample SSN"
    if len(set(digits)) == 1:
        return "placeholder SSN (one digit repeated)"
    return None


def us_ssn(scan: Scan) -> Iterator[Candidate]:
    if not ({3, 2, 4} <= scan.runs or 9 in scan.runs):
        return
    text = scan.text
    for m in _SSN.finditer(text):
        if not consistent(m[2], m[4]) or not ssn_is_valid(m[1], m[3], m[5]):
            continue
        sample = ssn_sample(m[1] + m[3] + m[5])
        if sample:
            yield Candidate("US_SSN", m.start(), m.end(), SAMPLE_CONFIDENCE, sample, sample=True)
            continue
        cue = cues.last_cue(cues.SSN_CUES, text, m.start(), 60)
        if cue:
            yield Candidate("US_SSN", m.start(), m.end(), 0.99, f"keyword: {cue[0]}")
        elif "\n" in m[2] + m[4]:
            yield Candidate("US_SSN", m.start(), m.end(), 0.6, "format: ddd-dd-dddd across a line break")
        elif m[2] == "-":
            yield Candidate("US_SSN", m.start(), m.end(), 0.8, "format: ddd-dd-dddd")
        else:
            yield Candidate("US_SSN", m.start(), m.end(), 0.6, "format: ddd dd dddd")
    for m in _SSN_BARE.finditer(text):
        cue = cues.last_cue(cues.SSN_CUES, text, m.start(), 30)
        if cue and ssn_is_valid(m[1], m[2], m[3]):
            sample = ssn_sample(m[0])
            if sample:
                yield Candidate("US_SSN", m.start(), m.end(), SAMPLE_CONFIDENCE, sample, sample=True)
            else:
                yield Candidate("US_SSN", m.start(), m.end(), 0.9, f"keyword: {cue[0]}")


def us_ssn_partial(scan: Scan) -> Iterator[Candidate]:
    if 4 not in scan.runs:
        return
    text = scan.text
    for m in _SSN_MASKED.finditer(text):
        if m[1] == "0000":
            continue
        cue = cues.last_cue(cues.SSN_CUES, text, m.start(), 60)
        conf, why = (0.97, f"keyword: {cue[0]}") if cue else (0.85, "format: XXX-XX-dddd")
        yield Candidate("US_SSN_PARTIAL", m.start(), m.end(), conf, why, masked=True)
    if not scan.has_arabic and not any(k in scan.lower for k in ("last", "end", "final")):
        return  # every Latin "last four" cue contains one of these
    if not cues.PARTIAL_CUES.search(text):
        return
    for m in _FOUR.finditer(text):
        # Four digits are the last four of an SSN only when the words introduce them as that:
        # "SSN ending in 4821", "the last four of her SSN are 4821" (both cues before, nothing but
        # connecting words between them and the number) or "4821 (last four of his SSN)" (both
        # after). A year or another number further along the sentence is not.
        partial = cues.last_cue(cues.PARTIAL_CUES, text, m.start(), 40)
        ssn = cues.last_cue(cues.SSN_CUES, text, m.start(), 70) if partial else None
        if partial and ssn and _connects(text, partial.end(), m.start()) and (
                ssn.start() >= partial.end() or _connects(text, ssn.end(), partial.start())):
            yield Candidate("US_SSN_PARTIAL", m.start(), m.end(), 0.9, f"keyword: {ssn[0]} + {partial[0]}")
            continue
        partial = cues.cue_after(cues.PARTIAL_CUES, text, m.end(), 20)
        ssn = cues.cue_after(cues.SSN_CUES, text, partial.end(), 40) if partial else None
        if partial and ssn and _connects(text, m.end(), partial.start()) and \
                _connects(text, partial.end(), ssn.start()):
            yield Candidate("US_SSN_PARTIAL", m.start(), m.end(), 0.9, f"keyword: {ssn[0]} + {partial[0]}")


#: Words that may stand between the cues and the four digits they introduce ("the last four of her
#: SSN are 4821", "آخر أربعة أرقام من رقم الضمان الاجتماعي ٤٨٢١"), folded like the text.
_CONNECTING = frozenset(cues.fold(w).lower() for w in (
    "a", "the", "is", "are", "was", "were", "be", "being", "reads", "read", "of", "on", "in", "with", "for",
    "as", "his", "her", "their", "its", "it", "my", "your", "our", "s", "digits", "digit", "number", "numbers",
    "no", "nr", "num", "four",
    "أرقام", "الأرقام", "رقم", "الرقم", "من", "هي", "هو", "في", "ب", "الاجتماعي", "الإجتماعي", "الضمان",
    "له", "لها", "هذا", "الخاص", "به", "بها",
))
_GAP_PUNCT = frozenset(" \t\n:=#()[],'\"“”‘’-–—")
_WORD = re.compile(r"\w+")


def _connects(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds only SSN keywords, connecting words and light punctuation:
    no digits, no sentence end, no word that would make the cues speak of something else."""
    if start > end or end - start > 70:
        return False
    gap = text[start:end]
    if not gap or gap.isspace():
        return True
    gap = cues.SSN_CUES.full.sub(" ", gap)  # the SSN keyword may stand in between
    rest = _WORD.sub(" ", gap)
    return all(ch in _GAP_PUNCT for ch in rest) and all(
        w.lower() in _CONNECTING for w in _WORD.findall(gap))


_SA_ID = re.compile(lead("[12]") + r"\d{9}" + NA)


def sa_national_id(scan: Scan) -> Iterator[Candidate]:
    """Saudi national ID (1...) or iqama (2...): ten digits, Luhn check digit, with an ID cue."""
    if 10 not in scan.runs:
        return
    for m in _SA_ID.finditer(scan.text):
        if not luhn.is_valid(m[0]):
            continue
        cue = cues.last_cue(cues.ID_CUES, scan.text, m.start(), 50)
        if cue:
            yield Candidate("SA_NATIONAL_ID", m.start(), m.end(), 0.98, f"keyword: {cue[0]} + luhn")


_EG_ID = re.compile(lead("[23]") + r"\d{13}" + NA)
EG_GOVERNORATES = frozenset(
    ["01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19",  # Cairo ... Ismailia
     "21", "22", "23", "24", "25", "26", "27", "28", "29",  # Giza ... Luxor
     "31", "32", "33", "34", "35", "88"]  # Red Sea ... South Sinai; 88: born abroad
)


def eg_id_is_valid(digits: str, today: date | None = None) -> bool:
    """Structure of an Egyptian national ID: century digit (2 = 1900s, 3 = 2000s), a real birth
    date not in the future, a governorate code, a serial and a check digit (14 digits)."""
    if len(digits) != 14 or not digits.isdigit() or digits[0] not in "23":
        return False
    year = (1900 if digits[0] == "2" else 2000) + int(digits[1:3])
    try:
        born = date(year, int(digits[3:5]), int(digits[5:7]))
    except ValueError:
        return False
    return born <= (today or date.today()) and digits[7:9] in EG_GOVERNORATES


def eg_national_id(scan: Scan) -> Iterator[Candidate]:
    if 14 not in scan.runs:
        return
    for m in _EG_ID.finditer(scan.text):
        if not eg_id_is_valid(m[0]):
            continue
        cue = cues.last_cue(cues.ID_CUES, scan.text, m.start(), 50)
        if cue:
            yield Candidate("EG_NATIONAL_ID", m.start(), m.end(), 0.97, f"keyword: {cue[0]} + structure")
        else:
            yield Candidate("EG_NATIONAL_ID", m.start(), m.end(), 0.8, "structure: century, date, governorate")


_AESEP = r"((?:[- ]\n?|\n)?)"
_AE_ID = re.compile(lead("7") + rf"84{_AESEP}(?:19|20)\d{{2}}{_AESEP}\d{{7}}{_AESEP}\d" + NA)


def ae_emirates_id(scan: Scan) -> Iterator[Candidate]:
    """Emirates ID: 784-YYYY-NNNNNNN-C, Luhn over the 15 digits."""
    if "784" not in scan.text:
        return
    for m in _AE_ID.finditer(scan.text):
        digits = re.sub(r"\D", "", m[0])
        if consistent(m[1], m[2], m[3]) and luhn.is_valid(digits):
            cue = cues.last_cue(cues.ID_CUES, scan.text, m.start(), 50)
            why = f"keyword: {cue[0]} + luhn" if cue else "format 784-YYYY + luhn"
            yield Candidate("AE_EMIRATES_ID", m.start(), m.end(), 0.97 if cue or m[1] else 0.9, why)
