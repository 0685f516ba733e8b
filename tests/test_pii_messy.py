"""find_pii on text as PDFs, scans and careless typing leave it: dashes and spaces of every kind,
values wrapped at a line end, full-width and Arabic-Indic digits, lower-case and irregularly grouped
IBANs, bare mobile numbers, lower-case addresses after a cue, Arabic addresses without a number.

Each row is a text and the findings expected in it, as (label, exact original substring); a row
with no findings is a hard negative.
"""

from __future__ import annotations

import pytest

from leakwarden.signals.pii import find_pii
from leakwarden.signals.pii.address import PARSE_BUDGET

Row = tuple[str, list[tuple[str, str]]]
NBSP, THIN, EN, EM = "\u00a0", "\u2009", "\u2013", "\u2014"


def found(text: str) -> list[tuple[str, str]]:
    findings = find_pii(text)
    for f in findings:
        assert text[f.start : f.end] == f.text
    return [(f.label, f.text) for f in findings]


PDF_NUMBERS: list[Row] = [
    (f"SSN: 372{EN}18{EN}4406", [("US_SSN", f"372{EN}18{EN}4406")]),
    (f"SSN: 372{EM}18{EM}4406", [("US_SSN", f"372{EM}18{EM}4406")]),
    (f"SSN 372{NBSP}18{NBSP}4406 on file", [("US_SSN", f"372{NBSP}18{NBSP}4406")]),
    ("SSN: ２１９-０９-９９９９", [("US_SSN", "２１９-０９-９９９９")]),
    ("SSN: ٣٧٢-١٨-٤٤٠٦ (translated copy)", [("US_SSN", "٣٧٢-١٨-٤٤٠٦")]),
    ("SSN: 561-74-\n0354\nEmail:", [("US_SSN", "561-74-\n0354")]),
    ("SS# 161 72\n0942, born", [("US_SSN", "161 72\n0942")]),
    ("S.S.N. 607-43-3280", [("US_SSN", "607-43-3280")]),
    ("SSN#473-72-0451", [("US_SSN", "473-72-0451")]),
    ("Soc. Sec. No.: 524 99 8099", [("US_SSN", "524 99 8099")]),
    (f"SSN XXX{EN}XX{EN}6251", [("US_SSN_PARTIAL", f"XXX{EN}XX{EN}6251")]),
    ("SSN XXX\nXX-6251", [("US_SSN_PARTIAL", "XXX\nXX-6251")]),
    ("card 4111 1111\n1111 1111 exp", [("CREDIT_CARD", "4111 1111\n1111 1111")]),
    (f"card 4111{EN}1111{EN}1111{EN}1111", [("CREDIT_CARD", f"4111{EN}1111{EN}1111{EN}1111")]),
    ("DOB 1962-05-\n31. Pass it on.", [("DATE_OF_BIRTH", "1962-05-\n31")]),
    ("call 303\n634 2241 after 5pm", [("PHONE", "303\n634 2241")]),
    ("Room 12\n050 123 4567", [("PHONE", "050 123 4567")]),
    # hard negatives: separators that disagree, a wrapped number that is not an SSN, dates
    ("order 123-45 6789 shipped", []),
    ("SSN: 912-\n12-3456", []),
    (f"Form W-9 (Rev. 10{EN}2018), page 3", []),
    (f"ZIP 62704{EN}0003, docket 1:22{EN}cv{EN}0042", []),
    ("Test card 4111 1111\n1111 1112 fails the checksum", []),
]

