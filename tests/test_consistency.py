"""The even-handedness report (library and CLI): each section finds exactly what the story put there."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from e2e.consistency_story import NEWSLETTER, OVERTURN_NOTE, build_story
from test_cli import run

from leakwarden.audit import consistency, consistency_render
from leakwarden.audit.consistency import ConsistencyReport, wants_of
from leakwarden.audit.report import period


def story(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    build_story(db_url, lambda *args: run(capsys, *args, "--db", db_url)[0])


@pytest.fixture
def report(any_db_url: str, capsys: pytest.CaptureFixture[str]) -> ConsistencyReport:
    story(any_db_url, capsys)
    from leakwarden.store.db import Database

    return consistency.build(Database(any_db_url), *period(None, None), within_days=7)


def test_like_cases_unlike_outcomes(report: ConsistencyReport) -> None:
    groups = {tuple(g.keys): g for g in report.like_cases}
    assert all(not g.even for g in report.like_cases)  # the story has no like cases decided alike
    dossier = next(g for k, g in groups.items() if k[0].startswith("pii:"))
    assert [k.split(":")[1] for k in dossier.keys] == ["STREET_ADDRESS", "US_SSN_PARTIAL"]
    assert {p.account: p.outcome for p in dossier.posts} == {"troll": "removed (remove, strike)",
                                                             "troll2": "visible (no action in effect)"}
    assert [p.decided_by for p in dossier.posts] == [["automation"], ["automation", "overturned by mod:alice"]]
    mirror = groups[("url_rule:rule:1",)]
    assert mirror.evidence == ["URL rule 1: block domain mirror.example"]
    assert {p.account: (p.outcome, p.policy_version) for p in mirror.posts} == {
        "blogger": ("removed (remove)", "strict@2026.11.30"),
        "fan": ("restricted (no action in effect)", "share-block@2026.11.30")}
    assert [p.in_effect for p in mirror.posts] == [["remove (blocked-link)", "block_link (blocked-link)"],
                                                   ["block_link (blocked-link)"]]
    assert len(report.like_cases) == 2  # the journalist's post shares its evidence with no other post


def test_no_clear_private_value_reaches_the_report(report: ConsistencyReport) -> None:
    from e2e.casework import ADDRESS, SSN

    text = json.dumps(report.as_dict())
    assert ADDRESS not in text and SSN not in text
    # the SSN's last four as a number of their own (inside a hash or a timestamp they are chance)
    assert not re.search(r"(?<![0-9A-Za-z])6789(?![0-9A-Za-z])", text)


def test_manual_departures(report: ConsistencyReport) -> None:
    (departure,) = report.departures
    assert (departure.moderator, departure.act, departure.post_id, departure.account) == (
        "mod:alice", "overturned the decision", "p-doxx-2", "troll2")
    assert departure.clauses[:2] == ["dossier", "private-information"] and departure.note == OVERTURN_NOTE
    assert "remove (dossier)" in departure.undone and "suspend (strike-ladder)" in departure.undone


def test_outside_requests_and_what_followed(report: ConsistencyReport) -> None:
    campaign, government = report.requests
    assert (campaign.kind, campaign.wants, campaign.verdict) == ("campaign", ["remove", "ban"], "partly done")
    removal = campaign.fulfilled["remove"]
    assert removal is not None and removal.on == "post p-journo (journo)" and removal.by == "automation"
    assert 0.12 < removal.days_after < 0.13  # about 3 hours after the request
    assert campaign.fulfilled["ban"] is None and not campaign.before
    assert [f.what for f in campaign.after] == ["rule:block", "remove", "block_link", "rule:block", "strike", "suspend"]
    assert campaign.after[0].by == "mod:bob" and campaign.after[0].on == f"URL {NEWSLETTER}"
    assert campaign.discrepancy == "recorded as rejected, yet what was asked followed"
    assert (government.kind, government.wants, government.verdict) == ("government", ["remove"],
                                                                       "already done before it")
    assert government.done_before["remove"] is not None and not government.after and not government.discrepancy


def test_a_timeline_per_account(report: ConsistencyReport) -> None:
    assert sorted(report.timelines) == ["blogger", "fan", "journo", "troll", "troll2"]
    journo = [(x.kind, x.what, x.by) for x in report.timelines["journo"]]
    assert journo[0] == ("decision", "post p-journo decided: allow", "automation")
    assert journo[1][0] == "request" and journo[1][2] == "Trump campaign"
    assert ("action", "suspend for 12 h on post p-journo (clause strike-ladder)", "automation") in journo
    assert ("decision", "post p-journo decided again after a new URL rule: remove (clauses source-of-hacked-material)",
            "automation") in journo
    troll2 = report.timelines["troll2"]
    assert troll2[-1].kind == "reversal" and troll2[-1].by == "mod:alice" and OVERTURN_NOTE in troll2[-1].what
    assert {x.policy_version for x in report.timelines["fan"]} == {"share-block@2026.11.30"}
    assert [x.seq for x in troll2] == sorted(x.seq for x in troll2)
    # the page shows the accounts that matter first when there are too many to show
    assert consistency_render.shown_timelines(report, most=3) == ["journo", "troll", "troll2"]


SIGNALS = {
    "sure bank match": ({"kind": "bank", "attrs": {"review": False, "label": "leak"},
                         "evidence": [{"item": "b/i"}]}, {"bank:b/i": "known material b/i (leak)"}),
    "possible bank match": ({"kind": "bank", "attrs": {"review": True}, "evidence": [{"item": "b/i"}]}, {}),
    "private value": ({"kind": "pii", "evidence": [{"data": {"label": "IBAN", "sha256": "ab" * 32}}]},
                      {"pii:IBAN:abababababab": "IBAN about the same person (hash abababab)"}),
    "published sample": ({"kind": "pii", "evidence": [{"data": {"label": "US_SSN", "sha256": "c" * 64,
                                                                "sample": True}}]}, {}),
    "url rule": ({"kind": "url_rule", "attrs": {"action": "block"},
                  "evidence": [{"item": "rule:9", "data": {"url": "https://a.example/"}}]},
                 {"url_rule:rule:9": "URL rule 9", "url:https://a.example/": "a link to https://a.example/"}),
    "allowed url": ({"kind": "url_rule", "attrs": {"action": "allow"}, "evidence": [{"item": "rule:9"}]}, {}),
    "spam": ({"kind": "spam", "evidence": [{"item": "campaign:1"}]}, {}),
}


@pytest.mark.parametrize("name", SIGNALS)
def test_what_counts_as_the_same_evidence(name: str) -> None:
    signal, keys = SIGNALS[name]
    assert consistency.evidence_keys({"signals": [signal]}, {}) == keys


def test_a_request_received_earlier_is_recorded_so(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The platform records last week's contact today: what followed is measured from when it came."""
    build_story(db_url, lambda *args: run(capsys, *args, "--db", db_url)[0])
    received = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    code, _, _ = run(capsys, "requests", "add", "--kind", "campaign", "--from", "A campaign", "--asked",
                     "ban the journalist", "--account", "journo", "--received-at", received, "--db", db_url)
    assert code == 0
    code, out, _ = run(capsys, "report", "consistency", "--json", "--db", db_url)
    late = next(r for r in json.loads(out)["requests"] if r["requester"] == "A campaign")
    assert late["received_at"] == received and late["verdict"] == "not done" and not late["before"]
    assert all(1.9 < f["days_after"] < 2.1 for f in late["after"])  # the suspension, two days after
    code, _, err = run(capsys, "requests", "add", "--kind", "court", "--from", "c", "--asked", "a",
                       "--received-at", "last week", "--db", db_url)
    assert code == 2 and "is not a date" in err


