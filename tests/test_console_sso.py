"""OIDC single sign-on for the console, against a tiny provider on 127.0.0.1 (tests/e2e/oidc.py):
the whole code flow with PKCE, and every way a sign-on must be refused (each refusal audited)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from e2e.casework import casework_engine
from e2e.oidc import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from fastapi.testclient import TestClient
from sqlalchemy import select

from leakwarden.audit import log as audit_log
from leakwarden.cli import main
from leakwarden.engine import Engine
from leakwarden.errors import InvalidInput
from leakwarden.service.app import create_app
from leakwarden.service.console import users
from leakwarden.service.console.sso import ENV, RoleRule, SsoSettings
from leakwarden.store.tables import AuditEventRow

pytestmark = pytest.mark.usefixtures("cheap_argon2")
ROLE_RULES = ["@example.org=moderator", "groups:lw-admins=admin"]


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as p:
        yield p


@pytest.fixture(autouse=True)
def fresh_provider(provider: Provider) -> None:
    provider.claims = {"sub": "u-1", "email": "ann@example.org", "email_verified": True}
    provider.tamper, provider.rogue = {}, False


@pytest.fixture
def secret_file(tmp_path: Path) -> str:
    path = tmp_path / "oidc-secret"
    path.write_text(CLIENT_SECRET + "\n")
    return str(path)


@pytest.fixture
def engine(db_url: str) -> Engine:
    return casework_engine(db_url)


def sso_client(engine: Engine, provider: Provider, secret_file: str, **options: Any) -> TestClient:
    settings = SsoSettings.configure(issuer=provider.issuer, client_id=CLIENT_ID, secret_file=secret_file,
                                     roles=ROLE_RULES, **options)
    return TestClient(create_app(engine, sso=settings), raise_server_exceptions=False, base_url="http://127.0.0.1")


@pytest.fixture
def client(engine: Engine, provider: Provider, secret_file: str) -> Iterator[TestClient]:
    with sso_client(engine, provider, secret_file) as c:
        yield c


def to_provider(client: TestClient) -> str:
    """Press "Sign in with SSO": the provider's authorization URL."""
    start = client.get("/console/sso/login?next=/console/audit", follow_redirects=False)
    assert start.status_code == 303, start.text
    return start.headers["location"]


def sign_in(client: TestClient, *, state: str | None = None) -> httpx.Response:
    """The whole round trip: console → provider (signs in at once) → the console's callback."""
    back = httpx.get(to_provider(client), follow_redirects=False)
    assert back.status_code == 302, back.text
    callback = back.headers["location"]
    if state is not None:
        callback = re.sub(r"state=[^&]*", f"state={state}", callback)
    return client.get(callback, follow_redirects=False)


def audit(engine: Engine, kind: str) -> list[dict[str, Any]]:
    with engine.db.session() as s:
        return [{"subject": e.subject_id, "actor": e.actor, **audit_log.payload_of(e)}
                for e in s.scalars(select(AuditEventRow).where(AuditEventRow.kind == kind).order_by(AuditEventRow.seq))]


def test_the_login_page_offers_sso(client: TestClient) -> None:
    page = client.get("/console/login")
    assert "Sign in with SSO" in page.text and 'name="password"' in page.text


def test_the_authorization_request_carries_state_nonce_and_pkce(client: TestClient, provider: Provider) -> None:
    query = {k: v[0] for k, v in parse_qs(urlsplit(to_provider(client)).query).items()}
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert len(query["state"]) >= 20 and len(query["nonce"]) >= 20
    assert query["redirect_uri"] == "http://127.0.0.1/console/sso/callback"
    assert "openid" in query["scope"].split()


def test_a_mapped_user_signs_in(client: TestClient, engine: Engine) -> None:
    done = sign_in(client)
    assert done.status_code == 303 and done.headers["location"] == "/console/audit"
    page = client.get("/console/audit")
    assert page.status_code == 200 and "ann@example.org (moderator)" in page.text
    assert client.get("/console/users").status_code == 403  # a moderator, not an admin
    [login] = audit(engine, "console.sso_login")
    assert login["actor"] == "user:ann@example.org" and login["role"] == "moderator"
    # the same identity signs in again as the same user; a password never works for it
    client.cookies.clear()
    assert sign_in(client).status_code == 303
    assert len(audit(engine, "user.created")) == 1
    with pytest.raises(users.Unauthorized):
        users.log_in(engine.db, "ann@example.org", "sso:anything", limiter=users.LoginThrottle())


