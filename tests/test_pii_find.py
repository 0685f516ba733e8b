"""find_pii, label by label: positives, hard negatives, masked forms, Arabic variants, exact spans.

Each row is a text and the findings expected in it, as (label, exact original substring); a row
with no findings is a hard negative.
"""

from __future__ import annotations

import itertools

import pytest

from leakwarden.errors import InvalidInput
from leakwarden.signals.pii import Finding, find_pii
from leakwarden.signals.pii.ids import eg_id_is_valid

LRM, RLM, ALM, TATWEEL = "\u200e", "\u200f", "\u061c", "\u0640"
Row = tuple[str, list[tuple[str, str]]]


def found(text: str, **kw: object) -> list[tuple[str, str]]:
    findings = find_pii(text, **kw)  # type: ignore[arg-type]
    for f in findings:
        assert text[f.start : f.end] == f.text  # spans index the original text
        assert 0.0 <= f.confidence <= 1.0
    return [(f.label, f.text) for f in findings]


US_SSN: list[Row] = [
    ("SSN: 078-51-1120", [("US_SSN", "078-51-1120")]),
    ("his social security number is 372-18-4406.", [("US_SSN", "372-18-4406")]),
    ("Social: 524-99-8099. Next", [("US_SSN", "524-99-8099")]),
    ("SSN 372184406 on the form", [("US_SSN", "372184406")]),
    ("leaked 412-33-0921 in the file", [("US_SSN", "412-33-0921")]),
    ("رقم الضمان الاجتماعي ٣٧٢-١٨-٤٤٠٦", [("US_SSN", "٣٧٢-١٨-٤٤٠٦")]),
    # hard negatives: impossible areas/groups/serials, bare 9 digits without a cue
    ("SSN: 000-12-3456", []),
    ("SSN: 666-12-3456", []),
    ("SSN: 912-12-3456", []),
    ("SSN: 123-00-4567", []),
    ("SSN: 123-45-0000", []),
    ("order 372184406 shipped", []),
]

US_SSN_PARTIAL: list[Row] = [
    ("SSN: XXX-XX-4821", [("US_SSN_PARTIAL", "XXX-XX-4821")]),
    ("ssn ***-**-4821 (redacted)", [("US_SSN_PARTIAL", "***-**-4821")]),
    ("copy shows xxx-xx-0042", [("US_SSN_PARTIAL", "xxx-xx-0042")]),
    ("the last four of her SSN are 4821", [("US_SSN_PARTIAL", "4821")]),
    ("SSN ending in 7310, born in Ohio", [("US_SSN_PARTIAL", "7310")]),
    ("آخر أربعة أرقام من رقم الضمان الاجتماعي ٤٨٢١", [("US_SSN_PARTIAL", "٤٨٢١")]),
    # fully masked values are not findings; four digits without both cues are not either
    ("SSN: XXX-XX-XXXX", []),
    ("SSN: ***-**-****", []),
    ("the last four games ended 2-1", []),
    ("ending in 2024 with an SSN office visit", []),
    ("PIN ending in 4821", []),
    ("4821 (last four of his SSN)", [("US_SSN_PARTIAL", "4821")]),
]

