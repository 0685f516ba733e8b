"""The CLI: the same core, one readable line and a non-zero exit on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from e2e.cli import run


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A database made the way a user makes one: ``leakwarden init``."""
    path = str(tmp_path / "cli.db")
    code, out, _ = run(capsys, "init", "--db", path)
    assert code == 0 and out.startswith("created:")
    return path


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
    code, out, err = run(capsys, "scan", str(stream), "--out", str(out_file), "--ingest", "--db", db)
    lines = [json.loads(x) for x in out_file.read_text().splitlines()]
    assert code == 2 and [x.get("verdict") for x in lines] == ["remove", None, "allow", None]
    assert [x["error"]["code"] for x in lines if "error" in x] == ["malformed_json", "invalid_post"]
    assert "remove" in out and "invalid lines" in out
    assert err.strip().splitlines()[-1].startswith("error: 2 invalid line(s) skipped (line 2, 4)")
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


# -- a database is made only on purpose ----------------------------------------------------------
_POST = {"id": "p1", "author": "a", "text": "hello"}


@pytest.mark.parametrize("args", [
    ["check", "{post}"], ["scan", "{posts}", "--out", "{out}"], ["scan", "{posts}", "--ingest", "--out", "{out}"],
    ["serve"], ["rules", "add", "--domain", "a.example", "--reason", "r"], ["rules", "list"], ["rules", "remove", "1"],
    ["rules", "apply", "--retro"], ["keys", "create", "--role", "admin"], ["keys", "list"], ["audit", "verify"],
    ["audit", "list"], ["accounts", "show", "a"], ["requests", "list"], ["report", "--out", "{out}"],
    ["bank", "list"], ["bank", "create", "b", "--label", "l"], ["bank", "scan"], ["users", "list"],
])
def test_a_missing_database_is_refused_not_created(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    (tmp_path / "post.json").write_text(json.dumps(_POST))
    (tmp_path / "posts.jsonl").write_text(json.dumps(_POST) + "\n")
    filled = [a.format(post=tmp_path / "post.json", posts=tmp_path / "posts.jsonl", out=tmp_path / "out")
              for a in args]
    for target in (tmp_path / "dmeo.db", tmp_path / "no" / "such" / "dir" / "x.db"):
        code, out, err = run(capsys, *filled, "--db", str(target))
        assert code == 2 and out == "", (args, out)
        assert err.strip().splitlines() == [f"error: no database at {target}: create it with "
                                            f"`leakwarden init --db {target}` or add --create"]
        assert not target.exists()
    assert not (tmp_path / "no").exists() and not (tmp_path / "out").exists()
    monkeypatch.setenv("LEAKWARDEN_DATABASE_URL", str(tmp_path / "env.db"))  # the same through the environment
    code, _, err = run(capsys, *filled)
    assert code == 2 and "no database at" in err and not (tmp_path / "env.db").exists()


def test_init_or_create_makes_the_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "var" / "lw.db"
    code, out, _ = run(capsys, "init", "--db", str(target))
    assert code == 0 and out.strip() == f"created: sqlite:///{target}" and target.exists()
    code, out, _ = run(capsys, "init", "--db", str(target))
    assert code == 0 and out.startswith("schema up to date:")
    (tmp_path / "post.json").write_text(json.dumps(_POST))
    other = tmp_path / "other.db"
    code, out, _ = run(capsys, "check", str(tmp_path / "post.json"), "--db", str(other), "--create")
    assert code == 0 and json.loads(out)["verdict"] == "allow" and other.exists()


# -- scan: every line is decided or reported --------------------------------------------------------
def test_scan_reports_invalid_lines_and_decides_the_rest(capsys: pytest.CaptureFixture[str], db: str,
                                                         tmp_path: Path) -> None:
    def post(i: str, text: str = "hello") -> bytes:
        return json.dumps({"id": i, "author": "a", "text": text}, ensure_ascii=False).encode()

    lines = [  # (line, the error code it must get, or None)
        (b"\xef\xbb\xbf" + post("p1"), None),  # a byte-order mark on the first line is allowed
        (b'{"id": "p2", "author": "a", "text": "caf\xe9"}', "invalid_utf8"),
        (b"{not json", "malformed_json"),
        (json.dumps({"id": "p3"}).encode(), "invalid_post"),
        (json.dumps({"id": "p\u0000", "author": "a", "text": "t"}).encode(), "invalid_post"),
        (post("p4", "a line\u2028separator inside the text"), None),  # one JSON line, not two
        (b"[" * 100_000 + b"]" * 100_000, "too_deep"),
        (post("p1", "the same id, other content"), "post_conflict"),
        (b"", None),
        (post("p5"), None),
    ]
    stream = tmp_path / "posts.jsonl"
    stream.write_bytes(b"\n".join(line for line, _ in lines) + b"\n")
    out_file = tmp_path / "decisions.ndjson"
    code, _, err = run(capsys, "scan", str(stream), "--ingest", "--out", str(out_file), "--db", db)
    written = [json.loads(x) for x in out_file.read_text(encoding="utf-8").splitlines()]
    expected = [(n, wanted) for n, (line, wanted) in enumerate(lines, 1) if line]
    assert [(x.get("line", n), x["error"]["code"] if "error" in x else None)
            for (n, _), x in zip(expected, written, strict=True)] == expected
    assert code == 2 and err.strip().splitlines()[-1] == (
        f"error: 6 invalid line(s) skipped (line 2, 3, 4, 5, 7, 8); the errors are in {out_file}")
    code, out, _ = run(capsys, "audit", "list", "--kind", "decision", "--db", db)
    assert sorted(e["subject"] for e in json.loads(out)) == ["post:p1", "post:p4", "post:p5"]


# -- refused input: one line, exit 2 ----------------------------------------------------------------
@pytest.mark.parametrize("args,message", [
    (["rules", "add", "--url", "not a url", "--reason", "r"], "'not a url' is not a URL or host name"),
    (["rules", "add", "--prefix", "http://exa mple.example/p/", "--reason", "r"], "is not a URL or host name"),
    (["rules", "add", "--domain", "no such domain", "--reason", "r"], "is not a URL or host name"),
    (["rules", "add", "--url", "ftp://files.example/d.pdf", "--reason", "r"], "unsupported URL scheme"),
    (["rules", "remove", "99999999999999999999"], "less than or equal to 2147483647"),
    (["requests", "add", "--kind", "court", "--from", "c", "--asked", "x", "--action", "99999999999999999999"],
     "less than or equal to 2147483647"),
    (["check", "{deep_json}"], "nested too deeply"),
    (["bank", "import", "{deep_json}"], "nested too deeply"),
    (["check", "{post}", "--policy", "{deep_yaml}"], "nested too deeply"),
    (["check", "{post}", "--db", "postgresql://postgres@127.0.0.1:1/none"], "cannot open the database"),
    (["check", "{post}", "--db", "mysql://u@h/db"], "no driver"),
    (["scan", "{post}", "--out", "{tmp}/no/dir/out.ndjson"], "cannot write it"),
])
def test_refused_input_is_one_line(capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, args: list[str],
                                   message: str) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    (tmp_path / "post.json").write_text(json.dumps(_POST))
    filled = [a.format(deep_json=tmp_path / "deep.json", deep_yaml=tmp_path / "deep.yaml",
                       post=tmp_path / "post.json", tmp=tmp_path) for a in args]
    code, out, err = run(capsys, *filled, *([] if "--db" in filled else ["--db", db]))
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and message in err, err
    code, out, _ = run(capsys, "rules", "list", "--json", "--db", db)
    assert json.loads(out) == []  # nothing was stored


@pytest.mark.parametrize("args,message", [
    (["expand", "not a url"], "not an absolute http(s) URL"),
    (["expand", "ftp://files.example/d.pdf"], "scheme 'ftp' is not fetched"),
    (["expand", "http://10.1.2.3/"], "not public"),
    (["policy", "validate", "{deep_yaml}"], "nested too deeply"),
])
def test_refused_input_without_a_database(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    monkeypatch.delenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", raising=False)
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    code, out, err = run(capsys, *[a.format(deep_yaml=tmp_path / "deep.yaml") for a in args])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err


def test_postgres_without_its_extra_names_the_extra(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if `pip install leakwarden` had not brought it
    (tmp_path / "post.json").write_text(json.dumps(_POST))
    code, _, err = run(capsys, "check", str(tmp_path / "post.json"), "--db", "postgresql://u@127.0.0.1/lw")
    assert code == 2
    assert err.strip() == "error: PostgreSQL needs the postgres extra: pip install 'leakwarden[postgres]'"