def test_a_claim_maps_to_admin_and_the_role_follows_the_provider(client: TestClient, provider: Provider) -> None:
    provider.claims = {"sub": "u-2", "email": "bo@corp.example", "email_verified": True, "groups": ["lw-admins"]}
    assert sign_in(client).status_code == 303
    assert client.get("/console/users").status_code == 200
    provider.claims = {"sub": "u-2", "email": "bo@corp.example", "email_verified": True, "groups": ["staff"]}
    client.cookies.clear()
    refused = sign_in(client)
    assert refused.status_code == 403 and "not allowed" in refused.text  # no longer in the group: no role


@pytest.mark.parametrize("case,reason", [
    ("wrong audience", "sso_invalid_token"),
    ("audience list without us", "sso_invalid_token"),
    ("bad signature", "sso_invalid_token"),
    ("expired", "sso_invalid_token"),
    ("other issuer", "sso_invalid_token"),
    ("bad nonce", "sso_invalid_token"),
    ("bad state", "sso_state"),
    ("unmapped domain", "sso_not_allowed"),
    ("unverified e-mail", "sso_not_allowed"),
])
def test_bad_sign_ons_are_refused_and_audited(client: TestClient, engine: Engine, provider: Provider,
                                              case: str, reason: str) -> None:
    tamper = {"wrong audience": {"aud": "someone-else", "azp": CLIENT_ID},
              "audience list without us": {"aud": ["a", "b"]},
              "expired": {"exp": 1_000_000_000, "iat": 999_999_000},
              "other issuer": {"iss": "http://127.0.0.1:1"},
              "bad nonce": {"nonce": "not-the-one-we-sent"},
              "unmapped domain": {"email": "eve@elsewhere.example"},
              "unverified e-mail": {"email_verified": False}}
    provider.tamper = tamper.get(case, {})
    provider.rogue = case == "bad signature"
    refused = sign_in(client, state="forged-state" if case == "bad state" else None)
    assert refused.status_code in (401, 403)
    assert "lw_console=" not in refused.headers.get("set-cookie", "")
    assert client.get("/console/queue", follow_redirects=False).status_code == 303  # still signed out
    [event] = audit(engine, "console.sso_refused")
    assert event["reason"] == reason and event["issuer"] == client.app.state.sso.issuer  # type: ignore[attr-defined]
    assert audit(engine, "console.sso_login") == []
    assert 'name="password"' in refused.text  # the login page again, with the reason


def test_a_callback_without_its_cookie_or_replayed_is_refused(client: TestClient, engine: Engine) -> None:
    back = httpx.get(to_provider(client), follow_redirects=False).headers["location"]
    client.cookies.delete("lw_sso", path="/console")
    assert client.get(back, follow_redirects=False).status_code == 401  # another browser's callback
    done = sign_in(client)
    assert done.status_code == 303
    assert client.get(back, follow_redirects=False).status_code == 401
    assert [e["reason"] for e in audit(engine, "console.sso_refused")] == ["sso_state", "sso_state"]


@pytest.mark.parametrize("cookie", ["", "garbage", "a.b", "e30.é", "x" * 5000])
def test_a_forged_flow_cookie_is_refused(client: TestClient, engine: Engine, cookie: str) -> None:
    sent = {"Cookie": f"lw_sso={cookie}".encode("latin-1")}  # as a browser may send it, not only ASCII
    refused = client.get("/console/sso/callback?code=c&state=s", headers=sent, follow_redirects=False)
    assert refused.status_code == 401 and "not started from this browser" in refused.text
    assert audit(engine, "console.sso_refused")[0]["reason"] == "sso_state"