STREET_ADDRESS: list[Row] = [
    ("He lives at 1600 Pennsylvania Ave NW, Washington, DC 20500 now.",
     [("STREET_ADDRESS", "1600 Pennsylvania Ave NW, Washington, DC 20500")]),
    ("Ship to 742 Evergreen Terrace, Apt 3B, Springfield, IL 62704",
     [("STREET_ADDRESS", "742 Evergreen Terrace, Apt 3B, Springfield, IL 62704")]),
    ("home address: 12 Oak Street", [("STREET_ADDRESS", "12 Oak Street")]),
    ("u can find him at 5497 s park ct des moines iowa 50341 lol",
     [("STREET_ADDRESS", "5497 s park ct des moines iowa 50341")]),
    ("Building No. 3456, King Fahd Road, Al Olaya District, Riyadh 12214, Additional No. 7890",
     [("STREET_ADDRESS", "Building No. 3456, King Fahd Road, Al Olaya District, Riyadh 12214, Additional No. 7890")]),
    ("رقم المبنى ٣٤٥٦، شارع الأمير سلطان، حي الروضة، جدة ٢٣٤٣٥، الرقم الإضافي ٧٨٩٠",
     [("STREET_ADDRESS", "رقم المبنى ٣٤٥٦، شارع الأمير سلطان، حي الروضة، جدة ٢٣٤٣٥، الرقم الإضافي ٧٨٩٠")]),
    ("يسكن في ١٢ شـارع التحرير، الدقي، الجيزة منذ سنوات",
     [("STREET_ADDRESS", "١٢ شـارع التحرير، الدقي، الجيزة")]),
    ("Villa 23, Street 15, Jumeirah 1, Dubai", [("STREET_ADDRESS", "Villa 23, Street 15, Jumeirah 1, Dubai")]),
    ("فيلا ٢٣، شارع ١٥، الجميرا ١، دبي", [("STREET_ADDRESS", "فيلا ٢٣، شارع ١٥، الجميرا ١، دبي")]),
    ("Flat 4, Building 17, Tahrir Street, Dokki", [("STREET_ADDRESS", "Flat 4, Building 17, Tahrir Street, Dokki")]),
    # hard negatives: a ZIP code alone, a street without a number, a year before a street name
    ("ZIP code 20500 only", []),
    ("In 2019 Park Ave was busy", []),
    ("شارع التحلية مزدحم اليوم بسبب الأمطار.", []),
    ("الرمز البريدي ١٢٢١٤ فقط", []),
    ("Meeting in room 5, building 12", []),
]

PHONE: list[Row] = [
    ("call me at (202) 555-0143", [("PHONE", "(202) 555-0143")]),
    ("cell +1 202 555 0143", [("PHONE", "+1 202 555 0143")]),
    ("Text 2025550143 after 5", [("PHONE", "2025550143")]),
    ("جوال: ٠٥٥ ١٢٣ ٤٥٦٧", [("PHONE", "٠٥٥ ١٢٣ ٤٥٦٧")]),
    ("للاتصال ۰۵۵۱۲۳۴۵۶۷", [("PHONE", "۰۵۵۱۲۳۴۵۶۷")]),
    ("واتساب +966 55 123 4567", [("PHONE", "+966 55 123 4567")]),
    ("UAE mobile 050-123-4567", [("PHONE", "050-123-4567")]),
    ("رقمه في مصر 010 1234 5678", [("PHONE", "010 1234 5678")]),
    ("+20 100 123 4567 is her number", [("PHONE", "+20 100 123 4567")]),
    (f"هاتف {RLM}+971 50 123 4567{RLM}", [("PHONE", "+971 50 123 4567")]),
    # hard negatives: order/tracking numbers, ISBNs, dates, ZIP+4, dial-in codes, bare digits
    ("Order #2025550143 shipped", []),
    ("Tracking number: 2025550143", []),
    ("ISBN 978-0-306-40615-7", []),
    ("meeting on 2024-05-01 at noon", []),
    ("ZIP+4 20500-0003", []),
    ("dial-in code 845 221 907#", []),
    ("ref 2025550143", []),
    ("scored 98.6 out of 100", []),
]

EMAIL: list[Row] = [
    ("write to jane.doe@example.org today", [("EMAIL", "jane.doe@example.org")]),
    ("Reply-To: <kevin38@hotmail.com>", [("EMAIL", "kevin38@hotmail.com")]),
    ("البريد: omar_h@campaign-hq.org", [("EMAIL", "omar_h@campaign-hq.org")]),
    ("contact jane.doe at gmail dot com", [("EMAIL", "jane.doe at gmail dot com")]),
    ("jane[at]proton[dot]me", [("EMAIL", "jane[at]proton[dot]me")]),
    ("masked j****@gmail.com", [("EMAIL", "j****@gmail.com")]),
    ("fully redacted ****@gmail.com", []),
    ("the form name@domain is a placeholder", []),
    ("meet at noon at the cafe", []),
]

