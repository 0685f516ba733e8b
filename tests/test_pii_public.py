"""Public is not private: public places and contact points are found but marked ``public``; a
person's home address, own phone and own e-mail stay private; address spans hold together.

Each row: a text, the value in it, and whether that value is public.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leakwarden.model import Subject, SubjectKind
from leakwarden.signals.pii import PiiDetector, find_pii
from leakwarden.signals.pii.public import PUBLIC_CONFIDENCE

KEY = b"k" * 32
ROOT = Path(__file__).resolve().parent.parent

Row = tuple[str, str, str, bool]  # text, label, value, public

ROWS: list[Row] = [
    # public places, introduced as such
    ("Tours of the White House, 1600 Pennsylvania Avenue NW, Washington, DC 20500, are free.",
     "STREET_ADDRESS", "1600 Pennsylvania Avenue NW, Washington, DC 20500", True),
    ("Dallas City Hall sits at 1500 Marilla Street, Dallas, TX 75201.",
     "STREET_ADDRESS", "1500 Marilla Street, Dallas, TX 75201", True),
    ("The Egyptian embassy: 3521 International Ct NW, Washington, DC 20008",
     "STREET_ADDRESS", "3521 International Ct NW, Washington, DC 20008", True),
    ("Dental clinic at 77 Birch Road, Albany, NY 12203, open Saturdays.",
     "STREET_ADDRESS", "77 Birch Road, Albany, NY 12203", True),
    ("مقر الأمانة: مبنى 1180، طريق الملك عبدالعزيز، حي الملز، الرياض 12629",
     "STREET_ADDRESS", "مبنى 1180، طريق الملك عبدالعزيز، حي الملز، الرياض 12629", True),
    ("مستشفى السلام: 40 ش الهرم، الجيزة", "STREET_ADDRESS", "40 ش الهرم، الجيزة", True),
    # an office unit is a workplace
    ("Meet at Office 807, Gate Tower, Al Reem Island, Abu Dhabi.",
     "STREET_ADDRESS", "Office 807, Gate Tower, Al Reem Island, Abu Dhabi", True),
    # public contact points
    ("Volunteer hotline: (415) 872-3391.", "PHONE", "(415) 872-3391", True),
    ("Questions? 1-866-290-4417 (no charge)", "PHONE", "1-866-290-4417", True),  # toll-free by number
    ("خدمة العملاء: 02 2345 6780", "PHONE", "02 2345 6780", True),
    ("UAE freephone 800 4244444 for residents", "PHONE", "800 4244444", True),
    ("write to media.relations@transport.gov.ae", "EMAIL", "media.relations@transport.gov.ae", True),
    ("info@al-amal-hospital.com.eg للمواعيد", "EMAIL", "info@al-amal-hospital.com.eg", True),
    ("Contact: press@ossoff.senate.gov", "EMAIL", "press@ossoff.senate.gov", True),
    # private: a home, a personal line, a named person's e-mail
    ("he lives at 418 Birch Road, Albany, NY 12203", "STREET_ADDRESS", "418 Birch Road, Albany, NY 12203", False),
    ("Works at the clinic, but her home is 9 Cedar Ct, Boise, ID 83706.",
     "STREET_ADDRESS", "9 Cedar Ct, Boise, ID 83706", False),
    ("منزله في 3 ش شبرا، شقة 9، الدور الأول، القاهرة",
     "STREET_ADDRESS", "3 ش شبرا، شقة 9، الدور الأول، القاهرة", False),
    ("يعمل في الوزارة ويسكن في فيلا 7، شارع 22، الخالدية، أبوظبي",
     "STREET_ADDRESS", "فيلا 7، شارع 22، الخالدية، أبوظبي", False),
    ("Not the office number; his personal cell is (415) 872-3392", "PHONE", "(415) 872-3392", False),
    ("رقم جوالها الخاص 0551234568", "PHONE", "0551234568", False),
    ("her email: jmoreno.home@gmail.com", "EMAIL", "jmoreno.home@gmail.com", False),
    ("Press secretary's own address: amina.haddad@protonmail.com", "EMAIL", "amina.haddad@protonmail.com", False),
]


@pytest.mark.parametrize(("text", "label", "value", "public"), ROWS)
def test_public_or_private(text: str, label: str, value: str, public: bool) -> None:
    (finding,) = [f for f in find_pii(text) if f.label == label]
    assert finding.text == value
    assert finding.public is public
    assert finding.to_json()["public"] is public
    if public:
        assert finding.confidence == PUBLIC_CONFIDENCE and "public:" in finding.context
    else:
        assert finding.confidence > PUBLIC_CONFIDENCE


def test_a_stricter_search_leaves_public_findings_out() -> None:
    text = "Embassy switchboard +966 11 488 3800; his mobile +966 55 123 4567"
    assert [f.public for f in find_pii(text)] == [True, False]
    assert [f.text for f in find_pii(text, min_confidence=0.6)] == ["+966 55 123 4567"]


def subject(text: str) -> Subject:
    return Subject(kind=SubjectKind.POST_TEXT, text=text)


@pytest.mark.parametrize(
    ("text", "labels", "public_labels", "unredacted", "dossier"),
    [
        # an embassy's address beside an ID number is no dossier
        ("Consulate office: Villa 18, Street 12, Al Bateen, Abu Dhabi. Emirates ID 784-1985-1234567-3",
         ["AE_EMIRATES_ID"], ["STREET_ADDRESS"], True, False),
        ("Ministry hotline +966 11 401 2220, media@moh.gov.sa", [], ["EMAIL", "PHONE"], False, False),
        ("يسكن في 15 ش مصطفى النحاس، مدينة نصر، القاهرة\nالرقم القومي: 29001011234567",
         ["EG_NATIONAL_ID", "STREET_ADDRESS"], [], True, True),
    ],
)
def test_signal_leaves_public_findings_out(text: str, labels: list[str], public_labels: list[str],
                                           unredacted: bool, dossier: bool) -> None:
    (signal,) = PiiDetector(hash_key=KEY).detect(subject(text))
    assert signal.attrs["labels"] == labels
    assert signal.attrs["public_labels"] == public_labels
    assert signal.attrs["public"] is bool(public_labels)
    assert signal.attrs["unredacted"] is unredacted
    assert signal.attrs["dossier"] is dossier
    for ev in signal.evidence:
        assert ev.data.get("public", False) is (ev.summary.endswith("(public contact point)"))


def test_the_signal_spec_declares_the_public_attributes() -> None:
    from leakwarden.signals.catalog import signal_specs

    attrs = signal_specs()["pii"].attrs
    assert {"public", "public_labels", "labels", "unredacted", "dossier"} <= set(attrs)


# -- address spans hold together --------------------------------------------------------------------
SPANS: list[tuple[str, list[tuple[str, str]]]] = [
    # Egyptian «ش» (street), then apartment and floor
    ("العنوان: 7 ش قصر النيل، شقة 402، الدور الرابع، وسط البلد، القاهرة",
     [("STREET_ADDRESS", "7 ش قصر النيل، شقة 402، الدور الرابع، وسط البلد، القاهرة")]),
    ("سكنه عمارة 17 ش البطل أحمد عبد العزيز، شقة 8، الدور 3، المهندسين",
     [("STREET_ADDRESS", "عمارة 17 ش البطل أحمد عبد العزيز، شقة 8، الدور 3، المهندسين")]),
    # Emirati apartment in a named tower
    ("عنوانها: شقة 2705، برج السيف، دبي مارينا، دبي", [("STREET_ADDRESS", "شقة 2705، برج السيف، دبي مارينا، دبي")]),
    # an address on one line, the national ID on the next: both found, the address stops at the line
    ("يسكن في 4 ش الجيش، شقة 3، طنطا\n29001011234567",
     [("STREET_ADDRESS", "4 ش الجيش، شقة 3، طنطا"), ("EG_NATIONAL_ID", "29001011234567")]),
    ("العنوان: 11 ش النصر، المعادي، القاهرة\n30105120101234",
     [("STREET_ADDRESS", "11 ش النصر، المعادي، القاهرة"), ("EG_NATIONAL_ID", "30105120101234")]),
    # a Saudi national address in English, with a long street name and a bare district name
    ("His address: Building 6120, Prince Mohammed bin Saad bin Abdulaziz Road, Al Malqa, Riyadh 13521, "
     "Additional No. 3362",
     [("STREET_ADDRESS", "Building 6120, Prince Mohammed bin Saad bin Abdulaziz Road, Al Malqa, Riyadh 13521, "
                         "Additional No. 3362")]),
    # a word merely starting with ش is no street
    ("شمال المدينة 12 شخصا", []),
]


@pytest.mark.parametrize(("text", "expected"), SPANS)
def test_address_spans(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(f.label, f.text) for f in find_pii(text)] == expected


def test_the_public_private_evaluation_file_is_balanced() -> None:
    rows = [json.loads(line) for line in
            (ROOT / "bench" / "data" / "pii" / "public_private.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 120
    for lang in ("en", "ar"):
        public = sum(r["kind"] == "public" for r in rows if r["lang"] == lang)
        private = sum(r["kind"] == "private" for r in rows if r["lang"] == lang)
        assert public == private > 0
    assert {"tune", "test"} <= {r["split"] for r in rows}
    for r in rows:
        for s in r["spans"]:
            assert 0 <= s["start"] < s["end"] <= len(r["text"])