def test_the_provider_saying_no_is_refused(client: TestClient, engine: Engine) -> None:
    state = parse_qs(urlsplit(to_provider(client)).query)["state"][0]
    refused = client.get(f"/console/sso/callback?error=access_denied&state={state}")
    assert refused.status_code == 401 and "access_denied" in refused.text
    assert audit(engine, "console.sso_refused")[0]["reason"] == "sso_denied"


def test_a_password_user_is_not_taken_over(client: TestClient, engine: Engine) -> None:
    users.create_user(engine.db, "ann@example.org", "admin", "correct horse battery")
    refused = sign_in(client)
    assert refused.status_code == 403 and "belongs to someone else" in refused.text
    assert audit(engine, "console.sso_refused")[0]["reason"] == "sso_name_taken"


def test_a_disabled_sso_user_stays_out(client: TestClient, engine: Engine) -> None:
    assert sign_in(client).status_code == 303
    users.disable_user(engine.db, "ann@example.org")
    client.cookies.clear()
    assert sign_in(client).status_code == 403
    assert audit(engine, "console.sso_refused")[0]["reason"] == "sso_disabled"


def test_password_login_can_be_turned_off(engine: Engine, provider: Provider, secret_file: str) -> None:
    users.create_user(engine.db, "mod", "moderator", "correct horse battery")
    with sso_client(engine, provider, secret_file, password_login=False) as client:
        page = client.get("/console/login")
        assert "Sign in with SSO" in page.text and 'name="password"' not in page.text
        refused = client.post("/console/login", data={"name": "mod", "password": "correct horse battery"})
        assert refused.status_code == 403 and "password login is turned off" in refused.text
        assert sign_in(client).status_code == 303


def test_without_sso_the_routes_say_so(db_url: str) -> None:
    with TestClient(create_app(casework_engine(db_url)), base_url="http://127.0.0.1") as client:
        assert "Sign in with SSO" not in client.get("/console/login").text
        assert client.get("/console/sso/login").status_code == 422


def test_a_provider_that_is_down_is_a_clear_refusal(engine: Engine, secret_file: str) -> None:
    settings = SsoSettings.configure(issuer="http://127.0.0.1:9", client_id=CLIENT_ID, secret_file=secret_file,
                                     roles=ROLE_RULES)
    with TestClient(create_app(engine, sso=settings), base_url="http://127.0.0.1") as client:
        refused = client.get("/console/sso/login", follow_redirects=False)
        assert refused.status_code == 401 and "cannot be reached" in refused.text


@pytest.mark.parametrize("rule,claims,matches", [
    ("@example.org=moderator", {"email": "a@example.org", "email_verified": True}, True),
    ("@example.org=moderator", {"email": "a@EXAMPLE.org", "email_verified": True}, True),
    ("@example.org=moderator", {"email": "a@example.org"}, False),  # not verified
    ("@example.org=moderator", {"email": "a@sub.example.org", "email_verified": True}, False),
    ("@example.org=moderator", {"email": "a@example.org.evil", "email_verified": True}, False),
    ("groups:lw=admin", {"groups": ["x", "lw"]}, True),
    ("groups:lw=admin", {"groups": "lw"}, True),
    ("groups:lw=admin", {"groups": ["lwx"]}, False),
    ("hd:example.org=submitter", {"hd": "example.org"}, True),
])
def test_role_rules(rule: str, claims: dict[str, Any], matches: bool) -> None:
    assert RoleRule.parse(rule).matches(claims) is matches