DATE_OF_BIRTH: list[Row] = [
    ("DOB: 03/14/1985", [("DATE_OF_BIRTH", "03/14/1985")]),
    ("born on March 14, 1985 in Ohio", [("DATE_OF_BIRTH", "March 14, 1985")]),
    ("D.O.B. 1985-03-14", [("DATE_OF_BIRTH", "1985-03-14")]),
    ("b-day: 6 June 1954", [("DATE_OF_BIRTH", "6 June 1954")]),
    ("تاريخ الميلاد: ١٤ مارس ١٩٨٥م", [("DATE_OF_BIRTH", "١٤ مارس ١٩٨٥م")]),
    ("وتاريخ ميلادها ٠٧/٠٧/١٩٦٧", [("DATE_OF_BIRTH", "٠٧/٠٧/١٩٦٧")]),
    ("من مواليد ١٤٠٥/٠٣/١٢هـ", [("DATE_OF_BIRTH", "١٤٠٥/٠٣/١٢ه")]),  # a trailing tatweel stays outside
    # hard negatives: dates that are not birth dates
    ("joined on 2020-05-01", []),
    ("born in Cairo, and joined 2020-01-01", []),
    ("Meeting moved to March 3, 2024.", []),
    ("انضم إلى الشركة في 2020-05-01", []),
    ("DOB: 13/13/1985", []),
]

NATIONAL_IDS: list[Row] = [
    ("رقم الهوية الوطنية: ١٠٦٧٨١٧٤٩٢", [("SA_NATIONAL_ID", "١٠٦٧٨١٧٤٩٢")]),
    ("Iqama number 2166156139", [("SA_NATIONAL_ID", "2166156139")]),
    ("الرقم القومي ٢٩٠٠١٠١٠١٢٣٤٥٦", [("EG_NATIONAL_ID", "٢٩٠٠١٠١٠١٢٣٤٥٦")]),
    ("national ID 30103032490431", [("EG_NATIONAL_ID", "30103032490431")]),
    ("Emirates ID: 784-1985-1234567-3", [("AE_EMIRATES_ID", "784-1985-1234567-3")]),
    ("رقم الهوية الإماراتية ٧٨٤١٩٨٥١٢٣٤٥٦٧٣", [("AE_EMIRATES_ID", "٧٨٤١٩٨٥١٢٣٤٥٦٧٣")]),
    # hard negatives: failed checksums, no cue, impossible dates or governorates
    ("رقم الهوية الوطنية: 1067817493", []),
    ("order 1067817492 shipped", []),
    ("national ID 29013010112345", []),  # month 13
    ("national ID 29001019912345", []),  # governorate 99
    ("Emirates ID: 784-1985-1234567-8", []),
]

CARDS_AND_IBANS: list[Row] = [
    ("card 4111 1111 1111 1111 exp 09/27", [("CREDIT_CARD", "4111 1111 1111 1111")]),
    ("paid with 5500-0000-0000-0004", [("CREDIT_CARD", "5500-0000-0000-0004")]),
    ("amex 3782 822463 10005", [("CREDIT_CARD", "3782 822463 10005")]),
    ("رقم البطاقة ٤١١١١١١١١١١١١١١١", [("CREDIT_CARD", "٤١١١١١١١١١١١١١١١")]),
    ("receipt: card **** **** **** 4242", [("CREDIT_CARD", "**** **** **** 4242")]),
    ("IBAN GB82 WEST 1234 5698 7654 32 please", [("IBAN", "GB82 WEST 1234 5698 7654 32")]),
    ("الآيبان SA0380000000608010167519", [("IBAN", "SA0380000000608010167519")]),
    ("IBAN DE89370400440532013000 BIC", [("IBAN", "DE89370400440532013000")]),
    # hard negatives: Luhn-invalid card, fully masked card, bad IBAN checksum, tracking numbers
    ("test card 4111 1111 1111 1112 fails", []),
    ("Card: **** **** **** **** withheld", []),
    ("IBAN GB83 WEST 1234 5698 7654 32", []),
    ("Tracking: 9400 1000 0000 0000 0000 00", []),
    ("UPC 036000291452 on the box", []),
]


