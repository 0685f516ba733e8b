"""Backtests: stored posts decided again under a candidate policy, on their stored signals, changing
nothing but one audit event. Through the library and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from policy_support import POLICIES, api_client, bearer, console_login, run, seeded
from sqlalchemy import func, select

from leakwarden.audit import log as audit_log
from leakwarden.engine import Engine, subjects_of
from leakwarden.errors import InvalidInput
from leakwarden.model import Post, Signal
from leakwarden.policy import backtest
from leakwarden.policy.load import load_policy
from leakwarden.store.tables import (
    AuditEventRow,
    CaseRow,
    EnforcementAction,
    PolicyVersionRow,
    PostRow,
    Sanction,
    Strike,
    UrlRuleRow,
)

GENTLE = (POLICIES / "gentle.toml").read_text(encoding="utf-8")

HARSHER = (POLICIES / "harsher.toml").read_text(encoding="utf-8")



@pytest.fixture
def engine(any_db_url: str) -> Engine:
    return seeded(any_db_url)


def policy_file(tmp_path: Path, text: str, name: str = "candidate.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


_COUNTED = (PostRow, EnforcementAction, Strike, Sanction, CaseRow, UrlRuleRow, PolicyVersionRow, AuditEventRow)


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.db.session() as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0 for t in _COUNTED}


def test_a_gentler_policy_changes_verdicts_and_standing(engine: Engine, tmp_path: Path) -> None:
    before = row_counts(engine)
    start, end = backtest.period("1h")
    result = backtest.run(engine.db, load_policy(policy_file(tmp_path, GENTLE)), start, end,
                          redetect=lambda post: pytest.fail("no detector may run"), actor="tester")
    assert result.posts == 3 and result.changed == 2 and not result.redetected
    assert dict(result.verdicts) == {("remove", "restrict"): 2}
    assert dict(result.by_clause) == {("doxxing", "remove", "restrict"): 2}
    assert {c.post_id for c in result.changes} == {"p-dossier", "p-doxx"}
    assert all(c.reasons and c.reasons[0].startswith("doxxing: pii on ") for c in result.changes)
    assert result.actions[("strike", "dropped")] == 2 and result.actions[("suspend", "dropped")] == 2
    assert {(a.account, a.before, a.after, a.strikes_before, a.strikes_after) for a in result.accounts} == {
        ("journo", "suspended", "good", 1, 0), ("troll", "suspended", "good", 1, 0)}
    assert result.live == {"strict@2026.11.30": 3}
    # nothing changed but one audit event
    after = row_counts(engine)
    assert after == {**before, "audit_events": before["audit_events"] + 1}
    with engine.db.session() as s:
        event = next(audit_log.events(s, kind="policy.backtested"))
        payload = audit_log.payload_of(event)
        assert audit_log.verify(s).ok
    assert event.actor == "tester" and event.subject_id == "gentle@1"
    assert payload["sha256"] == result.sha256 and len(result.sha256) == 64
    assert payload["posts"] == 3 and payload["changed"] == 2 and payload["accounts_changed"] == 2
    assert payload["from"] == start.isoformat() and payload["to"] == end.isoformat()


def test_a_harsher_ladder_bans_and_an_unchanged_policy_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    start, end = backtest.period("1d")
    harsher = backtest.run(engine.db, load_policy(policy_file(tmp_path, HARSHER)), start, end,
                           redetect=lambda post: [])
    assert harsher.changed == 2  # same verdict, but a ban instead of a suspension
    assert not harsher.verdicts and harsher.actions[("ban", "added")] == 2
    assert {(a.account, a.after) for a in harsher.accounts} == {("journo", "banned"), ("troll", "banned")}
    same = backtest.run(engine.db, load_policy("strict"), start, end, redetect=lambda post: [])
    assert same.posts == 3 and same.changed == 0 and not same.accounts


def test_the_period_bounds_the_posts(engine: Engine, tmp_path: Path) -> None:
    gentle = load_policy(policy_file(tmp_path, GENTLE))
    past = backtest.run(engine.db, gentle, *backtest.period("2020-01-01", "2020-02-01"), redetect=lambda p: [])
    assert past.posts == 0 and past.changed == 0
    future = datetime.now(UTC) + timedelta(days=1)
    assert backtest.run(engine.db, gentle, future, future + timedelta(days=1), redetect=lambda p: []).posts == 0


@pytest.mark.parametrize("since,until", [("yesterday", None), ("30x", None), ("1d", "2d"), ("2026-13-01", None)])
def test_a_bad_period_is_a_clear_error(since: str, until: str | None) -> None:
    with pytest.raises(InvalidInput):
        backtest.period(since, until)


def test_a_post_stored_without_signals_is_detected_again(engine: Engine, tmp_path: Path) -> None:
    with engine.db.session() as s:
        s.get_one(PostRow, "p-doxx").decision = {}
    seen: list[str] = []

    def redetect(post: Post) -> list[Signal]:
        seen.append(post.id)
        return engine.signals_for(subjects_of(post, []))

    result = backtest.run(engine.db, load_policy(policy_file(tmp_path, GENTLE)), *backtest.period("1h"),
                          redetect=redetect)
    assert seen == ["p-doxx"] and result.redetected == ["p-doxx"]
    assert {c.post_id: c.after for c in result.changes}["p-doxx"] == "restrict"


# -- CLI ---------------------------------------------------------------------------------------
def test_cli_prints_a_summary_and_writes_html_and_csv(engine: Engine, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "bt"
    code, out, err = run(capsys, "policy", "backtest", policy_file(tmp_path, GENTLE), "--since", "30d",
                         "--out", str(out_dir), "--db", engine.db.url)
    assert code == 0, err
    assert "backtest of gentle@1" in out and "on 3 posts" in out and "changed: 2 posts" in out
    assert "doxxing: remove → restrict  2" in out
    assert "journo: suspended (1 strikes) → good (0 strikes)" in out
    assert "p-doxx by troll: remove → restrict — doxxing: pii on post" in out
    assert "every decision reused its stored signals" in out
    page = (out_dir / "backtest.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 4 and "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    with (out_dir / "changes.csv").open(encoding="utf-8") as f:
        changes = list(csv.DictReader(f))
    assert {(r["post_id"], r["from"], r["to"]) for r in changes} == {("p-dossier", "remove", "restrict"),
                                                                      ("p-doxx", "remove", "restrict")}
    with (out_dir / "accounts.csv").open(encoding="utf-8") as f:
        assert {r["account"]: r["to"] for r in csv.DictReader(f)} == {"journo": "good", "troll": "good"}
    with (out_dir / "clauses.csv").open(encoding="utf-8") as f:
        assert list(csv.reader(f)) == [["clause", "from", "to", "posts"], ["doxxing", "remove", "restrict", "2"]]


def test_cli_json(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "backtest", policy_file(tmp_path, GENTLE), "--json", "--sample", "1",
                       "--db", engine.db.url)
    assert code == 0
    body = json.loads(out)
    assert body["candidate"] == "gentle@1" and body["posts"] == 3 and body["changed"] == 2
    assert body["verdicts"] == [{"from": "remove", "to": "restrict", "posts": 2}]
    assert len(body["sample"]) == 1 and body["files"] == [] and "simulated" in body["simplification"]


@pytest.mark.parametrize("text,expected", [
    ("name = 'x'\nversion = '1'\n[[clauses]]\nid = 'a'\nwhen = { signal = 'nope' }\nverdict = 'remove'\n",
     "unknown signal kind 'nope'"),
    ("name = 'x'\n[[clauses]\n", "invalid TOML"),
    ("name = 'x'\nversion = '1'\n[[clauses]]\nid = 'a'\nwhen = { signal = 'pii' }\nverdict = 'maybe'\n",
     "verdict"),
])
def test_cli_an_invalid_policy_fails_as_validate_does(engine: Engine, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str], text: str,
                                                      expected: str) -> None:
    path = policy_file(tmp_path, text)
    events = row_counts(engine)["audit_events"]
    code, out, err = run(capsys, "policy", "backtest", path, "--db", engine.db.url)
    assert code == 2 and out == "" and expected in err and err.count("\n") == 1
    _, _, validate_err = run(capsys, "policy", "validate", path)
    assert err == validate_err
    assert row_counts(engine)["audit_events"] == events


def test_cli_bad_options(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "policy", "backtest", policy_file(tmp_path, GENTLE), "--since", "soon",
                       "--db", engine.db.url)
    assert code == 2 and "'soon' is not" in err and err.count("\n") == 1
    code, _, err = run(capsys, "policy", "backtest", str(tmp_path / "missing.toml"), "--db", engine.db.url)
    assert code == 2 and "missing.toml" in err


def test_the_transparency_report_command_still_works(engine: Engine, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "report", "--out", str(tmp_path / "r"), "--db", engine.db.url)
    assert code == 0, err
    assert (tmp_path / "r" / "report.html").exists() and "report.html" in out


# -- API and console ---------------------------------------------------------------------------
@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    yield from api_client(engine)


def test_api_backtest_needs_an_admin_and_returns_the_result(engine: Engine, client: TestClient) -> None:
    body = {"policy": GENTLE, "since": "7d", "sample": 5}
    assert client.post("/v1/policy/backtests", json=body).status_code == 401
    assert client.post("/v1/policy/backtests", json=body, headers=bearer(engine, "moderator")).status_code == 403
    response = client.post("/v1/policy/backtests", json=body, headers=bearer(engine, "admin"))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["candidate"] == "gentle@1" and result["posts"] == 3 and result["changed"] == 2
    assert result["by_clause"] == [{"clause": "doxxing", "from": "remove", "to": "restrict", "posts": 2}]
    assert {a["account"] for a in result["accounts"]} == {"journo", "troll"}
    with engine.db.session() as s:
        assert len(list(audit_log.events(s, kind="policy.backtested"))) == 1
    client.post("/v1/policy/backtests", json={"policy": GENTLE, "since": "2020-01-01", "until": "2020-02-01"},
                headers=bearer(engine, "admin"))
    past = client.get("/v1/policy/backtests", headers=bearer(engine, "admin")).json()
    assert [(p["candidate"], p["posts"], p["changed"]) for p in past] == [("gentle@1", 0, 0), ("gentle@1", 3, 2)]
    assert past[1]["sha256"] == result["sha256"] and past[1]["by"].startswith("key:")
    assert client.get("/v1/policy/backtests", headers=bearer(engine, "moderator")).status_code == 403


@pytest.mark.parametrize("body,status,code,words", [
    ({"policy": "name = 'x'\n[[clauses]\n"}, 422, "invalid_policy", "invalid TOML"),
    ({"policy": "name: x\nversion: '1'\nclauses:\n  - id: a\n    when: {signal: nope}\n    verdict: remove\n",
      "format": "yaml"}, 422, "invalid_policy", "policy:5: unknown signal kind 'nope'"),
    ({"policy": GENTLE, "since": "soon"}, 422, "invalid_date", "'soon'"),
    ({"policy": GENTLE, "since": "1d", "until": "2d"}, 422, "invalid_period", "start"),
    ({"policy": GENTLE, "format": "json"}, 422, "invalid_input", "format"),
    ({"policy": GENTLE, "extra": 1}, 422, "invalid_input", "extra"),
    ({}, 422, "invalid_input", "policy"),
])
def test_api_backtest_bad_input_is_a_clear_4xx(engine: Engine, client: TestClient, body: dict[str, object],
                                               status: int, code: str, words: str) -> None:
    response = client.post("/v1/policy/backtests", json=body, headers=bearer(engine, "admin"))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"]


@pytest.mark.usefixtures("cheap_argon2")
def test_console_runs_a_backtest(engine: Engine, client: TestClient) -> None:
    assert client.get("/console/policy/backtest", follow_redirects=False).status_code == 303  # log in first
    csrf = console_login(client, engine, "admin")
    form = client.get("/console/policy/backtest").text
    assert 'name="policy"' in form and "Backtest</a>" in form and "Shadow policy</a>" in form
    page = client.post("/console/policy/backtest", data={"policy": GENTLE, "since": "30d", "csrf": csrf})
    assert page.status_code == 200
    assert 'class="changed-count">2<' in page.text and 'class="accounts-count">2<' in page.text
    assert "<svg" in page.text and "doxxing: remove → restrict" in page.text and "p-doxx" in page.text
    assert "<script>" not in page.text and " style=" not in page.text
    bad = client.post("/console/policy/backtest", data={"policy": "name = 'x'\n[[clauses]\n", "csrf": csrf})
    assert bad.status_code == 422 and "invalid TOML" in bad.text and "[[clauses]" in bad.text
    forged = client.post("/console/policy/backtest", data={"policy": GENTLE, "csrf": "nope"})
    assert forged.status_code == 403
    with engine.db.session() as s:
        assert len(list(audit_log.events(s, kind="policy.backtested"))) == 1


@pytest.mark.usefixtures("cheap_argon2")
def test_console_backtest_is_for_admins(engine: Engine, client: TestClient) -> None:
    console_login(client, engine, "moderator")
    assert client.get("/console/policy/backtest").status_code == 403
    assert "Backtest</a>" not in client.get("/console/queue").text


def test_partial_decisions_are_counted(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with engine.db.session() as s:
        row = s.get_one(PostRow, "p-dossier")
        row.decision = {**row.decision, "partial": True}
    code, out, _ = run(capsys, "policy", "backtest", policy_file(tmp_path, GENTLE), "--db", engine.db.url)
    assert code == 0 and "partial: 1 posts were decided before all their links were followed" in out
    code, out, _ = run(capsys, "policy", "backtest", policy_file(tmp_path, GENTLE), "--json", "--db", engine.db.url)
    assert json.loads(out)["partial"] == 1
