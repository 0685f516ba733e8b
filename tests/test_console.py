"""The reviewer console over HTTP (no browser): login, roles, CSRF, pages, acts, and the JSON routes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from e2e.casework import ADDRESS, ARABIC, ENGLISH, PDF, casework_engine, seed
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from leakwarden.audit import log as audit_log
from leakwarden.engine import Engine
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.service.console import users
from leakwarden.store.tables import CaseRow, EnforcementAction, PostRow

PASSWORD = "correct horse battery"
ROLES = ("submitter", "moderator", "admin")

pytestmark = pytest.mark.usefixtures("cheap_argon2")


@pytest.fixture
def engine(db_url: str) -> Engine:
    e = casework_engine(db_url)
    seed(e)
    for role in ROLES:
        users.create_user(e.db, role, role, PASSWORD)
    return e


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1") as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    page = client.get("/console/login")
    response = client.post("/console/login", data={"name": name, "password": password, "csrf": csrf_of(page.text),
                                                   "next": "/console/queue"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/console/queue").text)


def case_id(engine: Engine, post_id: str) -> int:
    with engine.db.session() as s:
        return s.scalars(select(CaseRow.id).where(CaseRow.post_id == post_id)).first() or 0


PAGES = ["/console/", "/console/queue", "/console/cases/1", "/console/appeals", "/console/accounts/journo",
         "/console/requests", "/console/report", "/console/audit", "/console/users"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_a_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=")


@pytest.mark.parametrize("path", ["/console/cases/1/decide", "/console/appeals", "/console/requests",
                                  "/console/cases/1/reveal", "/console/logout"])
def test_every_form_needs_a_login(client: TestClient, path: str) -> None:
    response = client.post(path, data={"act": "confirm"}, follow_redirects=False)
    assert response.status_code == 303 and "/console/login" in response.headers["location"]


@pytest.mark.parametrize("role,path,status", [
    ("submitter", "/console/queue", 200), ("submitter", "/console/cases/1", 200), ("submitter", "/console/report", 200),
    ("submitter", "/console/audit", 403), ("submitter", "/console/appeals", 403),
    ("submitter", "/console/requests", 403), ("submitter", "/console/accounts/journo", 403),
    ("submitter", "/console/users", 403), ("moderator", "/console/users", 403), ("moderator", "/console/audit", 200),
    ("moderator", "/console/accounts/journo", 200), ("admin", "/console/users", 200),
])
def test_roles(client: TestClient, role: str, path: str, status: int) -> None:
    log_in(client, role)
    response = client.get(path)
    assert response.status_code == status
    if status == 403:
        assert "Not allowed" in response.text


def test_a_viewer_cannot_act_or_see_private_values(client: TestClient, engine: Engine) -> None:
    csrf = log_in(client, "submitter")
    case = case_id(engine, "p-doxx")
    page = client.get(f"/console/cases/{case}").text
    assert ADDRESS not in page and "reveal STREET_ADDRESS" not in page and "Overturn" not in page
    for act in ("escalate", "confirm", "overturn"):
        assert client.post(f"/console/cases/{case}/decide", data={"act": act, "csrf": csrf}).status_code == 403
    assert client.post(f"/console/cases/{case}/reveal", data={"ref": "0.0", "csrf": csrf}).status_code == 403
    with engine.db.session() as s:
        assert s.get_one(CaseRow, case).state == "open"


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_forms_need_the_csrf_token(client: TestClient, engine: Engine, token: str | None) -> None:
    log_in(client, "moderator")
    case = case_id(engine, "p-doxx")
    data = {"act": "confirm"} if token is None else {"act": "confirm", "csrf": token}
    response = client.post(f"/console/cases/{case}/decide", data=data)
    assert response.status_code == 403 and 'data-code="csrf"' in response.text
    with engine.db.session() as s:
        assert s.get_one(CaseRow, case).state == "open"


@pytest.mark.parametrize("name,password", [("moderator", "wrong password!"), ("nobody", PASSWORD)])
def test_a_wrong_login_is_refused_and_audited(client: TestClient, engine: Engine, name: str, password: str) -> None:
    page = client.get("/console/login")
    response = client.post("/console/login", data={"name": name, "password": password, "csrf": csrf_of(page.text)})
    assert response.status_code == 401 and "wrong" in response.text
    assert client.get("/console/queue", follow_redirects=False).status_code == 303
    with engine.db.session() as s:
        failed = list(audit_log.events(s, kind="console.login_failed"))
        assert len(failed) == 1 and password not in failed[0].payload


def test_login_redirect_stays_inside_the_console(client: TestClient) -> None:
    page = client.get("/console/login?next=https://evil.example/")
    assert 'value="/console/queue"' in page.text


def test_passwords_are_argon2_and_sessions_hashed(engine: Engine, client: TestClient) -> None:
    from leakwarden.service.console.tables import ConsoleSession, ConsoleUser

    log_in(client, "moderator")
    cookie = client.cookies.get("lw_console")
    assert cookie
    with engine.db.session() as s:
        row = s.scalars(select(ConsoleUser).where(ConsoleUser.name == "moderator")).one()
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
        assert [x.id_hash for x in s.scalars(select(ConsoleSession))] != [cookie]
        assert all(cookie not in x.id_hash for x in s.scalars(select(ConsoleSession)))


def test_case_page_shows_the_evidence(client: TestClient, engine: Engine) -> None:
    log_in(client, "moderator")
    page = client.get(f"/console/cases/{case_id(engine, 'p-dossier')}").text
    assert escape(ENGLISH) in page and ARABIC in page  # passages side by side
    assert PDF in page and "newsletter.example" in page  # the link chain
    assert "Block domain files.example" in page
    assert ADDRESS not in page  # private values masked
    assert "reveal STREET_ADDRESS" in page
    assert 'dir="auto"' in page and "journo" in page and "suspended" in page


def test_reveal_shows_the_value_once_and_is_audited(client: TestClient, engine: Engine) -> None:
    csrf = log_in(client, "moderator")
    case = case_id(engine, "p-doxx")
    page = client.get(f"/console/cases/{case}").text
    ref = re.search(r'name="ref" value="([0-9.]+)"><button type="submit" aria-label="Reveal STREET_ADDRESS', page)
    assert ref
    revealed = client.post(f"/console/cases/{case}/reveal", data={"ref": ref.group(1), "csrf": csrf})
    assert revealed.status_code == 200 and ADDRESS in revealed.text
    assert revealed.headers["cache-control"] == "no-store"
    assert ADDRESS not in client.get(f"/console/cases/{case}").text
    with engine.db.session() as s:
        events = list(audit_log.events(s, kind="pii.revealed"))
        assert [e.actor for e in events] == ["user:moderator"] and ADDRESS not in events[0].payload


def test_overturn_from_the_console(client: TestClient, engine: Engine) -> None:
    csrf = log_in(client, "moderator")
    case = case_id(engine, "p-doxx")
    response = client.post(f"/console/cases/{case}/decide", data={"act": "overturn", "note": "satire", "csrf": csrf})
    assert response.status_code == 200 and "overturned" in response.text
    with engine.db.session() as s:
        assert s.get_one(PostRow, "p-doxx").status == "visible"
    again = client.post(f"/console/cases/{case}/decide", data={"act": "overturn", "csrf": csrf})
    assert again.status_code == 409 and "closed" in again.text


def test_change_and_rule_and_appeal_from_the_console(client: TestClient, engine: Engine) -> None:
    csrf = log_in(client, "moderator")
    case = case_id(engine, "p-dossier")
    changed = client.post(f"/console/cases/{case}/change", data={"action": "label", "label": "Leaked material",
                                                                  "csrf": csrf})
    assert changed.status_code == 200 and "changed" in changed.text
    rule = client.post(f"/console/cases/{case}/rule", data={"kind": "domain", "value": "files.example", "csrf": csrf})
    assert rule.status_code == 200
    assert any(r["pattern"] == "files.example" for r in engine.rules.list())
    with engine.db.session() as s:
        strike = s.scalars(select(EnforcementAction.id).where(EnforcementAction.post_id == "p-doxx",
                                                              EnforcementAction.type == "strike")).one()
    filed = client.post("/console/appeals", data={"action_id": str(strike), "account": "troll",
                                                  "statement": "اعتراض", "csrf": csrf})
    assert filed.status_code == 200 and "Grant appeal" in filed.text and "اعتراض" in filed.text
    appeal_case = int(str(filed.url).rsplit("/", 1)[1])
    twice = client.post("/console/appeals", data={"action_id": str(strike), "account": "troll", "csrf": csrf})
    assert twice.status_code == 409
    granted = client.post(f"/console/cases/{appeal_case}/decide", data={"act": "grant", "csrf": csrf})
    assert granted.status_code == 200 and "appeal_granted" in granted.text
    bad = client.post("/console/appeals", data={"action_id": "x", "account": "troll", "csrf": csrf})
    assert bad.status_code == 422


def test_requests_report_and_audit_pages(client: TestClient, engine: Engine) -> None:
    csrf = log_in(client, "admin")
    case = case_id(engine, "p-dossier")
    recorded = client.post("/console/requests", data={
        "kind": "campaign", "requester": "Candidate's campaign", "asked": "remove the dossier", "posts": "p-dossier",
        "outcome": "complied", "action_ids": "1", "case_ids": str(case), "csrf": csrf})
    assert recorded.status_code == 200 and "Candidate&#39;s campaign" in recorded.text
    bad = client.post("/console/requests", data={"kind": "alien", "requester": "x", "asked": "y",
                                                 "outcome": "complied", "csrf": csrf})
    assert bad.status_code == 422
    report = client.get("/console/report").text
    assert "<svg" in report and "dossier · remove" in report
    audit = client.get("/console/audit").text
    assert "request.recorded" in audit and "request.linked" in audit and "Hash chain: intact" in audit


@pytest.fixture
def keys(engine: Engine) -> dict[str, dict[str, str]]:
    return {role: {"Authorization": f"Bearer {create_key(engine.db, role)[1]}"} for role in ROLES}


def test_json_reports_appeals_and_cases(client: TestClient, engine: Engine, keys: dict[str, dict[str, str]]) -> None:
    report = client.post("/v1/reports", json={"post_id": "p-ok", "reason": "spam"}, headers=keys["submitter"])
    assert report.status_code == 201 and report.json()["source"] == "report"
    assert client.post("/v1/reports", json={"post_id": "nope", "reason": "x"},
                       headers=keys["submitter"]).status_code == 404
    assert client.get("/v1/cases", headers=keys["submitter"]).status_code == 403
    cases = client.get("/v1/cases?state=open", headers=keys["moderator"]).json()
    assert {c["source"] for c in cases} == {"policy", "report"}
    assert client.get("/v1/cases?state=bogus", headers=keys["moderator"]).status_code == 422
    one = client.get(f"/v1/cases/{case_id(engine, 'p-doxx')}", headers=keys["moderator"]).json()
    assert one["standing"]["state"] == "suspended" and ADDRESS not in str(one)
    with engine.db.session() as s:
        suspend = s.scalars(select(EnforcementAction.id).where(EnforcementAction.post_id == "p-doxx",
                                                               EnforcementAction.type == "suspend")).one()
    appeal = client.post("/v1/appeals", json={"action_id": suspend, "account": "troll", "statement": "sorry"},
                         headers=keys["submitter"])
    assert appeal.status_code == 201 and appeal.json()["case"]["state"] == "escalated"
    again = client.post("/v1/appeals", json={"action_id": suspend, "account": "troll"}, headers=keys["submitter"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_appealed"
    resolved = client.post(f"/v1/cases/{appeal.json()['case']['id']}/appeal", json={"granted": False},
                           headers=keys["moderator"])
    assert resolved.status_code == 200 and resolved.json()["resolution"] == "appeal_denied"
    closed = client.post(f"/v1/cases/{report.json()['id']}/confirm", json={}, headers=keys["moderator"])
    assert closed.json()["state"] == "closed"
    assert client.post(f"/v1/cases/{report.json()['id']}/confirm", json={},
                       headers=keys["moderator"]).status_code == 409
    assert client.post(f"/v1/cases/{report.json()['id']}/escalate", json={"note": 5},
                       headers=keys["moderator"]).status_code == 422


def test_add_a_linked_document_to_a_bank(client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from leakwarden.signals.bank.repository import Banks

    monkeypatch.setenv("LEAKWARDEN_EMBEDDER", "none")
    Banks(engine.db, embed=False).create("leaks", "hack-and-leak, state-backed")
    csrf = log_in(client, "moderator")
    case = case_id(engine, "p-dossier")
    assert "Add document to bank" in client.get(f"/console/cases/{case}").text
    added = client.post(f"/console/cases/{case}/bank", data={"url": PDF, "bank": "leaks", "csrf": csrf})
    assert added.status_code == 200
    items = Banks(engine.db, embed=False).items("leaks")
    assert [(i.origin, i.source) for i in items] == [(PDF, "review")]
    elsewhere = client.post(f"/console/cases/{case}/bank", data={"url": "https://x.example/", "bank": "leaks",
                                                                 "csrf": csrf})
    assert elsewhere.status_code == 422
    with engine.db.session() as s:
        assert [e.actor for e in audit_log.events(s, kind="review.banked")] == ["user:moderator"]
