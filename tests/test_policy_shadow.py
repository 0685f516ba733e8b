"""Shadow policies: deployed beside the live one, deciding every ingested post, never acting; the
differences reported; promoted to live in one audited step. Library, CLI, API and console, on SQLite
and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.casework import casework_engine, doxx_post, journalist_post
from fastapi.testclient import TestClient
from policy_support import POLICIES, api_client, bearer, console_login, run
from sqlalchemy import func, select

from leakwarden.audit import log as audit_log
from leakwarden.engine import Engine
from leakwarden.model import Post, utcnow
from leakwarden.policy import shadow
from leakwarden.policy.tables import PolicyDeploymentRow, ShadowDecisionRow
from leakwarden.signals.urlrules import bump_version
from leakwarden.store.tables import AuditEventRow, CaseRow, EnforcementAction, PostRow, Sanction, Strike

HARSH = (POLICIES / "harsh.toml").read_text(encoding="utf-8")



@pytest.fixture
def engine(any_db_url: str) -> Engine:
    e = casework_engine(any_db_url)
    e.deployments.poll_interval = 0  # see a deployment made by another process at once
    return e


@pytest.fixture
def harsh() -> str:
    return str(POLICIES / "harsh.toml")


POSTS = [journalist_post(), doxx_post(), Post(id="p-ok", author="reader", text="good evening")]
_ACTED = (EnforcementAction, Strike, Sanction, CaseRow, PostRow)


def traces(engine: Engine) -> dict[str, object]:
    """What enforcement left: row counts and the audit events by kind."""
    with engine.db.session() as s:
        counts: dict[str, object] = {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in _ACTED}
        kinds = Counter(s.scalars(select(AuditEventRow.kind)))
    for kind in ("policy.shadow_deployed", "policy.loaded"):
        kinds.pop(kind, None)
    counts["audit"] = dict(kinds)
    with engine.db.session() as s:
        counts["standing"] = sorted((a.account, a.kind) for a in s.scalars(select(Sanction)))
    return counts


def shadow_rows(engine: Engine) -> dict[str, ShadowDecisionRow]:
    with engine.db.session() as s:
        return {r.post_id: r for r in s.scalars(select(ShadowDecisionRow))}


def test_the_shadow_decides_every_post_and_never_acts(engine: Engine, harsh: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    twin = casework_engine(f"sqlite:///{tmp_path}/twin.db")  # the same posts, no shadow
    code, out, err = run(capsys, "policy", "shadow", harsh, "--by", "alice", "--db", engine.db.url)
    assert code == 0 and "harsh@3 deployed in shadow" in out, err
    for post in POSTS:
        assert engine.ingest(post).model_dump(exclude={"decided_at", "elapsed_ms"}) == \
            twin.ingest(post).model_dump(exclude={"decided_at", "elapsed_ms"})
    assert traces(engine) == traces(twin)  # no action, strike, sanction, case or audit event from the shadow
    rows = shadow_rows(engine)
    assert set(rows) == {"p-dossier", "p-doxx", "p-ok"}
    doxx = rows["p-doxx"]
    assert (doxx.live_policy, doxx.shadow_policy) == ("strict@2026.11.30", "harsh@3")
    assert (doxx.live_verdict, doxx.shadow_verdict) == ("remove", "remove")
    assert "ban" in doxx.shadow_actions and "ban" not in doxx.live_actions and "suspend" in doxx.live_actions
    assert doxx.differs and doxx.shadow_clauses[0] == "any-pii" and doxx.reasons[0].startswith("any-pii: pii on")
    assert not rows["p-ok"].differs and rows["p-ok"].shadow_verdict == "allow"
    with engine.db.session() as s:
        deployed = next(audit_log.events(s, kind="policy.shadow_deployed"))
    assert deployed.actor == "alice" and deployed.subject_id == "harsh@3"


def test_check_stores_nothing_and_a_cleared_shadow_stops(engine: Engine, harsh: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "policy", "shadow", harsh, "--db", engine.db.url)[0] == 0
    engine.check(doxx_post())
    assert shadow_rows(engine) == {}
    code, out, _ = run(capsys, "policy", "shadow", "--clear", "--db", engine.db.url)
    assert code == 0 and "harsh@3 removed" in out
    engine.ingest(doxx_post())
    assert shadow_rows(engine) == {}
    code, _, err = run(capsys, "policy", "shadow", "--clear", "--db", engine.db.url)
    assert code == 2 and err == "error: no shadow policy is deployed\n"
    with engine.db.session() as s:
        assert [e.kind for e in audit_log.events(s, kind="policy.shadow_cleared")] == ["policy.shadow_cleared"]


def test_redeciding_a_post_updates_its_shadow_decision(engine: Engine, harsh: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "policy", "shadow", harsh, "--db", engine.db.url)
    engine.ingest(doxx_post())
    engine.redecide("p-doxx")
    assert len(shadow_rows(engine)) == 1


def test_report_shadow(engine: Engine, harsh: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "policy", "shadow", harsh, "--db", engine.db.url)
    for post in POSTS:
        engine.ingest(post)
    code, out, err = run(capsys, "report", "shadow", "--since", "1h", "--db", engine.db.url)
    assert code == 0, err
    assert "shadow: harsh@3" in out and "posts decided under both: 3; decided differently: 2" in out
    assert "any-pii: remove → remove  2" in out
    assert ("p-doxx by troll: remove (queue_review, remove, strike, suspend) → "
            "remove (ban, queue_review, remove, strike) — any-pii: pii on post") in out
    code, out, _ = run(capsys, "report", "shadow", "--json", "--db", engine.db.url)
    body = json.loads(out)
    assert body["decided"] == 3 and body["differing"] == 2 and body["deployed"]["shadow"]["policy"] == "harsh@3"
    assert body["shadow_policies"] == {"harsh@3": 3}
    code, out, _ = run(capsys, "report", "shadow", "--since", "2020-01-01", "--until", "2020-02-01",
                       "--db", engine.db.url)
    assert code == 0 and "posts decided under both: 0" in out
    code, _, err = run(capsys, "report", "shadow", "--since", "whenever", "--db", engine.db.url)
    assert code == 2 and "'whenever'" in err


def test_promote_makes_the_shadow_live(engine: Engine, harsh: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "policy", "promote", "--db", engine.db.url)
    assert code == 2 and "no shadow policy is deployed" in err
    run(capsys, "policy", "shadow", harsh, "--db", engine.db.url)
    engine.ingest(journalist_post())
    code, out, err = run(capsys, "policy", "promote", "--by", "bob", "--db", engine.db.url)
    assert code == 0 and "harsh@3 is now live" in out, err
    decision = engine.ingest(doxx_post())
    assert decision.policy_version == "harsh@3"
    assert {a.type.value for a in decision.actions} >= {"remove", "strike", "ban"}
    assert engine.policy.label == "harsh@3"
    code, out, _ = run(capsys, "policy", "shadow", "--db", engine.db.url)
    assert "live (promoted): harsh@3" in out and "shadow: none" in out
    with engine.db.session() as s:
        promoted = next(audit_log.events(s, kind="policy.promoted"))
        assert audit_log.verify(s).ok
    assert promoted.actor == "bob" and audit_log.payload_of(promoted) == {"sha256": engine.policy.sha256,
                                                                          "previous": "strict@2026.11.30"}
    assert set(shadow_rows(engine)) == {"p-dossier"}  # decided in shadow before the promotion only
    # a policy named for one request is still that policy
    assert engine.with_policy("strict").check(doxx_post()).policy_version == "strict@2026.11.30"


@pytest.mark.parametrize("args", [["policy", "shadow", "nope.toml"], ["policy", "shadow", "x.toml", "--clear"]])
def test_shadow_bad_input(engine: Engine, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = run(capsys, *args, "--db", engine.db.url)
    assert code == 2 and out == "" and err.count("\n") == 1


def test_an_invalid_shadow_policy_fails_as_validate_does(engine: Engine, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nversion: '1'\nclauses:\n  - id: a\n    when: {signal: nope}\n    verdict: remove\n",
                    encoding="utf-8")
    code, _, err = run(capsys, "policy", "shadow", str(path), "--db", engine.db.url)
    assert code == 2 and "bad.yaml:5: unknown signal kind 'nope'" in err
    assert err == run(capsys, "policy", "validate", str(path))[2]


# -- API and console ---------------------------------------------------------------------------
@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    yield from api_client(engine)


def test_api_shadow_lifecycle(engine: Engine, client: TestClient) -> None:
    admin, moderator = bearer(engine, "admin"), bearer(engine, "moderator")
    assert client.put("/v1/policy/shadow", json={"policy": HARSH}, headers=moderator).status_code == 403
    assert client.get("/v1/policy/shadow", headers=moderator).json() == {"live": None, "shadow": None}
    deployed = client.put("/v1/policy/shadow", json={"policy": HARSH}, headers=admin)
    assert deployed.status_code == 200 and deployed.json()["policy"] == "harsh@3"
    for post in POSTS:
        assert client.post("/v1/posts", json=post.model_dump(mode="json"),
                           headers=bearer(engine, "submitter")).status_code == 201
    report = client.get("/v1/policy/shadow/report?since=1h", headers=moderator).json()
    assert report["decided"] == 3 and report["differing"] == 2
    assert {r["post_id"] for r in report["sample"]} == {"p-dossier", "p-doxx"}
    assert client.get("/v1/policy/shadow/report?since=never", headers=moderator).json()["error"]["code"] == \
        "invalid_date"
    assert client.post("/v1/policy/promote", headers=moderator).status_code == 403
    promoted = client.post("/v1/policy/promote", headers=admin)
    assert promoted.status_code == 200 and promoted.json()["policy"] == "harsh@3"
    with engine.db.session() as s:
        event = next(audit_log.events(s, kind="policy.promoted"))
    assert audit_log.payload_of(event)["previous"] == "strict@2026.11.30"
    decided = client.post("/v1/posts", json=doxx_post("p-doxx-2").model_dump(mode="json"),
                          headers=bearer(engine, "submitter")).json()
    assert decided["policy_version"] == "harsh@3"
    missing = client.delete("/v1/policy/shadow", headers=admin)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_shadow_policy"
    assert client.post("/v1/policy/promote", headers=admin).status_code == 404


@pytest.mark.parametrize("body,code", [({"policy": "name = 'x'\n[[clauses]\n"}, "invalid_policy"),
                                       ({"policy": HARSH, "format": "ini"}, "invalid_input"),
                                       ({"policy": ""}, "invalid_input")])
def test_api_deploying_a_bad_policy_is_a_clear_4xx(engine: Engine, client: TestClient, body: dict[str, object],
                                                  code: str) -> None:
    response = client.put("/v1/policy/shadow", json=body, headers=bearer(engine, "admin"))
    assert response.status_code == 422 and response.json()["error"]["code"] == code
    assert client.get("/v1/policy/shadow", headers=bearer(engine, "admin")).json()["shadow"] is None


@pytest.mark.usefixtures("cheap_argon2")
def test_console_shadow_page(engine: Engine, client: TestClient) -> None:
    csrf = console_login(client, engine, "admin")
    empty = client.get("/console/policy/shadow").text
    assert 'class="shadow-policy">none<' in empty and "strict@2026.11.30 (as the server was started" in empty
    bad = client.post("/console/policy/shadow", data={"act": "deploy", "policy": "name = 'x'\n[[clauses]\n",
                                                      "csrf": csrf})
    assert bad.status_code == 422 and "invalid TOML" in bad.text
    assert client.post("/console/policy/shadow", data={"act": "deploy", "policy": HARSH,
                                                       "csrf": "forged"}).status_code == 403
    deployed = client.post("/console/policy/shadow", data={"act": "deploy", "policy": HARSH, "format": "toml",
                                                           "csrf": csrf})
    assert deployed.status_code == 200 and 'class="shadow-policy">harsh@3 (deployed by user:admin' in deployed.text
    for post in POSTS:
        engine.ingest(post)
    page = client.get("/console/policy/shadow").text
    assert 'class="decided-count">3<' in page and 'class="differing-count">2<' in page and "<svg" in page
    assert "p-doxx" in page and "any-pii: pii on" in page
    assert "<script>" not in page and " style=" not in page
    unconfirmed = client.post("/console/policy/shadow", data={"act": "promote", "csrf": csrf})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.text
    promoted = client.post("/console/policy/shadow", data={"act": "promote", "confirm": "yes", "csrf": csrf})
    assert 'class="live-policy">harsh@3 (promoted by user:admin' in promoted.text
    assert engine.ingest(doxx_post("p-2")).policy_version == "harsh@3"
    assert client.post("/console/policy/shadow", data={"act": "clear", "csrf": csrf}).status_code == 404
    assert client.post("/console/policy/shadow", data={"act": "explode", "csrf": csrf}).status_code == 422


@pytest.mark.usefixtures("cheap_argon2")
def test_console_shadow_page_is_for_admins(engine: Engine, client: TestClient) -> None:
    csrf = console_login(client, engine, "moderator")
    assert client.get("/console/policy/shadow").status_code == 403
    assert client.post("/console/policy/shadow", data={"act": "clear", "csrf": csrf}).status_code == 403


def test_a_deployment_this_process_cannot_load_never_refuses_a_post(engine: Engine,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """A shadow naming a signal kind only another process's detectors know: posts are still decided."""
    with engine.db.session() as s:
        s.add(PolicyDeploymentRow(slot="shadow", name="elsewhere", version="1", sha256="0" * 64, fmt="toml",
                                  source=HARSH.replace('signal = "bank"', 'signal = "only-elsewhere"'),
                                  deployed_at=utcnow(), deployed_by="other"))
        bump_version(s, shadow.VERSION_KEY)
    decision = engine.ingest(doxx_post())
    assert decision.verdict.value == "remove" and shadow_rows(engine) == {}
    assert "the deployed shadow policy elsewhere@1 cannot be loaded here" in caplog.text


def test_an_engine_started_after_a_promotion_decides_under_it(engine: Engine, harsh: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "policy", "shadow", harsh, "--db", engine.db.url)
    run(capsys, "policy", "promote", "--db", engine.db.url)
    assert Engine(engine.db.url, policy="strict").policy.label == "harsh@3"
