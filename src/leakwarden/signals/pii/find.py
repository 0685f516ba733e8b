"""``find_pii``: normalize, run every recognizer for the chosen regions, keep the best
non-overlapping candidates, and map their spans back to the original text."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from leakwarden.errors import InvalidInput
from leakwarden.model import MAX_TEXT_CHARS
from leakwarden.signals.pii import address, contact, dates, financial, ids, public
from leakwarden.signals.pii.finding import Finding
from leakwarden.signals.pii.scan import DEFAULT_REGIONS, Candidate, Recognizer, Scan
from leakwarden.text.normalize import normalize

#: Which recognizers run for which region; None means every region.
RECOGNIZERS: tuple[tuple[Recognizer, str | None], ...] = (
    (ids.us_ssn, "US"),
    (ids.us_ssn_partial, "US"),
    (ids.sa_national_id, "SA"),
    (ids.eg_national_id, "EG"),
    (ids.ae_emirates_id, "AE"),
    (financial.credit_card, None),
    (financial.iban_code, None),
    (contact.email, None),
    (contact.obfuscated_email, None),
    (contact.phone, None),
    (dates.date_of_birth, None),
    (address.street_address, None),
)
KNOWN_REGIONS = frozenset({"US", "SA", "AE", "EG"})
#: Where two candidates overlap, the more specific label wins over the more generic one.
_PRIORITY = {
    "IBAN": 9, "AE_EMIRATES_ID": 8, "EG_NATIONAL_ID": 7, "SA_NATIONAL_ID": 7, "CREDIT_CARD": 6,
    "US_SSN": 6, "US_SSN_PARTIAL": 5, "EMAIL": 5, "DATE_OF_BIRTH": 4, "PHONE": 3, "STREET_ADDRESS": 2,
}


def check_regions(regions: Sequence[str]) -> tuple[str, ...]:
    """Upper-case two-letter region codes, without repeats; a comma-separated string works too."""
    if isinstance(regions, tuple) and regions in _CHECKED:
        return regions
    out = _check_regions(regions)
    if isinstance(regions, tuple) and len(_CHECKED) < 64:
        _CHECKED.add(regions)
    return out


_CHECKED: set[tuple[str, ...]] = set()


def _check_regions(regions: Sequence[str]) -> tuple[str, ...]:
    if isinstance(regions, str):
        regions = [r for r in regions.split(",") if r]
    out = tuple(dict.fromkeys(r.strip().upper() for r in regions))
    if not out:
        raise InvalidInput("regions must name at least one region")
    for region in out:
        if len(region) != 2 or not region.isalpha():
            raise InvalidInput(f"region {region!r} is not a two-letter country code")
    return out


def _resolve(cands: list[Candidate]) -> list[Candidate]:
    """Keep the best candidate wherever candidates overlap (confidence, then specificity, then
    length), then put them in text order. Taken spans are kept sorted, so each check is a bisect."""
    ranked = sorted(cands, key=lambda c: (-c.confidence, -_PRIORITY[c.label], c.start - c.end))
    starts: list[int] = []
    taken: list[Candidate] = []
    for cand in ranked:
        i = bisect.bisect_right(starts, cand.start)
        if i > 0 and taken[i - 1].end > cand.start:
            continue  # overlaps the taken span that starts at or before it
        if i < len(taken) and taken[i].start < cand.end:
            continue  # overlaps the taken span that starts after it
        starts.insert(i, cand.start)
        taken.insert(i, cand)
    return taken


def find_pii(
    text: str,
    *,
    regions: Sequence[str] = DEFAULT_REGIONS,
    min_confidence: float = 0.5,
) -> list[Finding]:
    """Every piece of private information in ``text``, in order, with spans into ``text``.

    ``regions`` picks the national formats to look for (phone numbering plans, national IDs):
    any ISO country code works for phones; US, SA, AE and EG also enable their ID recognizers.
    A public place or contact point (an embassy's address, a toll-free number, ``press@``) is
    returned with ``public=True`` and confidence 0.5 (:mod:`leakwarden.signals.pii.public`).
    """
    if not isinstance(text, str):
        raise InvalidInput("text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text is longer than {MAX_TEXT_CHARS} characters")
    wanted = check_regions(regions)
    norm = normalize(text)
    scan = Scan.of(norm.text, wanted)
    cands: list[Candidate] = []
    for recognizer, region in RECOGNIZERS:
        if region is None or region in wanted:
            cands.extend(recognizer(scan))
    if not cands:
        return []
    findings = []
    # Public places and contact points are judged once the spans are settled: marked public, with
    # a low confidence that a stricter min_confidence leaves out.
    for c in public.mark_public(scan, _resolve([c for c in cands if c.confidence >= min_confidence])):
        if c.confidence < min_confidence:
            continue
        start, end = norm.to_original(c.start, c.end)
        findings.append(Finding(c.label, start, end, text[start:end], c.confidence, c.context, c.masked, c.sample,
                                c.public))
    return findings
