"""What a peer's test suite found (issue 15) and hardening (issue 10), each in its own values.

Cards beside other numbers, significant leading zeros, internationalized domains, what an IBAN
finding promises, SSN shapes that are not phone numbers, national forms outside the default
regions, published sample SSNs; years taken for partial SSNs, masked cards, keyed hashes; and the
peer-suite benchmark's reading of parametrize tables.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from leakwarden.model import Subject, SubjectKind
from leakwarden.signals.pii import PiiDetector, find_pii, redact
from leakwarden.signals.pii import keys as pii_keys
from leakwarden.signals.pii.redact import normalized_value

ADDRESS = "742 Evergreen Terrace, Springfield, IL 62704"


def found(text: str, **kw: object) -> list[tuple[str, str]]:
    return [(f.label, f.text) for f in find_pii(text, **kw)]  # type: ignore[arg-type]


def only(text: str, label: str, **kw: object) -> list[str]:
    return [t for lab, t in found(text, **kw) if lab == label]


# -- 1. a card beside an expiry date, a CVV or another card --------------------------------------
@pytest.mark.parametrize(
    ("text", "cards"),
    [
        ("Visa 4929526018159081 11/28 cvv 417", ["4929526018159081"]),
        ("card: 5425-3016-6131-8608 03/29", ["5425-3016-6131-8608"]),
        ("4929 5260 1815 9081 11/28 cvv 417", ["4929 5260 1815 9081"]),
        ("exp 11/28 4929 5260 1815 9081", ["4929 5260 1815 9081"]),
        ("4929526018159081 5425-3016-6131-8608 6011 0824 6281 9485",
         ["4929526018159081", "5425-3016-6131-8608", "6011 0824 6281 9485"]),
        ("cards 4929526018159081 6011082462819485 on file", ["4929526018159081", "6011082462819485"]),
        # a longer number in the same grouping is not a card with something after it
        ("ref 4929 5260 1815 9081 2231", []),
        ("2231 4929 5260 1815 9081", []),
        ("4929-5260-1815-9081-2231", []),
    ],
)
def test_a_card_is_found_beside_other_numbers(text: str, cards: list[str]) -> None:
    assert only(text, "CREDIT_CARD") == cards


# -- 2. a significant leading zero survives ------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "regions", "phone"),
    [
        ("office: +39 06 4991 2345", None, "+39 06 4991 2345"),  # Rome: the 0 is part of the number
        ("mobile +225 01 23 45 67 89", None, "+225 01 23 45 67 89"),  # Côte d'Ivoire, ten digits
        ("Tel. 0039 06 4991 2345", None, "0039 06 4991 2345"),
        ("chiamami allo 06 4991 2345", ("IT",), "06 4991 2345"),
    ],
)
def test_a_leading_zero_of_the_number_is_kept(text: str, regions: tuple[str, ...] | None, phone: str) -> None:
    kw = {"regions": regions} if regions else {}
    assert only(text, "PHONE", **kw) == [phone]


# -- 3. internationalized domains ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "emails"),
    [
        ("press: media@xn--mgbh0fb.xn--ngbrx today", ["media@xn--mgbh0fb.xn--ngbrx"]),
        ("write to ops@xn--bcher-kva.example.", ["ops@xn--bcher-kva.example"]),
        ("почта: ivan@пример.рф", ["ivan@пример.рф"]),
        ("not an address: ops@xn--.", []),
        ("still not: name@domain", []),
    ],
)
def test_internationalized_domains(text: str, emails: list[str]) -> None:
    assert only(text, "EMAIL") == emails


# -- 4. what an IBAN finding says it checked -----------------------------------------------------
@pytest.mark.parametrize(
    ("text", "context"),
    [
        # a Belgian bank code (159) python-stdnum's registry lacks: still an IBAN, and it says so
        ("IBAN BE74159123456707", "mod 97 + BE length and format; national check not passed"),
        ("IBAN BE35310123456737", "mod 97 + BE length and format + national check digits"),
        ("IBAN DE12500105170648489890", "mod 97 + DE length and format"),
    ],
)
def test_the_iban_context_names_the_checks_that_ran(text: str, context: str) -> None:
    (finding,) = find_pii(text)
    assert finding.label == "IBAN" and finding.context.startswith(context)


def test_an_iban_whose_national_check_digits_fail_is_not_one() -> None:
    # mod 97 holds, the Belgian account's own check digits (38 instead of 37) do not
    assert found("IBAN BE08310123456738") == []


# -- 5. an SSN's shape is not a phone number without a phone keyword ------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("042 55 1234", [("US_SSN", "042 55 1234")]),  # also a valid Dubai landline
        ("042.55.1234", [("US_SSN", "042.55.1234")]),
        ("applicant 042 55 1234 (SSN)", [("US_SSN", "042 55 1234")]),
        ("SSN: 042 55 1234", [("US_SSN", "042 55 1234")]),
        ("tel: 042 55 1234", [("PHONE", "042 55 1234")]),  # said to be a phone: it is one
        ("ZIP+4 code 62704-1234 only", []),
    ],
)
def test_one_value_one_label(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


# -- 6. national forms without a trunk 0 outside the shipped regions -------------------------------
@pytest.mark.parametrize(
    ("text", "regions", "phone"),
    [
        ("微信同号 15912345678", ("CN",), "15912345678"),  # a Chinese mobile has no trunk 0
        ("cep: 541 234 56 78", ("TR",), "541 234 56 78"),
        ("ara 0541 234 56 78", ("TR",), "0541 234 56 78"),
        ("Cep 05412345678", ("TR",), "05412345678"),
        ("0 (541) 234 56 78", ("TR",), "0 (541) 234 56 78"),
        ("+90 541 234 56 78", None, "+90 541 234 56 78"),
    ],
)
def test_other_regions_read_numbers_as_written_there(text: str, regions: tuple[str, ...] | None,
                                                     phone: str) -> None:
    kw = {"regions": regions} if regions else {}
    assert only(text, "PHONE", **kw) == [phone]


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("15912345678", ("US", "SA", "AE", "EG")),  # not a default region
        ("5412345678", ("TR",)),  # a bare run without the trunk 0 and without a keyword
        ("551234567", ("SA",)),  # the shipped regions keep the trunk-0 rule
        ("call 55 123 4567", ("SA",)),
    ],
)
def test_the_trunk_rule_still_holds_where_it_should(text: str, regions: tuple[str, ...]) -> None:
    assert only(text, "PHONE", regions=regions) == []


# -- 7. published sample SSNs --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["SSN: 078-05-1120", "e.g. 123-45-6789", "Social Security No. 219-09-9999", "SSN 123456789",
             "SSN 555-55-5555 (placeholder)"],
)
def test_sample_ssns_are_reported_as_samples(text: str) -> None:
    (finding,) = find_pii(text)
    assert finding.label == "US_SSN" and finding.sample and finding.confidence == 0.5
    assert "sample" in finding.context or "placeholder" in finding.context
    assert finding.to_json()["sample"] is True


def test_a_sample_ssn_is_not_a_persons_private_information() -> None:
    text = f"Example form: SSN 078-05-1120, home {ADDRESS}"
    (signal,) = PiiDetector().detect(Subject(kind=SubjectKind.POST_TEXT, text=text))
    assert signal.attrs["sample"] is True and signal.attrs["sample_labels"] == ["US_SSN"]
    assert signal.attrs["labels"] == ["STREET_ADDRESS"]
    assert signal.attrs["dossier"] is False  # an address with a sample number is no dossier
    ssn = signal.evidence[0]
    assert ssn.data["sample"] is True and ssn.summary == "US_SSN (published sample)"
    (alone,) = PiiDetector().detect(Subject(kind=SubjectKind.POST_TEXT, text="SSN: 123-45-6789"))
    assert alone.attrs["unredacted"] is False and alone.attrs["labels"] == [] and alone.strength == 0.5


def test_a_real_ssn_is_not_a_sample() -> None:
    (finding,) = find_pii("SSN: 078-05-1121")
    assert not finding.sample and finding.confidence > 0.9


# -- issue 10 (a): a year or another number is not a partial SSN -----------------------------------
@pytest.mark.parametrize(
    ("text", "partials"),
    [
        ("His SSN ends in 4821, per a 2019 loan application", ["4821"]),
        ("SSN on file; last four shown on the 2019 loan application", []),
        ("the last four digits of the SSN appear on a 2019 loan application", []),
        ("We found his SSN and the last four digits of his card, 7755", []),
        ("SSN ending: see page 2019", []),
        ("her social security number, the last 4 of which leaked in 2021", []),
        ("last four of SSN. In 2018 she moved", []),
        ("آخر أربعة أرقام من رقم الضمان الاجتماعي سربت عام ٢٠١٩", []),
        # introduced as the last four: found, even when they look like a year
        ("SSN ending in 7310", ["7310"]),
        ("the last four of her SSN are 4821", ["4821"]),
        ("SSN (last 4): 0457", ["0457"]),
        ("Social security number, last four digits: 9034", ["9034"]),
        ("4821 (last four of his SSN)", ["4821"]),
        ("SSN ending in 2019", ["2019"]),
        ("آخر أربعة أرقام من رقم الضمان الاجتماعي ٤٨٢١", ["٤٨٢١"]),
    ],
)
def test_four_digits_are_a_partial_ssn_only_when_introduced_as_one(text: str, partials: list[str]) -> None:
    assert only(text, "US_SSN_PARTIAL") == partials


# -- issue 10 (b): a card with its last four digits showing is masked ------------------------------
@pytest.mark.parametrize(
    "text",
    ["**** **** **** 4821", "Card: **** **** **** 4821 exp 11/28", "XXXX-XXXX-XXXX-4821", "************4821",
     "card 4929 **** **** 9081", "492952******9081", "SSN and card ending in **** **** **** 4821"],
)
def test_a_masked_card_is_never_an_unredacted_card(text: str) -> None:
    findings = find_pii(text)
    assert [(f.label, f.masked) for f in findings] == [("CREDIT_CARD", True)]
    (signal,) = PiiDetector().detect(Subject(kind=SubjectKind.POST_TEXT, text=text))
    assert signal.attrs["unredacted"] is False and signal.attrs["redacted"] is True


# -- issue 10 (c): hashes of private values are always keyed --------------------------------------
@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "conf" / "leakwarden" / "pii-hash.key"
    monkeypatch.setenv("LEAKWARDEN_PII_HASH_KEY_FILE", str(path))
    monkeypatch.delenv("LEAKWARDEN_PII_HASH_KEY", raising=False)
    pii_keys.forget_cached_keys()
    return path


def test_no_stored_hash_is_an_unkeyed_hash_of_the_value(key_file: Path) -> None:
    text = "SSN 372-18-4406, DOB: 03/14/1985, call (202) 555-0143, mail jo@example.org"
    (signal,) = PiiDetector().detect(Subject(kind=SubjectKind.POST_TEXT, text=text))
    findings = find_pii(text)
    assert {f.label for f in findings} == {"US_SSN", "DATE_OF_BIRTH", "PHONE", "EMAIL"}
    for finding, evidence in zip(findings, signal.evidence, strict=True):
        plain = hashlib.sha256(normalized_value(finding).encode()).hexdigest()
        assert evidence.data["sha256"] != plain
        assert plain[:12] not in redact(text, [finding], "hash")


def test_the_key_file_is_made_once_private_and_reused(key_file: Path) -> None:
    first = pii_keys.hash_key()
    assert key_file.exists() and first == key_file.read_bytes().strip() and len(first) == 64
    if os.name == "posix":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    pii_keys.forget_cached_keys()  # a new process: reads the same file, does not make a new key
    assert pii_keys.hash_key() == first
    a = PiiDetector().detect(Subject(kind=SubjectKind.POST_TEXT, text="SSN 372-18-4406"))[0].evidence[0]
    pii_keys.forget_cached_keys()
    b = PiiDetector().detect(Subject(kind=SubjectKind.POST_TEXT, text="SSN 372-18-4406"))[0].evidence[0]
    assert a.data["sha256"] == b.data["sha256"]  # stable across processes: decisions recognize values
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary files left behind


def test_the_environment_key_wins_and_changes_the_hashes(key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_file = PiiDetector().detect(Subject(kind=SubjectKind.POST_TEXT, text="SSN 372-18-4406"))
    monkeypatch.setenv("LEAKWARDEN_PII_HASH_KEY", "an operator's secret")
    assert pii_keys.hash_key() == b"an operator's secret"
    from_env = PiiDetector().detect(Subject(kind=SubjectKind.POST_TEXT, text="SSN 372-18-4406"))
    assert from_file[0].evidence[0].data["sha256"] != from_env[0].evidence[0].data["sha256"]


def test_an_existing_key_file_is_never_replaced(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(b"a key an operator wrote by hand\n")
    key_file.chmod(0o600)
    assert pii_keys.hash_key() == b"a key an operator wrote by hand"
    assert key_file.read_bytes() == b"a key an operator wrote by hand\n"


def test_without_a_key_the_detector_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("LEAKWARDEN_PII_HASH_KEY_FILE", str(blocker / "sub" / "pii-hash.key"))
    monkeypatch.delenv("LEAKWARDEN_PII_HASH_KEY", raising=False)
    pii_keys.forget_cached_keys()
    with pytest.raises(pii_keys.HashKeyUnavailable, match="LEAKWARDEN_PII_HASH_KEY"):
        PiiDetector()


def test_a_short_key_file_is_refused(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(b"short\n")
    with pytest.raises(pii_keys.HashKeyUnavailable, match="at least"):
        pii_keys.hash_key()


def test_the_redact_command_hashes_with_the_key_file(key_file: Path) -> None:
    import typer

    from leakwarden.cli.pii import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["redact", "-", "--style", "hash"], input="SSN 372-18-4406")
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(b"372184406").hexdigest()[:12] not in result.stdout
    assert key_file.exists() and result.stdout.startswith("SSN [US_SSN:")


# -- the peer-suite benchmark reads tables with ast ------------------------------------------------
def _bench() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "bench" / "bench_pii_peer.py"
    spec = importlib.util.spec_from_file_location("bench_pii_peer", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pii_peer"] = module
    spec.loader.exec_module(module)
    return module


FAKE_PHONE_TESTS = '''
import pytest

@pytest.fixture
def recognizer():
    return PhoneRecognizer(supported_regions=["TR"])

@pytest.mark.parametrize(
    "text, expected_len, expected_positions",
    [
        ("cep: 0541 234 56 78", 1, ((5, 19),)),
        ("no phone here", 0, ()),
        (make_text(), 1, ()),
    ],
)
def test_phones(text, expected_len, expected_positions):
    pass
'''
FAKE_EMAIL_TESTS = '''
import pytest

@pytest.mark.parametrize("text, expected_len", [("mail ops@example.org", 1), ("mail ops@example", 1)])
def test_emails(text, expected_len):
    pass
'''


def test_the_bench_reads_parametrize_tables_and_sorts_disagreements(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tests = tmp_path / "presidio-analyzer" / "tests"
    tests.mkdir(parents=True)
    (tests / "test_tr_phone_recognizer.py").write_text(FAKE_PHONE_TESTS, encoding="utf-8")
    (tests / "test_email_recognizer.py").write_text(FAKE_EMAIL_TESTS, encoding="utf-8")
    bench = _bench()
    cases = bench.load_cases(tmp_path)
    assert [(c.entity, c.text, c.expected) for c in cases] == [
        ("EMAIL_ADDRESS", "mail ops@example.org", 1), ("EMAIL_ADDRESS", "mail ops@example", 1),
        ("PHONE_NUMBER", "cep: 0541 234 56 78", 1), ("PHONE_NUMBER", "no phone here", 0),
    ]  # the row that is not a literal is skipped
    assert cases[2].peer_regions == ("TR",)
    assert bench.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "default regions: agrees with --regions US,SA,AE,EG,TR" in out
    assert "not a deliberate difference (1)" in out and "'mail ops@example'" in out