IBANS: list[Row] = [
    ("IBAN gb82west12345698765432 please", [("IBAN", "gb82west12345698765432")]),
    ("IBAN gb82 west 1234 5698 7654 32.", [("IBAN", "gb82 west 1234 5698 7654 32")]),
    ("IBAN GB82 WEST123456 98765432 (BIC)", [("IBAN", "GB82 WEST123456 98765432")]),
    ("IBAN GB82 WEST 1234\n5698 7654 32", [("IBAN", "GB82 WEST 1234\n5698 7654 32")]),
    ("IBAN SA03 8000 0000 6080 1016 7519 and the rest", [("IBAN", "SA03 8000 0000 6080 1016 7519")]),
    ("الآيبان: SA03 ٨٠٠٠ ٠٠٠٠ ٦٠٨٠ ١٠١٦ ٧٥١٩", [("IBAN", "SA03 ٨٠٠٠ ٠٠٠٠ ٦٠٨٠ ١٠١٦ ٧٥١٩")]),
    # hard negatives: a wrong check, a country without IBANs, too short, prose
    ("IBAN GB83 WEST 1234 5698 7654 32", []),
    ("code XX82 WEST 1234 5698 7654 32", []),
    ("gb82 west 1234", []),
    ("it is 2024 and the weather is fine for a walk in the park today", []),
]

MOBILES: list[Row] = [
    ("Michael Nguyen | 0501443697 | laura@example.com",
     [("PHONE", "0501443697"), ("EMAIL", "laura@example.com")]),
    ("للتواصل مع المعلن ٠٥٩٢٧١٣١٥٩", [("PHONE", "٠٥٩٢٧١٣١٥٩")]),
    ("رقم التواصل 0534899655", [("PHONE", "0534899655")]),
    ("يا جماعة هذا رقم يوسف: ٠٥٠٨٦٠٣٧٠٩، ساكن", [("PHONE", "٠٥٠٨٦٠٣٧٠٩")]),
    ("EG mobile 01012345678 only", [("PHONE", "01012345678")]),
    ("UAE 0521234567", [("PHONE", "0521234567")]),
    # hard negatives: bare runs with a "not a phone" cue, landlines and US numbers without a cue
    ("order 0551234567 shipped", []),
    ("invoice 01012345678", []),
    ("serial 0112345678", []),
    ("reference 5125551234", []),
]

ADDRESSES: list[Row] = [
    ("home address: 3340 w maple st", [("STREET_ADDRESS", "3340 w maple st")]),
    ("she lives at 2362 oak way, portland, or with her parents",
     [("STREET_ADDRESS", "2362 oak way, portland, or")]),
    ("u can find him at 9315 s franklin blvd silver spring md lol",
     [("STREET_ADDRESS", "9315 s franklin blvd silver spring md")]),
    ("u can find him at 5266 w riverside ave portland or lol", [("STREET_ADDRESS", "5266 w riverside ave")]),
    ("home address: 4408 w fairview ln apt 39", [("STREET_ADDRESS", "4408 w fairview ln apt 39")]),
    ("عنوانه شارع التحلية، حي العليا", [("STREET_ADDRESS", "شارع التحلية، حي العليا")]),
    ("يسكن في شارع الهرم حي الروضة منذ سنوات", [("STREET_ADDRESS", "شارع الهرم حي الروضة")]),
    ("ساكن في حي الملز، طريق الملك فهد", [("STREET_ADDRESS", "حي الملز، طريق الملك فهد")]),
    # hard negatives: no number after an English cue, no cue, one component
    ("I live on Oak Street, near the park.", []),
    ("we met at 12 and walked down oak street", []),
    ("شارع التحلية مزدحم اليوم بسبب الأمطار.", []),
    ("يقع المطعم في طريق الملك فهد بالقرب من البرج.", []),
    ("انتقل إلى شارع التحلية، حي العليا للعمل", []),
]


@pytest.mark.parametrize(("text", "expected"), PDF_NUMBERS)
def test_numbers_as_pdfs_and_scans_render_them(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), IBANS)
def test_ibans_in_any_case_and_grouping(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), MOBILES)
def test_bare_mobile_numbers_with_trunk_prefix(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), ADDRESSES)
def test_cued_addresses_without_zip_or_number(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_a_document_full_of_street_lines_is_parsed_within_budget() -> None:
    lines = [f"Meet me at {100 + i} Main Street today." for i in range(PARSE_BUDGET * 3)]
    findings = find_pii("\n".join(lines))
    assert len(findings) == len(lines)  # every line still found
    unparsed = [f for f in findings if "budget" in f.context]
    assert len(unparsed) == len(lines) - PARSE_BUDGET
    assert all(f.confidence < 0.75 for f in unparsed)
