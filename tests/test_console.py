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


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no failed logins counted (the throttle lives in the process)."""
    monkeypatch.setattr(users, "throttle", users.LoginThrottle())


# The console's roles are the API's: what the API keeps from a submitter (cases, appeals, accounts,
# the report, the audit log), the console keeps from a submitter-role user.
@pytest.mark.parametrize("role,path,status", [
    ("submitter", "/console/queue", 403), ("submitter", "/console/cases/1", 403), ("submitter", "/console/report", 403),
    ("moderator", "/console/queue", 200), ("moderator", "/console/cases/1", 200), ("moderator", "/console/report", 200),
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
    page = client.get(f"/console/cases/{case}")
    assert page.status_code == 403
    assert ADDRESS not in page.text and "reveal STREET_ADDRESS" not in page.text and "Overturn" not in page.text
    assert 'href="/console/queue"' not in page.text.split("<main")[0]  # no navigation to pages it cannot open
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
    # one click only asks: what the overturn undoes, a reason, a confirmation
    asked = client.post(f"/console/cases/{case}/decide", data={"act": "overturn", "note": "satire", "csrf": csrf})
    assert asked.status_code == 200 and "Yes, overturn" in asked.text and "strike" in asked.text
    assert "suspend" in asked.text and ">satire</textarea>" in asked.text
    no_reason = client.post(f"/console/cases/{case}/decide", data={"act": "overturn", "confirm": "yes", "note": " ",
                                                                   "csrf": csrf})
    assert no_reason.status_code == 422 and 'data-code="reason_required"' in no_reason.text
    with engine.db.session() as s:
        assert s.get_one(PostRow, "p-doxx").status != "visible" and s.get_one(CaseRow, case).state == "open"
    response = client.post(f"/console/cases/{case}/decide", data={"act": "overturn", "confirm": "yes",
                                                                  "note": "satire", "csrf": csrf})
    assert response.status_code == 200 and "overturned" in response.text
    with engine.db.session() as s:
        assert s.get_one(PostRow, "p-doxx").status == "visible"
    again = client.post(f"/console/cases/{case}/decide", data={"act": "overturn", "confirm": "yes", "note": "x",
                                                               "csrf": csrf})
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
    no_reason = client.post(f"/v1/cases/{case_id(engine, 'p-doxx')}/overturn", json={}, headers=keys["moderator"])
    assert no_reason.status_code == 422 and no_reason.json()["error"]["code"] == "reason_required"
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


# -- reviewer safety ---------------------------------------------------------------------------
@pytest.mark.parametrize("path,logged_in", [("/console/login", False), ("/console/queue", True),
                                            ("/console/cases/999999", True), ("/console/queue", False),
                                            ("/console/static/console.css", False), ("/console/users", True)])
def test_every_console_response_has_the_security_headers(client: TestClient, path: str, logged_in: bool) -> None:
    if logged_in:
        log_in(client, "moderator")
    response = client.get(path, follow_redirects=False)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_console_has_no_inline_script_or_style(client: TestClient, engine: Engine) -> None:
    log_in(client, "moderator")
    for path in ("/console/queue", f"/console/cases/{case_id(engine, 'p-dossier')}", "/console/audit",
                 "/console/appeals?account=troll"):
        page = client.get(path).text
        assert "<script>" not in page and " style=" not in page and "onclick" not in page, path


def test_login_throttle_counts_per_name_and_per_address() -> None:
    now = [0.0]
    limiter = users.LoginThrottle(per_account=3, per_ip=5, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.wait("alice", "10.0.0.1") == 0
        limiter.failed("alice", "10.0.0.1")
    assert limiter.wait("alice", "10.0.0.9") == 60  # the name, from any address
    assert limiter.wait("ALICE", "10.0.0.9") == 60
    assert limiter.wait("bob", "10.0.0.9") == 0
    limiter.failed("bob", "10.0.0.1")
    limiter.failed("carol", "10.0.0.1")
    assert limiter.wait("dave", "10.0.0.1") > 0  # the address, whatever the name
    assert limiter.wait("dave", "10.0.0.2") == 0
    now[0] = 61
    assert limiter.wait("alice", "10.0.0.1") == 0  # the window slides
    limiter.failed("bob", "10.0.0.3")
    limiter.succeeded("bob")
    assert limiter.wait("bob", "10.0.0.3") == 0


def test_wrong_passwords_are_throttled_and_audited(client: TestClient, engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "throttle", users.LoginThrottle(per_account=5, per_ip=20, window=300))
    token = csrf_of(client.get("/console/login").text)
    statuses = [client.post("/console/login", data={"name": "moderator", "password": f"guess number {i}",
                                                    "csrf": token}).status_code for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    right = client.post("/console/login", data={"name": "moderator", "password": PASSWORD, "csrf": token},
                        follow_redirects=False)
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0 and "try again" in right.text
    with engine.db.session() as s:
        failed = list(audit_log.events(s, kind="console.login_failed"))
        throttled = list(audit_log.events(s, kind="console.login_throttled"))
    assert len(failed) == 5 and len(throttled) == 4
    assert all("guess number" not in e.payload and PASSWORD not in e.payload for e in failed + throttled)
    assert audit_log.payload_of(failed[0])["ip"] == "testclient"
    # another account from the same address still logs in, until the address has failed too often
    assert client.post("/console/login", data={"name": "admin", "password": PASSWORD, "csrf": token},
                       follow_redirects=False).status_code == 303


def test_link_chains_are_inert_with_a_copy_button(client: TestClient, engine: Engine) -> None:
    log_in(client, "moderator")
    page = client.get(f"/console/cases/{case_id(engine, 'p-dossier')}").text
    chain = page.split('id="chain-h"')[1]
    assert "<a " not in chain.split("</section>")[0]  # no live link to the leak
    assert '<code class="url" dir="ltr"' in chain and f'data-copy="{PDF}"' in chain
    assert client.get("/console/static/console.js").status_code == 200


def test_the_queue_reads_like_a_queue(client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from leakwarden.service.console import web

    csrf = log_in(client, "moderator")
    page = client.get("/console/queue").text
    assert "Severity" in page and "Waiting" in page and "Assignee" in page
    assert ADDRESS not in page  # the excerpt masks private values as the case page does
    assert '<span class="severity high">high</span>' in page
    doxx = case_id(engine, "p-doxx")
    assert client.post(f"/console/cases/{doxx}/assign", data={"to": "me", "csrf": csrf}).status_code == 200
    assert '<td class="assignee" dir="auto">user:moderator</td>' in client.get("/console/queue").text
    with engine.db.session() as s:
        assert [e.actor for e in audit_log.events(s, kind="case.assigned")] == ["user:moderator"]
    assert client.post(f"/console/cases/{doxx}/assign", data={"to": "bob", "csrf": csrf}).status_code == 422
    monkeypatch.setattr(web, "QUEUE_PAGE", 1)
    first, second = client.get("/console/queue?state=all").text, client.get("/console/queue?state=all&page=2").text
    assert "page 1 of" in first and "Next page" in first and "Previous page" not in first
    assert "page 2 of" in second and "Previous page" in second
    cases_on = [re.findall(r">Case (\d+)</a>", p) for p in (first, second)]
    assert len(cases_on[0]) == len(cases_on[1]) == 1 and cases_on[0] != cases_on[1]


@pytest.mark.parametrize("query", ["state=bogus", "source=alien", "page=x"])
def test_bad_queue_filters_are_4xx(client: TestClient, query: str) -> None:
    log_in(client, "moderator")
    assert client.get(f"/console/queue?{query}").status_code == 422


def test_case_history_is_in_words(client: TestClient, engine: Engine) -> None:
    log_in(client, "moderator")
    page = client.get(f"/console/cases/{case_id(engine, 'p-doxx')}").text
    history = page.split('id="history-h"')[1]
    assert "The policy applied remove" in history and "strike" in history and "Case opened (policy)" in history
    assert "action.applied" not in history
    assert history.count("The policy applied") < page.count("<tr")  # actions applied together are one line


def test_the_audit_page_pages(client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from leakwarden.service.console import web

    log_in(client, "admin")
    monkeypatch.setattr(web, "AUDIT_PAGE", 5)
    first, second = client.get("/console/audit").text, client.get("/console/audit?page=2").text
    seqs = [re.findall(r"<tr><td>(\d+)</td>", p) for p in (first, second)]
    assert len(seqs[0]) == len(seqs[1]) == 5 and int(seqs[0][-1]) > int(seqs[1][0])
    assert "Older events" in first and "Newer events" in second
    assert "<title>Audit log · leakwarden</title>" in first  # the pager is in the page, not its title
    filtered = client.get("/console/audit?kind=action.applied&page=2").text
    assert 'class="kind">action.applied<' in filtered and 'class="kind">case.opened<' not in filtered
    assert "kind=action.applied&amp;subject_type=&amp;subject_id=&amp;page=1" in filtered  # paging keeps the filter


def test_an_appeal_is_chosen_not_numbered(client: TestClient, engine: Engine) -> None:
    csrf = log_in(client, "moderator")
    page = client.get("/console/appeals").text
    assert "Action number" not in page
    chosen = client.get("/console/appeals?account=troll").text
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', chosen)
    assert options and any("suspend" in label and "p-doxx" in label for _, label in options)
    suspend = next(i for i, label in options if "suspend" in label)
    filed = client.post("/console/appeals", data={"action_id": suspend, "account": "troll", "statement": "sorry",
                                                  "csrf": csrf})
    assert filed.status_code == 200 and "Grant appeal" in filed.text
    assert f'<option value="{suspend}">' not in client.get("/console/appeals?account=troll").text
    assert "No action in force" in client.get("/console/appeals?account=nobody-here").text


def test_reinstate_from_the_console(client: TestClient, engine: Engine) -> None:
    csrf = log_in(client, "moderator")
    done = client.post("/console/accounts/troll/reinstate", data={"note": "mistaken identity", "csrf": csrf})
    assert done.status_code == 200
    assert "Standing: <strong>good</strong>" in done.text and "0 active strikes" in done.text
    assert client.post("/console/accounts/nobody-here/reinstate", data={"csrf": csrf}).status_code == 404