@pytest.mark.parametrize("env,message", [
    ({"LEAKWARDEN_CONSOLE_PASSWORD_LOGIN": "0"}, "only when OIDC"),
    ({"LEAKWARDEN_OIDC_ISSUER": "http://idp.example", "LEAKWARDEN_OIDC_CLIENT_ID": "c"}, "https://"),
    ({"LEAKWARDEN_OIDC_ISSUER": "https://idp.example", "LEAKWARDEN_OIDC_CLIENT_ID": ""}, "client id"),
    ({"LEAKWARDEN_OIDC_ISSUER": "https://idp.example", "LEAKWARDEN_OIDC_CLIENT_ID": "c",
      "LEAKWARDEN_OIDC_CLIENT_SECRET_FILE": "/nonexistent/secret"}, "secret file"),
    ({"LEAKWARDEN_OIDC_ISSUER": "https://idp.example", "LEAKWARDEN_OIDC_CLIENT_ID": "c",
      "LEAKWARDEN_OIDC_CLIENT_SECRET_FILE": "SECRET", "LEAKWARDEN_OIDC_ROLES": ""}, "role rule"),
    ({"LEAKWARDEN_OIDC_ISSUER": "https://idp.example", "LEAKWARDEN_OIDC_CLIENT_ID": "c",
      "LEAKWARDEN_OIDC_CLIENT_SECRET_FILE": "SECRET", "LEAKWARDEN_OIDC_ROLES": "@example.org=root"}, "ROLE one of"),
    ({"LEAKWARDEN_OIDC_ISSUER": "https://idp.example", "LEAKWARDEN_OIDC_CLIENT_ID": "c",
      "LEAKWARDEN_OIDC_CLIENT_SECRET_FILE": "SECRET", "LEAKWARDEN_OIDC_ROLES": "groups=admin"}, "CLAIM:VALUE"),
])
def test_bad_configuration_is_one_clear_error(env: dict[str, str], message: str, secret_file: str) -> None:
    env = {k: secret_file if v == "SECRET" else v for k, v in env.items()}
    with pytest.raises(InvalidInput) as refused:
        SsoSettings.from_env(env)
    assert message in refused.value.message and refused.value.code == "invalid_sso_config"


def test_configuration_from_the_environment(secret_file: str) -> None:
    assert SsoSettings.from_env({}) is None
    settings = SsoSettings.from_env({"LEAKWARDEN_OIDC_ISSUER": "https://idp.example/", "LEAKWARDEN_OIDC_CLIENT_ID": "c",
                                     "LEAKWARDEN_OIDC_CLIENT_SECRET_FILE": secret_file,
                                     "LEAKWARDEN_OIDC_ROLES": "@example.org=moderator, groups:lw=admin",
                                     "LEAKWARDEN_CONSOLE_PASSWORD_LOGIN": "0"})
    assert settings is not None and settings.issuer == "https://idp.example" and not settings.password_login
    assert settings.client_secret == CLIENT_SECRET and CLIENT_SECRET not in repr(settings)
    assert settings.role_for({"email": "a@example.org", "email_verified": True, "groups": ["lw"]}) == "admin"
    assert settings.role_for({"email": "a@example.org", "email_verified": True}) == "moderator"
    assert settings.role_for({"groups": []}) is None


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` writes its --oidc-* options into the environment; undo that after each test."""
    for name in ENV.values():
        monkeypatch.setenv(name, "")  # recorded, so that what serve sets is removed afterwards
        monkeypatch.delenv(name)


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("args,message", [
    (["--oidc-issuer", "http://idp.example"], "https://"),
    (["--oidc-issuer", "https://idp.example", "--oidc-client-id", "c"], "secret file"),
    (["--no-password-login"], "only when OIDC"),
])
def test_serve_refuses_a_bad_sign_on_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   args: list[str], message: str) -> None:
    db = str(tmp_path / "serve.db")
    Engine(db, detectors=[], create=True).db.dispose()
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--db", db, "--port", "0", *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.strip().splitlines()) == 1 and message in err, err


@pytest.mark.slow
def test_serve_signs_in_through_the_provider(tmp_path: Path, provider: Provider, secret_file: str) -> None:
    from test_serve import Server

    db = str(tmp_path / "serve.db")
    Engine(db, detectors=[], create=True).db.dispose()
    server = Server(db, "--oidc-issuer", provider.issuer, "--oidc-client-id", CLIENT_ID, "--oidc-client-secret-file",
                    secret_file, "--oidc-role", "@example.org=moderator", "--no-password-login")
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url) as browser:
            assert 'name="password"' not in browser.get("/console/login").text
            start = browser.get("/console/sso/login")
            back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
            assert back.startswith(f"{server.url}/console/sso/callback?")
            done = browser.get(back)
            assert done.status_code == 303 and done.headers["location"] == "/console/queue"
            assert browser.get("/console/queue").status_code == 200
    finally:
        server.stop()
