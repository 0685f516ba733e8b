"""The CLI: the same core, one readable line and a non-zero exit on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leakwarden.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.db")


def test_rules_lifecycle(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "rules", "add", "--domain", "Newsletter.Example.", "--action", "block",
                       "--reason", "source", "--source", "--db", db)
    assert code == 0 and "rule 1: block domain newsletter.example" in out
    code, out, _ = run(capsys, "rules", "list", "--json", "--db", db)
    assert [r["pattern"] for r in json.loads(out)] == ["newsletter.example"]
    code, out, _ = run(capsys, "rules", "remove", "1", "--db", db)
    assert code == 0
    code, out, err = run(capsys, "rules", "remove", "1", "--db", db)
    assert code == 2 and err.strip() == "error: no active URL rule with id 1"


@pytest.mark.parametrize("args,message", [
    (["rules", "add", "--url", "http://a.example/", "--domain", "b.example", "--reason", "r"], "exactly one"),
    (["rules", "add", "--domain", "a.example", "--action", "nuke", "--reason", "r"], "block, warn, allow"),
    (["rules", "add", "--domain", "a.example", "--reason", " "], "needs a reason"),
    (["canonicalize", "mailto:someone@example.com"], "error:"),
    (["check", "/nonexistent/post.json"], "no such file"),
    (["keys", "create", "--role", "emperor"], "role must be one of"),
    (["report", "--from", "2026-12-01", "--to", "2026-11-01"], "start must be before its end"),
    (["check", "-", "--policy", "no-such-policy"], "no preset or file"),
])
def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], db: str, args: list[str], message: str) -> None:
    code, _, err = run(capsys, *args, "--db", db) if args[0] not in ("canonicalize",) else run(capsys, *args)
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and message in err


def test_check_scan_and_report(capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    run(capsys, "rules", "add", "--domain", "newsletter.example", "--reason", "source", "--source", "--db", db)
    post = {"id": "p1", "author": "journo", "text": "https://newsletter.example/p/dossier"}
    path = tmp_path / "post.json"
    path.write_text(json.dumps(post))
    code, out, _ = run(capsys, "check", str(path), "--db", db)
    decision = json.loads(out)
    assert code == 0 and decision["verdict"] == "remove" and decision["reasons"][0]["signal"] == "url_rule"
    stream = tmp_path / "posts.jsonl"
    stream.write_text("\n".join([json.dumps(post), "not json", json.dumps({**post, "id": "p2", "text": "hi"}),
                                 json.dumps({"id": "p3"})]) + "\n")
    out_file = tmp_path / "decisions.ndjson"
    code, out, _ = run(capsys, "scan", str(stream), "--out", str(out_file), "--ingest", "--db", db)
    lines = [json.loads(x) for x in out_file.read_text().splitlines()]
    assert code == 0 and [x.get("verdict") for x in lines] == ["remove", None, "allow", None]
    assert [x["error"]["code"] for x in lines if "error" in x] == ["malformed_json", "invalid_post"]
    assert "remove" in out and "invalid lines" in out
    code, out, _ = run(capsys, "accounts", "show", "journo", "--db", db)
    assert json.loads(out)["state"] == "suspended"
    code, out, _ = run(capsys, "requests", "add", "--kind", "campaign", "--from", "Harper campaign", "--asked",
                       "take down the dossier", "--outcome", "complied", "--action", "1", "--db", db)
    assert code == 0, out
    code, out, _ = run(capsys, "report", "--out", str(tmp_path / "report"), "--db", db)
    html = (tmp_path / "report" / "report.html").read_text()
    assert code == 0 and "<svg" in html and "source-of-hacked-material" in html
    assert "campaign,complied,1" in (tmp_path / "report" / "requests.csv").read_text()
    code, out, _ = run(capsys, "audit", "verify", "--db", db)
    assert code == 0 and out.startswith("ok:")


def test_retro_apply(capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path) -> None:
    stream = tmp_path / "posts.jsonl"
    stream.write_text(json.dumps({"id": "old", "author": "a", "text": "https://files.example/d.pdf"}) + "\n")
    run(capsys, "scan", str(stream), "--ingest", "--out", str(tmp_path / "o.ndjson"), "--db", db)
    run(capsys, "rules", "add", "--domain", "files.example", "--reason", "hosts it", "--db", db)
    code, out, _ = run(capsys, "rules", "apply", "--retro", "--db", db)
    assert code == 0 and "1 stored posts link to blocked URLs; 1 now restricted or removed" in out


def test_audit_verify_fails_on_tampering(capsys: pytest.CaptureFixture[str], db: str) -> None:
    import sqlite3

    run(capsys, "rules", "add", "--domain", "a.example", "--reason", "r", "--db", db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_events SET actor = 'x' WHERE seq = 1")
    code, out, _ = run(capsys, "audit", "verify", "--db", db)
    assert code == 1 and "BROKEN at event 1" in out


def test_keys_create_prints_a_key_once(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run(capsys, "keys", "create", "--role", "moderator", "--db", db)
    key = out.strip()
    assert code == 0 and key.startswith("lw_") and len(key) > 30
    code, out, _ = run(capsys, "keys", "list", "--db", db)
    assert key not in out and json.loads(out)[0]["role"] == "moderator"


def test_console_script_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "leakwarden", "canonicalize", "HTTP://A.Example/%7Ex/../y"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "http://a.example/y"


def test_bank_scan_finds_stored_posts_that_match_new_items(capsys: pytest.CaptureFixture[str], db: str,
                                                           tmp_path: Path) -> None:
    leak = ("Between 2022 and 2025 the consulting firm Ridgeline Strategy received 312,000 dollars from the "
            "Ohio Valley Ports Authority while the candidate sat on its advisory board, and two former staff "
            "members say he asked them to delay the disclosure filings until after the primary election.")
    stream = tmp_path / "posts.jsonl"
    stream.write_text("\n".join(json.dumps(p) for p in [
        {"id": "q1", "author": "amp", "text": f"From the leak: {leak} Share it."},
        {"id": "q2", "author": "jane", "text": "Polls open at 7am on Tuesday."}]) + "\n")
    run(capsys, "scan", str(stream), "--ingest", "--out", str(tmp_path / "o.ndjson"), "--db", db)
    item = tmp_path / "dossier.txt"
    item.write_text("CONFIDENTIAL opposition file. " + leak + " Internal poll: 41 percent.")
    assert run(capsys, "bank", "create", "harper", "--label", "hack-and-leak", "--db", db)[0] == 0
    assert run(capsys, "bank", "add", "harper", str(item), "--id", "dossier", "--db", db)[0] == 0
    code, out, _ = run(capsys, "bank", "scan", "--since", "1d", "--db", db)
    assert code == 0 and "1 stored post(s) match known material: q1" in out
    code, out, _ = run(capsys, "accounts", "show", "amp", "--db", db)
    assert json.loads(out)["state"] == "suspended"
    code, _, err = run(capsys, "bank", "scan", "--since", "a week", "--db", db)
    assert code == 2 and "--since" in err