@pytest.mark.parametrize(("text", "expected"), US_SSN)
def test_us_ssn(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), US_SSN_PARTIAL)
def test_us_ssn_partial(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), STREET_ADDRESS)
def test_street_address(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), PHONE)
def test_phone(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), EMAIL)
def test_email(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), DATE_OF_BIRTH)
def test_date_of_birth(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), NATIONAL_IDS)
def test_national_ids(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), CARDS_AND_IBANS)
def test_cards_and_ibans(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "label", "masked"),
    [
        ("SSN: XXX-XX-4821", "US_SSN_PARTIAL", True),
        ("SSN ending in 4821", "US_SSN_PARTIAL", False),
        ("SSN: 372-18-4406", "US_SSN", False),
        ("card **** **** **** 4242", "CREDIT_CARD", True),
        ("mail j***@gmail.com", "EMAIL", True),
    ],
)
def test_masked_flag(text: str, label: str, masked: bool) -> None:
    (finding,) = find_pii(text)
    assert (finding.label, finding.masked) == (label, masked)


@pytest.mark.parametrize(
    ("text", "context_word"),
    [("SSN: 372-18-4406", "SSN"), ("DOB: 03/14/1985", "DOB"), ("رقم الهوية الوطنية: 1067817492", "الهويه")],
)
def test_the_cue_that_raised_a_finding_is_reported(text: str, context_word: str) -> None:
    (finding,) = find_pii(text)
    assert context_word in finding.context


def test_bidi_marks_tatweel_and_digits_map_back_exactly() -> None:
    text = f"الهاتف {RLM}٠٥٥{TATWEEL} ١٢٣ ٤٥٦٧{RLM} والهوية {ALM}۱۰۶۷۸۱۷۴۹۲{ALM}."
    findings = find_pii(text)
    assert [(f.label, f.text) for f in findings] == [
        ("PHONE", f"٠٥٥{TATWEEL} ١٢٣ ٤٥٦٧"),
        ("SA_NATIONAL_ID", "۱۰۶۷۸۱۷۴۹۲"),
    ]
    assert all(text[f.start : f.end] == f.text for f in findings)


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        (("US",), [("US_SSN", "372-18-4406")]),
        (("SA",), [("PHONE", "055 123 4567")]),
        (("US", "SA"), [("US_SSN", "372-18-4406"), ("PHONE", "055 123 4567")]),
    ],
)
def test_regions_choose_numbering_plans_and_ids(regions: tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    assert found("SSN 372-18-4406 and mobile 055 123 4567", regions=regions) == expected


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("29001010112345", True),
        ("30103032490431", True),
        ("29001018812345", True),  # born abroad
        ("19001010112345", False),  # century digit
        ("29002300112345", False),  # 30 February
        ("29001010512345", False),  # governorate 05 does not exist
        ("39901010112345", False),  # born in 2099: the future
        ("2900101011234", False),  # 13 digits
    ],
)
def test_egyptian_id_structure(digits: str, valid: bool) -> None:
    assert eg_id_is_valid(digits) is valid


@pytest.mark.parametrize(
    ("bad", "kwargs"),
    [(None, {}), ("x" * 200_001, {}), ("text", {"regions": ()}), ("text", {"regions": ("USA",)})],
)
def test_bad_input_is_a_clear_error(bad: object, kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        find_pii(bad, **kwargs)  # type: ignore[arg-type]


@pytest.mark.timeout(10)
def test_hostile_input_ends_quickly() -> None:
    hostile = ("1 " * 20_000) + ("1-" * 20_000) + ("a@" * 10_000) + ("شارع " * 5_000)
    assert isinstance(find_pii(hostile), list)


def test_findings_do_not_overlap_and_are_in_order() -> None:
    text = ("Name: Jo\nDOB: 03/14/1985\nSSN: 372-18-4406\nPhone: (202) 555-0143\n"
            "Home: 742 Evergreen Terrace, Springfield, IL 62704\nCard 4111 1111 1111 1111")
    findings: list[Finding] = find_pii(text)
    assert [f.label for f in findings] == ["DATE_OF_BIRTH", "US_SSN", "PHONE", "STREET_ADDRESS", "CREDIT_CARD"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
