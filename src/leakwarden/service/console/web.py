"""The reviewer console: server-rendered pages (Jinja2, plain forms, no scripts) under /console.

Every page needs a logged-in user (else a redirect to the login page); each has a least role
(``service.auth.ROLES``) and answers 403 below it. Every form carries the session's CSRF token.
Moderator acts go through ``enforcement.review`` and ``enforcement.appeals``, which audit them.
"""

from __future__ import annotations

import json
from collections import Counter
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
from starlette.types import ASGIApp, Receive, Scope, Send

from leakwarden.audit import log as audit_log
from leakwarden.audit import report as reports
from leakwarden.audit import requests as outside
from leakwarden.enforcement import appeals, review
from leakwarden.enforcement.standing import standing_of
from leakwarden.engine import Engine
from leakwarden.errors import Forbidden, InvalidInput, LeakwardenError
from leakwarden.links.url import host_of
from leakwarden.model import Action, ActionType
from leakwarden.service.console import users
from leakwarden.service.console.casefile import case_file
from leakwarden.service.deps import IdPath
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
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["compact_json"] = lambda v: json.dumps(v, ensure_ascii=False, separators=(", ", ": "),
                                                          default=str)
ENGINE_KEY = "leakwarden.engine"


class LoginRequired(Exception):
    """No valid session: answered with a redirect to the login page."""


def engine_of(request: Request) -> Engine:
    engine: Engine = request.scope[ENGINE_KEY]
    return engine


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


Viewer = Annotated[users.SessionInfo, need("submitter")]
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
        import secrets

        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", None, login_csrf=token, next=_safe_next(next))
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path=PREFIX,
                            secure=request.url.scheme == "https")
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        token = request.cookies.get(LOGIN_COOKIE)
        given = form.get("csrf")
        if not token or not users.csrf_ok(token, given if isinstance(given, str) else None):
            raise Forbidden("the login form has expired; reload the page", code="csrf")
        name, password = field(form, "name", limit=100), field(form, "password", limit=users.MAX_PASSWORD)
        target = _safe_next(field(form, "next", default=f"{PREFIX}/queue", limit=500))
        try:
            session_token, _info = users.log_in(engine_of(request).db, name, password)
        except LeakwardenError as exc:
            return render(request, "login.html", None, 401, login_csrf=token, next=target, error=exc.message,
                          name=name)
        done = RedirectResponse(target, status_code=303)
        done.set_cookie(COOKIE, session_token, httponly=True, samesite="lax", path=PREFIX,
                            max_age=int(users.SESSION_TTL.total_seconds()), secure=request.url.scheme == "https")
        done.delete_cookie(LOGIN_COOKIE, path=PREFIX)
        return done

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
    def queue(request: Request, info: Viewer, state: str = "open", source: str = "") -> Response:
        with engine_of(request).db.session() as s:
            query = select(CaseRow).order_by(CaseRow.state.desc(), CaseRow.created_at)
            if state in ("open", "escalated", "closed"):
                query = query.where(CaseRow.state == state)
            elif state == "waiting":
                query = query.where(CaseRow.state != "closed")
            if source:
                query = query.where(CaseRow.source == source)
            cases = list(s.scalars(query.limit(500)))
            counts = dict(s.execute(select(CaseRow.state, func.count()).group_by(CaseRow.state)).all())
        return render(request, "queue.html", info, cases=cases, state=state, source=source, counts=counts)

    def show_case(request: Request, info: users.SessionInfo, case_id: int,
                  revealed: dict[str, str] | None = None, status: int = 200) -> Response:
        engine = engine_of(request)
        with engine.db.session() as s:
            found = case_file(s, case_id, revealed)
        return render(request, "case.html", info, status, f=found, banks=_bank_names(engine),
                      moderator=info.principal.can("moderator"), changeable=[t.value for t in review.CHANGEABLE],
                      hosts=_hosts)

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: IdPath, info: Viewer) -> Response:
        return show_case(request, info, case_id)

    @app.post("/cases/{case_id}/decide")
    async def decide(request: Request, case_id: IdPath, info: Viewer) -> Response:
        form = await checked_form(request, info)
        act, note = field(form, "act", limit=20), field(form, "note")
        with engine_of(request).db.session() as s:
            if act == "confirm":
                review.confirm(s, case_id, info.principal, note)
            elif act == "overturn":
                review.overturn(s, case_id, info.principal, note)
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
    async def teach_spam(request: Request, case_id: IdPath, info: Viewer) -> Response:
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
    async def change(request: Request, case_id: IdPath, info: Viewer) -> Response:
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
    async def reveal(request: Request, case_id: IdPath, info: Viewer) -> Response:
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
    async def add_rule(request: Request, case_id: IdPath, info: Viewer) -> Response:
        form = await checked_form(request, info)
        engine = engine_of(request)
        with engine.db.session() as s:
            review.add_rule_from_case(s, case_id, info.principal, engine.rules, field(form, "kind", limit=10),
                                      field(form, "value", limit=8192), field(form, "note"))
        engine.rules.refresh(force=True)
        return back(f"/cases/{case_id}")

    @app.post("/cases/{case_id}/bank")
    async def add_to_bank(request: Request, case_id: IdPath, info: Viewer) -> Response:
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
    def appeals_page(request: Request, info: Moderator) -> Response:
        from leakwarden.enforcement.review_tables import AppealRow

        with engine_of(request).db.session() as s:
            rows = list(s.scalars(select(AppealRow).order_by(AppealRow.id.desc()).limit(500)))
        return render(request, "appeals.html", info, appeals=rows, window=appeals.APPEAL_WINDOW.days)

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
    def report_page(request: Request, info: Viewer, days: int = 30) -> Response:
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
                   limit: int = 200) -> Response:
        with engine_of(request).db.session() as s:
            events = list(audit_log.events(s, kind=kind or None, subject_type=subject_type or None,
                                           subject_id=subject_id or None, limit=max(1, min(limit, 2000)),
                                           newest_first=True))
            verified = audit_log.verify(s) if info.principal.can("admin") else None
            kinds = Counter(k for (k,) in s.execute(select(AuditEventRow.kind)))
        return render(request, "audit.html", info, events=events, kind=kind, subject_type=subject_type,
                      subject_id=subject_id, payload=audit_log.payload_of, verified=verified, kinds=sorted(kinds))

    @app.get("/users", response_class=HTMLResponse)
    def users_page(request: Request, info: Admin) -> Response:
        return render(request, "users.html", info, users=users.list_users(engine_of(request).db))

    return app


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


class Console:
    """The console as an ASGI app to mount inside the API app: it finds the engine on the parent."""

    def __init__(self) -> None:
        self.app = build()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if ENGINE_KEY not in scope:
            scope[ENGINE_KEY] = scope["app"].state.engine
        await self.app(scope, receive, send)


def console_asgi() -> ASGIApp:
    return Console()
