"""The reviewer console: server-rendered pages (Jinja2, plain forms; one small script only copies
URLs) under /console.

Every page needs a logged-in user (else a redirect to the login page); each has a least role, the
same as the API's for the same data (``service.auth.ROLES``: cases, appeals, accounts, the report
and the audit log need a moderator, users an admin), and answers 403 below it. Every form carries
the session's CSRF token. Every response carries a Content-Security-Policy (no inline script, no
framing), ``X-Frame-Options: DENY`` and ``Referrer-Policy: no-referrer``. Logins are throttled per
account and per address (``users.LoginThrottle``) and failures audited. Moderator acts go through
``enforcement.review`` and ``enforcement.appeals``, which audit them; an overturn asks for a reason
and a confirmation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leakwarden.audit import log as audit_log
from leakwarden.audit import report as reports
from leakwarden.audit import requests as outside
from leakwarden.audit import signing as audit_signing
from leakwarden.enforcement import appeals, review
from leakwarden.enforcement.standing import standing_of
from leakwarden.engine import Engine
from leakwarden.errors import Conflict, Forbidden, InvalidInput, LeakwardenError
from leakwarden.links.url import host_of
from leakwarden.model import Action, ActionType, Decision, Post
from leakwarden.service.console import images as console_images
from leakwarden.service.console import users
from leakwarden.service.console.casefile import _marked as marked_texts
from leakwarden.service.console.casefile import case_file, history
from leakwarden.service.console.sso import SsoRefused, SsoSettings
from leakwarden.service.deps import IdPath
from leakwarden.signals.pii import atrest
from leakwarden.signals.spam import feedback as spam_feedback
from leakwarden.store.tables import (
    AuditEventRow,
    CaseRow,
    EnforcementAction,
    OutsideRequestRow,
    PostRow,
    Sanction,
    Strike,
)

PREFIX = "/console"
COOKIE = "lw_console"
LOGIN_COOKIE = "lw_login_csrf"
SSO_COOKIE = "lw_sso"
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["compact_json"] = lambda v: json.dumps(v, ensure_ascii=False, separators=(", ", ": "),
                                                          default=str)
ENGINE_KEY = "leakwarden.engine"
SSO_KEY = "leakwarden.sso"


class LoginRequired(Exception):
    """No valid session: answered with a redirect to the login page."""


def engine_of(request: Request) -> Engine:
    engine: Engine = request.scope[ENGINE_KEY]
    return engine


def sso_of(request: Request) -> SsoSettings | None:
    settings: SsoSettings | None = request.scope.get(SSO_KEY)
    return settings


def signed_in(request: Request) -> users.SessionInfo:
    info = users.session_of(engine_of(request).db, request.cookies.get(COOKIE))
    if info is None:
        raise LoginRequired()
    return info


def need(role: str) -> Any:
    def dependency(info: Annotated[users.SessionInfo, Depends(signed_in)]) -> users.SessionInfo:
        if not info.principal.can(role):
            raise Forbidden(f"this page needs the {role} role; you have the {info.principal.role} role")
        return info

    return Depends(dependency)


Viewer = Annotated[users.SessionInfo, need("submitter")]  # signed in with any role (logging out)
Moderator = Annotated[users.SessionInfo, need("moderator")]
Admin = Annotated[users.SessionInfo, need("admin")]


async def checked_form(request: Request, info: users.SessionInfo) -> FormData:
    form = await request.form()
    token = form.get("csrf")
    if not users.csrf_ok(info.csrf, token if isinstance(token, str) else None):
        raise Forbidden("this form has expired or did not come from the console; reload the page", code="csrf")
    return form


def field(form: FormData, name: str, *, default: str = "", limit: int = 2000) -> str:
    value = form.get(name, default)
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: expected text", code="invalid_form")
    if len(value) > limit:
        raise InvalidInput(f"{name}: at most {limit} characters", code="invalid_form")
    return value.strip()


def int_field(form: FormData, name: str) -> int:
    value = field(form, name, limit=20)
    if not value.lstrip("-").isdigit():
        raise InvalidInput(f"{name}: expected a whole number", code="invalid_form")
    return int(value)


def render(request: Request, template: str, info: users.SessionInfo | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"user": info.principal if info else None,
                                                      "csrf": info.csrf if info else "", "prefix": PREFIX,
                                                      **context}, status_code=status)


def back(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, status_code=303)


def build() -> FastAPI:
    app = FastAPI(title="leakwarden console", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{PREFIX}/login?next={quote(target)}", status_code=303)

    @app.exception_handler(LeakwardenError)
    async def refused(request: Request, exc: LeakwardenError) -> Response:
        info = users.session_of(engine_of(request).db, request.cookies.get(COOKIE))
        return render(request, "error.html", info, exc.status, code=exc.code, message=exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return render(request, "error.html", None, 422, code="invalid_input",
                      message=f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return render(request, "error.html", None, exc.status_code, code="http_error", message=str(exc.detail))

    # -- signing in ------------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = f"{PREFIX}/queue") -> Response:
        return login_form(request, 200, _safe_next(next))

    @app.post("/login")
    async def login(request: Request) -> Response:
        sso = sso_of(request)
        if sso is not None and not sso.password_login:
            raise Forbidden("password login is turned off; sign in with SSO", code="password_login_disabled")
        form = await request.form()
        token = request.cookies.get(LOGIN_COOKIE)
        given = form.get("csrf")
        if not token or not users.csrf_ok(token, given if isinstance(given, str) else None):
            raise Forbidden("the login form has expired; reload the page", code="csrf")
        name, password = field(form, "name", limit=100), field(form, "password", limit=users.MAX_PASSWORD)
        target = _safe_next(field(form, "next", default=f"{PREFIX}/queue", limit=500))
        ip = request.client.host if request.client else ""
        try:
            session_token, _info = users.log_in(engine_of(request).db, name, password, ip=ip)
        except LeakwardenError as exc:
            refused = render(request, "login.html", None, exc.status, login_csrf=token, next=target,
                             error=exc.message, name=name, sso=sso)
            if isinstance(exc, users.TooManyAttempts):
                refused.headers["Retry-After"] = str(exc.retry_after)
            return refused
        done = signed_in_to(request, target, session_token)
        done.delete_cookie(LOGIN_COOKIE, path=PREFIX)
        return done

    @app.get("/sso/login")
    async def sso_login(request: Request, next: str = f"{PREFIX}/queue") -> Response:
        """Start an OIDC sign-on: to the provider, with state, nonce and a PKCE challenge."""
        sso = sso_of(request)
        if sso is None:
            raise InvalidInput("single sign-on is not configured", code="sso_off")
        redirect_uri = sso.redirect_url or str(request.url.replace(path=f"{PREFIX}/sso/callback", query=""))
        try:
            url, flow = await sso.start(redirect_uri, _safe_next(next))
        except SsoRefused as exc:
            return sso_refused(request, sso, exc)
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(SSO_COOKIE, flow, httponly=True, samesite="lax", path=PREFIX, max_age=600,
                            secure=request.url.scheme == "https")
        return response

    @app.get("/sso/callback")
    async def sso_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
        """The provider's answer: check state, redeem the code, check the ID token, map the role."""
        sso = sso_of(request)
        if sso is None:
            raise InvalidInput("single sign-on is not configured", code="sso_off")
        claims: dict[str, Any] = {}
        try:
            flow = sso.open_flow(request.cookies.get(SSO_COOKIE), state[:200] or None)
            if error or not code:
                raise SsoRefused(f"the provider refused the sign-on ({error[:100] or 'no code'})", code="sso_denied")
            claims = await sso.finish(flow, code[:2000])
            role = sso.role_for(claims)
            if role is None:
                raise SsoRefused("your account is not allowed into the console (no role for it); ask an admin",
                                 code="sso_not_allowed", status=403)
            ip = request.client.host if request.client else ""
            token, _info = users.sso_log_in(engine_of(request).db, issuer=sso.issuer, claims=claims, role=role, ip=ip)
        except SsoRefused as exc:
            return sso_refused(request, sso, exc, claims)
        done = signed_in_to(request, _safe_next(str(flow.get("next", ""))), token)
        done.delete_cookie(SSO_COOKIE, path=PREFIX)
        return done

    def sso_refused(request: Request, sso: SsoSettings, exc: SsoRefused, claims: dict[str, Any] | None = None) \
            -> Response:
        """Audited (``console.sso_refused``: why, the address, and who the provider said it was)."""
        claims = claims or {}
        who = claims.get("email") if isinstance(claims.get("email"), str) else claims.get("sub")
        with engine_of(request).db.session() as s:
            audit_log.append(s, actor="console", kind="console.sso_refused", subject_type="console_user",
                             subject_id=str(who or "")[:100],
                             payload={"reason": exc.code, "issuer": sso.issuer,
                                      "ip": request.client.host if request.client else ""})
        response = login_form(request, exc.status, f"{PREFIX}/queue", error=exc.message)
        response.delete_cookie(SSO_COOKIE, path=PREFIX)
        return response

    @app.post("/logout")
    async def logout(request: Request, info: Viewer) -> Response:
        await checked_form(request, info)
        users.log_out(engine_of(request).db, request.cookies.get(COOKIE))
        response = back("/login")
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    @app.get("/")
    def home(_: Viewer) -> Response:
        return back("/queue")

    # -- the queue and a case ----------------------------------------------------------------
    @app.get("/queue", response_class=HTMLResponse)
    def queue(request: Request, info: Moderator, state: str = "open", source: str = "", page: int = 1) -> Response:
        if state not in ("open", "escalated", "waiting", "closed", "all"):
            raise InvalidInput("state must be open, escalated, waiting, closed or all", code="invalid_state")
        if source not in ("", "policy", "detector", "report", "appeal"):
            raise InvalidInput("source must be policy, detector, report or appeal", code="invalid_source")
        now = datetime.now(UTC)
        with engine_of(request).db.session() as s:
            query = select(CaseRow)
            if state in ("open", "escalated", "closed"):
                query = query.where(CaseRow.state == state)
            elif state == "waiting":
                query = query.where(CaseRow.state != "closed")
            if source:
                query = query.where(CaseRow.source == source)
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            pages = max(1, -(-total // QUEUE_PAGE))
            page = max(1, min(page, pages))
            rows = list(s.scalars(query.order_by(CaseRow.state.desc(), CaseRow.created_at, CaseRow.id)
                                  .offset((page - 1) * QUEUE_PAGE).limit(QUEUE_PAGE)))
            posts = {p.id: p for p in s.scalars(select(PostRow).where(
                PostRow.id.in_([c.post_id for c in rows if c.post_id])))}
            cases = [queue_row(c, posts.get(c.post_id or ""), now) for c in rows]
            counts = dict(s.execute(select(CaseRow.state, func.count()).group_by(CaseRow.state)).all())
        return render(request, "queue.html", info, cases=cases, state=state, source=source, counts=counts,
                      page=page, pages=pages, total=total)

    def show_case(request: Request, info: users.SessionInfo, case_id: int,
                  revealed: dict[str, str] | None = None, status: int = 200) -> Response:
        engine = engine_of(request)
        with engine.db.session() as s:
            found = case_file(s, case_id, revealed)
        return render(request, "case.html", info, status, f=found, banks=_bank_names(engine),
                      history=history(found.events),
                      moderator=info.principal.can("moderator"), changeable=[t.value for t in review.CHANGEABLE],
                      hosts=_hosts)

    def confirm_overturn(request: Request, info: users.SessionInfo, case_id: int, note: str,
                         status: int) -> Response:
        """An overturn reverses a removal and its strikes: show what it undoes, ask for a reason."""
        info.principal.require("moderator")
        with engine_of(request).db.session() as s:
            case = review.get_case(s, case_id)
            if case.state == "closed":
                raise Conflict(f"case {case_id} is closed", code="invalid_transition")
            if case.post_id is None:
                raise InvalidInput(f"case {case_id} concerns no post; there is nothing to overturn", code="no_post")
            post = s.get(PostRow, case.post_id)
            actions = list(s.scalars(select(EnforcementAction).where(EnforcementAction.post_id == case.post_id,
                                                                     EnforcementAction.reversed_at.is_(None))))
            strikes = list(s.scalars(select(Strike).where(Strike.post_id == case.post_id,
                                                          Strike.removed_at.is_(None))))
            sanctions = list(s.scalars(select(Sanction).where(Sanction.post_id == case.post_id,
                                                              Sanction.lifted_at.is_(None))))
            return render(request, "overturn.html", info, status, c=case, note=note, actions=actions,
                          strikes=strikes, sanctions=sanctions, post_status=post.status if post else None,
                          error="" if status == 200 else "an overturn needs a reason")

    @app.post("/cases/{case_id}/assign")
    async def assign(request: Request, case_id: IdPath, info: Moderator) -> Response:
        """Assign the case to oneself (to="me") or clear the assignment (to=""); audited."""
        form = await checked_form(request, info)
        to = field(form, "to", limit=10)
        if to not in ("me", ""):
            raise InvalidInput("to must be 'me' or empty", code="invalid_form")
        with engine_of(request).db.session() as s:
            case = review.get_case(s, case_id)
            if case.state == "closed":
                raise Conflict(f"case {case_id} is closed", code="invalid_transition")
            assignee = info.principal.name if to == "me" else None
            case.data = {**(case.data or {}), "assignee": assignee}
            audit_log.append(s, actor=info.principal.name, kind="case.assigned", subject_type="case",
                             subject_id=str(case_id), payload={"assignee": assignee})
        return back(f"/cases/{case_id}")

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: IdPath, info: Moderator) -> Response:
        return show_case(request, info, case_id)

    @app.post("/cases/{case_id}/decide")
    async def decide(request: Request, case_id: IdPath, info: Moderator) -> Response:
        form = await checked_form(request, info)
        act, note = field(form, "act", limit=20), field(form, "note")
        confirmed = field(form, "confirm", limit=10) == "yes"
        if act == "overturn" and (not confirmed or not note):
            return confirm_overturn(request, info, case_id, note, status=422 if confirmed else 200)
        with engine_of(request).db.session() as s:
            if act == "confirm":
                review.confirm(s, case_id, info.principal, note)
            elif act == "overturn":
                review.overturn(s, case_id, info.principal, note, policy=engine_of(request).policy)
            elif act == "escalate":
                review.escalate(s, case_id, info.principal, note)
            elif act in ("grant", "deny"):
                appeals.resolve_appeal(s, case_id, info.principal, granted=act == "grant", note=note)
            else:
                raise InvalidInput("act must be confirm, overturn, escalate, grant or deny", code="invalid_form")
            post_id = review.get_case(s, case_id).post_id
        spam_feedback.learn_from_review(engine_of(request).db, engine_of(request).detectors, post_id, act,
                                        actor=info.principal.name)  # a spam verdict upheld or overturned
        return back(f"/cases/{case_id}")

    @app.post("/cases/{case_id}/spam")
    async def teach_spam(request: Request, case_id: IdPath, info: Moderator) -> Response:
        """The moderator says the case's post is spam or not: the spam detector learns it at once."""
        form = await checked_form(request, info)
        info.principal.require("moderator")
        label = field(form, "label", limit=4)
        engine = engine_of(request)
        detector = spam_feedback.spam_detector(engine.detectors)
        with engine.db.session() as s:
            post_id = review.get_case(s, case_id).post_id
        if detector is None or post_id is None:
            raise InvalidInput("this case has no post, or the server runs no spam detector", code="invalid_form")
        spam_feedback.report_post(engine.db, detector, post_id, label, actor=info.principal.name, source="console")
        return back(f"/cases/{case_id}")

    @app.post("/cases/{case_id}/change")
    async def change(request: Request, case_id: IdPath, info: Moderator) -> Response:
        form = await checked_form(request, info)
        kind = field(form, "action", limit=20)
        if kind not in {t.value for t in review.CHANGEABLE}:
            raise InvalidInput(f"unknown action {kind!r}", code="invalid_form")
        hours = field(form, "hours", default="", limit=6)
        duration = int(float(hours) * 3600) if hours.replace(".", "", 1).isdigit() else None
        action = Action(type=ActionType(kind), label=field(form, "label", limit=200) or None,
                        duration_s=duration if kind == "suspend" else None)
        engine = engine_of(request)
        with engine.db.session() as s:
            review.change_action(s, case_id, info.principal, action, policy=engine.policy, rules=engine.rules,
                                 note=field(form, "note"))
        engine.rules.refresh(force=True)
        return back(f"/cases/{case_id}")

    @app.post("/cases/{case_id}/reveal", response_class=HTMLResponse)
    async def reveal(request: Request, case_id: IdPath, info: Moderator) -> Response:
        form = await checked_form(request, info)
        ref = field(form, "ref", limit=20)
        try:
            r, e = (int(x) for x in ref.split("."))
        except ValueError:
            raise InvalidInput("ref must look like 0.1", code="invalid_form") from None
        with engine_of(request).db.session() as s:
            value = review.reveal(s, case_id, r, e, info.principal)
        response = show_case(request, info, case_id, {ref: value})
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post("/cases/{case_id}/rule")
    async def add_rule(request: Request, case_id: IdPath, info: Moderator) -> Response:
        form = await checked_form(request, info)
        engine = engine_of(request)
        with engine.db.session() as s:
            review.add_rule_from_case(s, case_id, info.principal, engine.rules, field(form, "kind", limit=10),
                                      field(form, "value", limit=8192), field(form, "note"))
        engine.rules.refresh(force=True)
        return back(f"/cases/{case_id}")

    @app.post("/cases/{case_id}/bank")
    async def add_to_bank(request: Request, case_id: IdPath, info: Moderator) -> Response:
        form = await checked_form(request, info)
        info.principal.require("moderator")
        engine = engine_of(request)
        url, bank = field(form, "url", limit=8192), field(form, "bank", limit=100)
        with engine.db.session() as s:
            found = case_file(s, case_id)
        hop = next((h for c in found.chains for h in c.hops if (h.canonical or h.url) == url and h.text), None)
        if hop is None:
            raise InvalidInput("that document is not in this case's link chains", code="invalid_form")
        item = _banks(engine).add_text(bank, hop.text, title=url[-200:], source="review", origin=url)
        with engine.db.session() as s:
            audit_log.append(s, actor=info.principal.name, kind="review.banked", subject_type="case",
                             subject_id=str(case_id), payload={"bank": bank, "item": item.id, "url": url,
                                                               "note": field(form, "note")})
        return back(f"/cases/{case_id}")

    # -- appeals, accounts -------------------------------------------------------------------
    @app.get("/appeals", response_class=HTMLResponse)
    def appeals_page(request: Request, info: Moderator, account: str = "") -> Response:
        """Appeals; with ?account=, the account's actions in force to choose the one appealed (no
        internal action number to type)."""
        from leakwarden.enforcement.review_tables import AppealRow

        account = account.strip()[:200]
        with engine_of(request).db.session() as s:
            rows = list(s.scalars(select(AppealRow).order_by(AppealRow.id.desc()).limit(500)))
            appealed = {a.action_id for a in rows}
            choices = [a for a in s.scalars(select(EnforcementAction).where(
                EnforcementAction.account == account, EnforcementAction.reversed_at.is_(None))
                .order_by(EnforcementAction.id.desc())) if a.id not in appealed] if account else []
        return render(request, "appeals.html", info, appeals=rows, window=appeals.APPEAL_WINDOW.days,
                      account=account, choices=choices)

    @app.post("/appeals")
    async def file_appeal(request: Request, info: Moderator) -> Response:
        form = await checked_form(request, info)
        with engine_of(request).db.session() as s:
            row = appeals.file_appeal(s, int_field(form, "action_id"), field(form, "account", limit=200),
                                      field(form, "statement"), filed_by=info.principal.name)
            case_id = row.case_id
        return back(f"/cases/{case_id}")

    @app.get("/accounts/{account}", response_class=HTMLResponse)
    def account_page(request: Request, account: str, info: Moderator) -> Response:
        with engine_of(request).db.session() as s:
            standing = standing_of(s, account)
            acts = list(s.scalars(select(EnforcementAction).where(EnforcementAction.account == account)
                                  .order_by(EnforcementAction.id)))
            strikes = list(s.scalars(select(Strike).where(Strike.account == account)))
            sanctions = list(s.scalars(select(Sanction).where(Sanction.account == account)))
            posts = list(s.scalars(select(PostRow).where(PostRow.author == account).order_by(PostRow.ingested_at)))
            cases = list(s.scalars(select(CaseRow).where(CaseRow.account == account).order_by(CaseRow.id)))
        return render(request, "account.html", info, account=account, standing=standing, actions=acts,
                      strikes=strikes, sanctions=sanctions, posts=posts, cases=cases)

    @app.post("/accounts/{account}/reinstate")
    async def reinstate_account(request: Request, account: str, info: Moderator) -> Response:
        form = await checked_form(request, info)
        with engine_of(request).db.session() as s:
            review.reinstate(s, account, info.principal, field(form, "note"))
        return back(f"/accounts/{quote(account, safe='')}")

    # -- outside requests, transparency, audit, users --------------------------------------
    @app.get("/requests", response_class=HTMLResponse)
    def requests_page(request: Request, info: Moderator) -> Response:
        with engine_of(request).db.session() as s:
            rows = list(s.scalars(select(OutsideRequestRow).order_by(OutsideRequestRow.received_at.desc())))
        return render(request, "requests.html", info, requests=rows, kinds=outside.KINDS, outcomes=outside.OUTCOMES)

    @app.post("/requests")
    async def record_request(request: Request, info: Moderator) -> Response:
        form = await checked_form(request, info)
        ids = [int(x) for x in field(form, "action_ids").replace(",", " ").split() if x.isdigit()]
        concerns = outside.Concerns(posts=field(form, "posts").split(), urls=field(form, "urls").split(),
                                    accounts=field(form, "accounts").split())
        body = outside.OutsideRequest(kind=field(form, "kind", limit=30), requester=field(form, "requester", limit=300),
                                      asked=field(form, "asked", limit=10_000), concerns=concerns,
                                      outcome=field(form, "outcome", limit=30), done=field(form, "done", limit=10_000),
                                      action_ids=ids)
        recorded = outside.record(engine_of(request).db, body, info.principal.name)
        case_ids = [int(x) for x in field(form, "case_ids").replace(",", " ").split() if x.isdigit()]
        if case_ids:
            with engine_of(request).db.session() as s:
                for case_id in case_ids:
                    review.get_case(s, case_id)
                    audit_log.append(s, actor=info.principal.name, kind="request.linked", subject_type="case",
                                     subject_id=str(case_id), payload={"request": recorded["id"]})
        return back("/requests")

    @app.get("/report", response_class=HTMLResponse)
    def report_page(request: Request, info: Moderator, days: int = 30) -> Response:
        days = max(1, min(days, 3660))
        end = datetime.now(UTC) + timedelta(seconds=1)
        built = reports.build(engine_of(request).db, end - timedelta(days=days), end)
        charts = [
            reports.bar_chart("Actions by policy clause",
                              [(f"{c} · {t}", n) for (c, t), n in sorted(built.actions.items())]),
            reports.bar_chart("Decisions by verdict", sorted(built.verdicts.items())),
            reports.bar_chart("Outside requests by kind and outcome",
                              [(f"{k} · {o}", n) for (k, o), n in sorted(built.requests.items())]),
        ]
        return render(request, "report.html", info, report=built, charts=charts, days=days)

    @app.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, info: Moderator, kind: str = "", subject_type: str = "", subject_id: str = "",
                   page: int = 1) -> Response:
        """The audit log, newest first, AUDIT_PAGE events a page."""
        with engine_of(request).db.session() as s:
            query = select(AuditEventRow)
            if kind:
                query = query.where(AuditEventRow.kind == kind[:100])
            if subject_type:
                query = query.where(AuditEventRow.subject_type == subject_type[:100])
            if subject_id:
                query = query.where(AuditEventRow.subject_id == subject_id[:300])
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            pages = max(1, -(-total // AUDIT_PAGE))
            page = max(1, min(page, pages))
            events = list(s.scalars(query.order_by(AuditEventRow.seq.desc())
                                    .offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE)))
            verified = audit_log.verify(s, public_key=audit_signing.signing_key().public_key()) \
                if info.principal.can("admin") else None
            kinds = sorted(k for (k,) in s.execute(select(AuditEventRow.kind).distinct()))
        return render(request, "audit.html", info, events=events, kind=kind, subject_type=subject_type,
                      subject_id=subject_id, payload=audit_log.payload_of, verified=verified, kinds=kinds,
                      page=page, pages=pages, total=total,
                      filters=f"kind={quote(kind)}&subject_type={quote(subject_type)}&subject_id={quote(subject_id)}")

    @app.get("/users", response_class=HTMLResponse)
    def users_page(request: Request, info: Admin) -> Response:
        return render(request, "users.html", info, users=users.list_users(engine_of(request).db))

    from leakwarden.service.console import policy_pages  # (it uses this module's helpers)

    policy_pages.add(app)

    from leakwarden.service.console import consistency

    consistency.add(app)

    from leakwarden.service.console import webhook_pages

    webhook_pages.add(app)

    console_images.register(app)  # image evidence: blurred, revealed with an audit event
    return app


QUEUE_PAGE = 50
AUDIT_PAGE = 100
EXCERPT = 160
SEVERITY = {"remove": "high", "restrict": "medium", "label": "low", "allow": "low"}


def age(since: datetime, now: datetime) -> str:
    """'3 min', '5 h', '2 d': how long a case has waited."""
    seconds = max(0, int((now - (since if since.tzinfo else since.replace(tzinfo=UTC))).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def queue_row(case: CaseRow, post: PostRow | None, now: datetime) -> dict[str, Any]:
    """One queue line: the case with an excerpt of its post (private values masked, as on the case
    page), a severity from the post's verdict, its age and who it is assigned to."""
    excerpt, severity = "", "—"
    if post is not None:
        body, decision = Post.model_validate(atrest.shown_body(post.body)), None
        if post.decision:
            decision = Decision.model_validate(post.decision)
            severity = SEVERITY.get(decision.verdict.value, "—")
        marked = [m for m in marked_texts(body, decision, {}) if m.subject == "post"] if decision else []
        text = "".join(seg.text for seg in marked[0].segments) if marked else body.text
        text = " ".join(text.split())
        excerpt = text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"
    return {"case": case, "excerpt": excerpt, "severity": severity, "age": age(case.created_at, now),
            "assignee": (case.data or {}).get("assignee") or ""}


def login_form(request: Request, status: int, target: str, **context: Any) -> Response:
    """The login page (password form unless turned off, and "Sign in with SSO" when configured)."""
    import secrets

    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, status, login_csrf=token, next=target, sso=sso_of(request),
                      **context)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path=PREFIX,
                        secure=request.url.scheme == "https")
    return response


def signed_in_to(request: Request, target: str, session_token: str) -> RedirectResponse:
    done = RedirectResponse(target, status_code=303)
    done.set_cookie(COOKIE, session_token, httponly=True, samesite="lax", path=PREFIX,
                    max_age=int(users.SESSION_TTL.total_seconds()), secure=request.url.scheme == "https")
    return done


def _safe_next(target: str) -> str:
    """Only paths inside the console: never an open redirect."""
    if not target.startswith(PREFIX + "/") or target.startswith("//") or "\\" in target:
        return f"{PREFIX}/queue"
    return target


def _hosts(url: str) -> str:
    try:
        return host_of(url)
    except LeakwardenError:
        return ""


def _banks(engine: Engine) -> Any:
    from leakwarden.signals.bank.repository import Banks

    for detector in engine.detectors:  # reuse the running bank detector's embedder, when there is one
        index = getattr(detector, "index", None)
        embedder = getattr(index, "embedder", None)
        if embedder is not None:
            return Banks(engine.db, embedder)
    return Banks(engine.db, embed=False) if not any(d.kind == "bank" for d in engine.detectors) \
        else Banks(engine.db)


def _bank_names(engine: Engine) -> list[str]:
    try:
        return [b.name for b in _banks(engine).list_banks()]
    except ImportError:  # the bank module is optional
        return []


SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
]


class Console:
    """The console as an ASGI app to mount inside the API app: it finds the engine on the parent, and
    adds the security headers to every response (pages, redirects, errors, static files)."""

    def __init__(self) -> None:
        self.app = build()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if ENGINE_KEY not in scope:
            scope[ENGINE_KEY] = scope["app"].state.engine
            scope[SSO_KEY] = getattr(scope["app"].state, "sso", None)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in SECURITY_HEADERS}
                message["headers"] = [h for h in message.get("headers", []) if h[0].lower() not in names] \
                    + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def console_asgi() -> ASGIApp:
    return Console()