def test_a_request_without_a_subject_is_said_so(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "init", "--db", db_url)
    run(capsys, "requests", "add", "--kind", "court", "--from", "A court", "--asked", "remove the dossier",
        "--outcome", "complied", "--db", db_url)
    code, out, _ = run(capsys, "report", "consistency", "--db", db_url)
    assert code == 0 and "no post, URL or account was recorded with it" in out and "Note:" not in out


@pytest.mark.parametrize("asked,wants", [
    ("Remove the links to the hacked files and ban the journalist", ["remove", "ban"]),
    ("Please take the post down", ["remove"]),
    ("Suspend the account", ["suspend"]),
    ("Permanently suspend the account", ["ban"]),
    ("Block the links to the newsletter", ["block_link"]),
    ("Add a warning label", ["label"]),
    ("Reinstate the journalist's account", ["restore"]),
    ("We did not ask to remove anything; we shared information", []),
    ("Information about who runs the account", []),
])
def test_what_a_request_asked_for(asked: str, wants: list[str]) -> None:
    assert wants_of(asked) == wants


def test_cli_summary_files_and_json(db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    story(db_url, capsys)
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, "report", "consistency", "--within-days", "7", "--out", str(out_dir), "--db", db_url)
    assert code == 0
    assert "Like cases, unlike outcomes: 2 of 2 groups" in out, out
    assert "Manual departures from policy: 1 (1 overturned the decision)." in out
    assert "asked for removal, a ban: partly done" in out and "A ban: not done." in out
    assert "A timeline per account: 5 accounts" in out
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == ["consistency.html", "departures.csv", "like_cases.csv", "request_actions.csv", "requests.csv",
                     "timeline.csv"]
    page = (out_dir / "consistency.html").read_text()
    assert page.count("<svg") >= 5 and "<script" not in page and "http://" not in page.split("<body>")[0]
    for heading in ("Like cases, unlike outcomes", "Manual departures from policy",
                    "Outside requests and what followed", "A timeline per account"):
        assert f"<h2>{heading}</h2>" in page
    with (out_dir / "requests.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["kind"], r["verdict"]) for r in rows] == [("campaign", "partly done"),
                                                        ("government", "already done before it")]
    code, out, _ = run(capsys, "report", "consistency", "--json", "--db", db_url)
    assert code == 0 and len(json.loads(out)["like_cases"]) == 2


def test_the_transparency_report_is_still_the_default(db_url: str, capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    run(capsys, "init", "--db", db_url)
    code, _, _ = run(capsys, "report", "--out", str(tmp_path / "t"), "--db", db_url)
    assert code == 0 and (tmp_path / "t" / "report.html").exists()


@pytest.mark.parametrize("args,message", [
    (["--from", "2026-12-01", "--to", "2026-11-01"], "start must be before its end"),
    (["--from", "yesterday"], "is not a date"),
    (["--to", "2026-13-01"], "is not a date"),
    (["--within-days", "0"], "--within-days"),
    (["--within-days", "many"], "--within-days"),
])
def test_bad_input_is_one_line(db_url: str, capsys: pytest.CaptureFixture[str], args: list[str],
                               message: str) -> None:
    run(capsys, "init", "--db", db_url)
    code, out, err = run(capsys, "report", "consistency", *args, "--db", db_url)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and message in err


def test_an_empty_period(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "init", "--db", db_url)
    code, out, _ = run(capsys, "report", "consistency", "--from", "2020-01-01", "--to", "2020-01-31", "--db", db_url)
    assert code == 0
    assert "0 of 0 groups" in out and "Manual departures from policy: 0." in out
