"""Redaction (mask, label, hash per label) and the masked rendering used in evidence."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from leakwarden.errors import InvalidInput
from leakwarden.signals.pii import Finding, find_pii, masked_value, redact, value_hash
from leakwarden.signals.pii.keys import hash_key

DOSSIER = "SSN: 372-18-4406, home 742 Evergreen Terrace, Springfield, IL 62704, mail jo@example.org"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("mask", "SSN: ***-**-****, home *** ********* *******, ***********, ** *****, mail **@*******.***"),
        ("label", "SSN: [US_SSN], home [STREET_ADDRESS], mail [EMAIL]"),
    ],
)
def test_one_style_for_every_label(style: str, expected: str) -> None:
    assert redact(DOSSIER, find_pii(DOSSIER), style) == expected  # type: ignore[arg-type]


def test_hash_style_is_stable_and_keyed() -> None:
    findings = find_pii("SSN 372-18-4406")
    default = redact("SSN 372-18-4406", findings, "hash")  # keyed with the deployment's key
    digest = hmac.new(hash_key(), b"372184406", hashlib.sha256).hexdigest()[:12]
    assert default == f"SSN [US_SSN:{digest}]"
    assert hashlib.sha256(b"372184406").hexdigest()[:12] not in default  # never a bare hash
    keyed = redact("SSN 372-18-4406", findings, "hash", key=b"secret")
    assert keyed != default and keyed.startswith("SSN [US_SSN:")
    # the same value written another way hashes the same
    assert redact("SSN ٣٧٢-١٨-٤٤٠٦", find_pii("SSN ٣٧٢-١٨-٤٤٠٦"), "hash") == default


def test_style_per_label_with_a_default() -> None:
    out = redact(DOSSIER, find_pii(DOSSIER), {"US_SSN": "label", "EMAIL": "hash"}, default="mask")
    assert out.startswith("SSN: [US_SSN], home *** *********")
    assert "[EMAIL:" in out and "jo@example.org" not in out


def test_arabic_redaction_keeps_the_rest_of_the_text() -> None:
    text = "الهوية \u200f١٠٦٧٨١٧٤٩٢\u200f والجوال ٠٥٥ ١٢٣ ٤٥٦٧ شكرا"
    out = redact(text, find_pii(text), "label")
    assert out == "الهوية \u200f[SA_NATIONAL_ID]\u200f والجوال [PHONE] شكرا"


@pytest.mark.parametrize(
    ("label", "value", "masked"),
    [
        ("US_SSN", "372-18-4406", "***-**-4406"),
        ("US_SSN_PARTIAL", "XXX-XX-4821", "***-**-4821"),
        ("CREDIT_CARD", "4111 1111 1111 1111", "**** **** **** 1111"),
        ("PHONE", "+1 (202) 555-0143", "+* (***) ***-0143"),
        ("EMAIL", "jane.doe@example.org", "j***@example.org"),
        ("DATE_OF_BIRTH", "03/14/1985", "**/**/****"),
        ("SA_NATIONAL_ID", "١٠٦٧٨١٧٤٩٢", "**********"),
        ("STREET_ADDRESS", "12 Oak St", "** *** **"),
    ],
)
def test_masked_value_never_shows_the_whole_value(label: str, value: str, masked: str) -> None:
    f = Finding(label, 0, len(value), value, 0.9)  # type: ignore[arg-type]
    assert masked_value(f) == masked


def test_value_hash_is_of_the_normalized_value() -> None:
    a = Finding("PHONE", 0, 12, "055 123 4567", 0.9)
    b = Finding("PHONE", 0, 10, "٠٥٥١٢٣٤٥٦٧", 0.9)
    assert value_hash(a) == value_hash(b) == hmac.new(hash_key(), b"0551234567", hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("style", "findings"),
    [
        ("scramble", []),
        ({"NOT_A_LABEL": "mask"}, []),
        ("mask", [Finding("EMAIL", 0, 5, "wrong", 0.9)]),  # does not match the text
        ("mask", [Finding("EMAIL", 0, 99, "x" * 99, 0.9)]),  # out of range
    ],
)
def test_bad_redaction_requests_are_clear_errors(style: object, findings: list[Finding]) -> None:
    with pytest.raises(InvalidInput):
        redact("some text here", findings, style)  # type: ignore[arg-type]
