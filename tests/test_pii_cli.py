"""``leakwarden pii`` and ``leakwarden redact``, on a fresh Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from leakwarden.cli.pii import register
from leakwarden.errors import InvalidInput

TEXT = "SSN: 372-18-4406\nهاتف: ٠٥٥ ١٢٣ ٤٥٦٧\n"


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def run(app: typer.Typer, args: list[str], stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, args, input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("from_stdin", [True, False])
def test_pii_prints_findings_as_json(cli: typer.Typer, tmp_path: Path, from_stdin: bool) -> None:
    path = tmp_path / "post.txt"
    path.write_text(TEXT, encoding="utf-8")
    out = run(cli, ["pii", "-"], TEXT) if from_stdin else run(cli, ["pii", str(path)])
    findings = json.loads(out)
    assert [(f["label"], f["start"], f["end"], f["text"]) for f in findings] == [
        ("US_SSN", 5, 16, "372-18-4406"),
        ("PHONE", 23, 35, "٠٥٥ ١٢٣ ٤٥٦٧"),
    ]
    assert all({"label", "start", "end", "text", "confidence"} <= f.keys() for f in findings)


def test_pii_batch_jsonl(cli: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [{"id": "a", "text": "mail jo@example.org"}, {"id": 7, "text": "nothing here"}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    out = [json.loads(line) for line in run(cli, ["pii", "--jsonl", str(path)]).splitlines()]
    assert [o["id"] for o in out] == ["a", 7]
    assert [f["label"] for f in out[0]["findings"]] == ["EMAIL"] and out[1]["findings"] == []


def test_pii_regions_option(cli: typer.Typer) -> None:
    assert [f["label"] for f in json.loads(run(cli, ["pii", "-", "--regions", "US"], TEXT))] == ["US_SSN"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["redact", "-"], "SSN: ***-**-****\nهاتف: *** *** ****\n"),
        (["redact", "-", "--style", "label"], "SSN: [US_SSN]\nهاتف: [PHONE]\n"),
        (["redact", "-", "--label-style", "PHONE=label"], "SSN: ***-**-****\nهاتف: [PHONE]\n"),
    ],
)
def test_redact(cli: typer.Typer, args: list[str], expected: str) -> None:
    assert run(cli, args, TEXT) == expected


def test_redact_hash_uses_the_key_from_the_environment(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = run(cli, ["redact", "-", "--style", "hash"], TEXT)
    monkeypatch.setenv("LEAKWARDEN_PII_HASH_KEY", "s3cret")
    keyed = run(cli, ["redact", "-", "--style", "hash"], TEXT)
    assert plain != keyed and "372-18-4406" not in keyed and "[US_SSN:" in keyed


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["pii"], None, "give a FILE"),
        (["pii", "missing.txt"], None, "no such file"),
        (["pii", "--jsonl", "-"], "not json\n", "not valid JSON"),
        (["pii", "--jsonl", "-"], '{"text": "no id"}\n', '"id"'),
        (["pii", "-", "--jsonl", "x"], "", "not both"),
        (["pii", "-", "--regions", "USA"], "x", "two-letter"),
        (["redact", "-", "--style", "blur"], "x", "unknown style"),
        (["redact", "-", "--label-style", "SSN"], "x", "LABEL=STYLE"),
        (["redact", "-", "--label-style", "NOPE=mask"], "x", "unknown PII label"),
    ],
)
def test_bad_input_raises_a_clear_error(cli: typer.Typer, args: list[str], stdin: str | None, message: str) -> None:
    result = CliRunner().invoke(cli, args, input=stdin)
    assert isinstance(result.exception, InvalidInput)
    assert message in result.exception.message
