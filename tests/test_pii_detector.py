"""PiiDetector: one Signal per subject, the attrs a policy tests, evidence without clear values."""

from __future__ import annotations

import logging

import pytest

from leakwarden.engine import Engine
from leakwarden.model import Post, Subject, SubjectKind, Verdict
from leakwarden.signals.base import TEXT_SUBJECTS, Detector
from leakwarden.signals.pii import PiiDetector

ADDRESS = "742 Evergreen Terrace, Springfield, IL 62704"


def subject(text: str, kind: SubjectKind = SubjectKind.POST_TEXT) -> Subject:
    return Subject(kind=kind, text=text)


def test_it_is_a_detector_for_text_subjects() -> None:
    det = PiiDetector()
    assert isinstance(det, Detector)
    assert det.kind == "pii" and det.subjects == TEXT_SUBJECTS


@pytest.mark.parametrize(
    ("text", "labels", "unredacted", "redacted", "dossier"),
    [
        (f"SSN 372-18-4406, home {ADDRESS}", ["STREET_ADDRESS", "US_SSN"], True, False, True),
        (f"SSN XXX-XX-4821, home {ADDRESS}", ["STREET_ADDRESS", "US_SSN_PARTIAL"], True, True, True),
        ("SSN: XXX-XX-4821 (court copy)", ["US_SSN_PARTIAL"], False, True, False),
        (f"call (202) 555-0143 or visit {ADDRESS}", ["PHONE", "STREET_ADDRESS"], True, False, False),
        ("رقم الهوية ١٠٦٧٨١٧٤٩٢، العنوان: رقم المبنى ٣٤٥٦، شارع الأمير سلطان، حي الروضة، جدة ٢٣٤٣٥",
         ["SA_NATIONAL_ID", "STREET_ADDRESS"], True, False, True),
        ("الرقم القومي ٢٩٠٠١٠١٠١٢٣٤٥٦ وعنوانه ١٢ شارع التحرير، الدقي، الجيزة",
         ["EG_NATIONAL_ID", "STREET_ADDRESS"], True, False, True),
        ("Emirates ID 784-1985-1234567-3, Villa 23, Street 15, Jumeirah 1, Dubai",
         ["AE_EMIRATES_ID", "STREET_ADDRESS"], True, False, True),
    ],
)
def test_signal_attrs(text: str, labels: list[str], unredacted: bool, redacted: bool, dossier: bool) -> None:
    (signal,) = PiiDetector().detect(subject(text))
    assert signal.kind == "pii"
    assert signal.attrs == {"labels": labels, "unredacted": unredacted, "redacted": redacted,
                            "dossier": dossier, "count": len(signal.evidence),
                            "sample": False, "sample_labels": [], "public": False, "public_labels": []}
    assert signal.strength == max(e.data["confidence"] for e in signal.evidence)


@pytest.mark.parametrize("text", ["", "nothing private here", "Order #2025550143 shipped, ISBN 978-0-306-40615-7"])
def test_no_findings_no_signal(text: str) -> None:
    assert PiiDetector().detect(subject(text)) == []


def test_evidence_is_masked_and_hashed_unless_revealed() -> None:
    text = f"SSN 372-18-4406, home {ADDRESS}"
    (signal,) = PiiDetector().detect(subject(text, SubjectKind.DOCUMENT))
    ssn = signal.evidence[0]
    assert ssn.summary == "US_SSN" and ssn.span == (4, 15)
    assert ssn.data["masked_value"] == "***-**-4406" and len(ssn.data["sha256"]) == 64
    assert "value" not in ssn.data
    assert "372-18-4406" not in signal.model_dump_json()
    (revealed,) = PiiDetector(reveal=True).detect(subject(text))
    assert revealed.evidence[0].data["value"] == "372-18-4406"


def test_masked_findings_are_summarised_as_masked() -> None:
    (signal,) = PiiDetector().detect(subject("SSN: XXX-XX-4821"))
    assert signal.evidence[0].summary == "US_SSN_PARTIAL (masked)"
    assert signal.evidence[0].data["masked"] is True


def test_hash_key_changes_the_stored_hash() -> None:
    a = PiiDetector().detect(subject("SSN 372-18-4406"))[0].evidence[0].data["sha256"]
    b = PiiDetector(hash_key=b"k").detect(subject("SSN 372-18-4406"))[0].evidence[0].data["sha256"]
    assert a != b


def test_private_values_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    PiiDetector().detect(subject(f"SSN 372-18-4406, home {ADDRESS}"))
    assert caplog.records, "the detector should log something to check"
    assert not any("372-18-4406" in r.getMessage() or "Evergreen" in r.getMessage() for r in caplog.records)


def test_strict_policy_removes_a_dossier_and_labels_a_redacted_post(db_url: str) -> None:
    engine = Engine(db_url, policy="strict", detectors=[PiiDetector()])
    dossier = Post(id="p1", author="a", text=f"Candidate's SSN XXX-XX-4821, lives at {ADDRESS}")
    decision = engine.check(dossier)
    assert decision.verdict == Verdict.REMOVE
    assert any(r.clause == "dossier" for r in decision.reasons)
    redacted = Post(id="p2", author="a", text="court copy: SSN ***-**-4821")
    assert engine.check(redacted).verdict == Verdict.LABEL


def test_long_documents_are_read_whole() -> None:
    filler = "lorem ipsum dolor sit amet. " * 9_000  # ~250 kB, over one find_pii call
    text = f"SSN 372-18-4406 {filler} card 4111 1111 1111 1111 {filler} mail jo@example.org"
    (signal,) = PiiDetector().detect(subject(text, SubjectKind.DOCUMENT))
    assert signal.attrs["labels"] == ["CREDIT_CARD", "EMAIL", "US_SSN"]
    spans = [e.span for e in signal.evidence if e.span is not None]
    assert [text[s:e] for s, e in spans] == ["372-18-4406", "4111 1111 1111 1111", "jo@example.org"]
