"""The HTTP API: one FastAPI app over the same Engine the CLI and library use."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from leakwarden.audit.log import BackgroundSealer
from leakwarden.engine import Engine
from leakwarden.errors import LeakwardenError
from leakwarden.intake.client import IntakeClient
from leakwarden.service.console.sso import SsoSettings
from leakwarden.service.errordocs import ERROR_RESPONSES, FETCH_RESPONSES
from leakwarden.service.middleware import BodyLimit, LastResort

log = logging.getLogger("leakwarden.api")
MAX_BODY_BYTES = 2 * 1024 * 1024


def error(status: int, code: str, message: str, details: object = None) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def create_app(engine: Engine, *, max_body_bytes: int = MAX_BODY_BYTES, access_log: bool = False,
               intake: IntakeClient | None = None, sso: SsoSettings | None = None,
               seal_in_background: bool = False) -> FastAPI:
    """The API over ``engine``. ``access_log``: one line per request to ``leakwarden.access``.
    ``intake``: the broker that ``?async=true``, batches and partial decisions publish to (default:
    ``LEAKWARDEN_BROKER_URL``'s, if set; else posts are ingested in this process).
    ``sso``: the console's OIDC sign-on (default: from the environment, ``SsoSettings.from_env``).
    ``seal_in_background``: while the app runs (its lifespan), the audit events its requests commit
    are sealed by a thread of their own (``audit.log.BackgroundSealer``), not by each request after
    its commit; what is left is sealed at shutdown. ``leakwarden serve`` runs it so."""
    from leakwarden.service import metrics
    from leakwarden.service.compat import akismet, moderations, spam
    from leakwarden.service.docs import add_docs
    from leakwarden.service.routes import (
        accounts,
        audit,
        bank,
        batch,
        consistency,
        console,
        events,
        images,
        links,
        pii,
        policies,
        posts,
        rules,
    )

    app = FastAPI(title="leakwarden", version="0.1.0", docs_url=None, redoc_url=None,
                  lifespan=_sealing(engine) if seal_in_background else None,
                  description="Check posts, follow links, match leaked material, find private information, "
                              "enforce a written policy, and account for it.")
    app.state.engine = engine
    app.state.engines = {engine.policy.name: engine}
    broker_url = os.environ.get("LEAKWARDEN_BROKER_URL")
    app.state.intake = intake if intake is not None or not broker_url else IntakeClient(broker_url)
    app.state.sso = sso if sso is not None else SsoSettings.from_env()
    add_docs(app)
    if engine.expander is not None:
        metrics.count_fetches(engine.expander)

    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(LastResort)  # the outermost but one, around the body limit
    app.add_middleware(metrics.Observe, access_log=access_log)  # outermost: sees LastResort's 500s too

    @app.exception_handler(LeakwardenError)
    async def leakwarden_error(_: Request, exc: LeakwardenError) -> JSONResponse:
        return error(exc.status, exc.code, exc.message, exc.details or None)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return error(400, "malformed_json", "the request body is not valid JSON")
        details = [{"field": ".".join(str(x) for x in p.get("loc", ()) if x != "body"), "problem": p.get("msg")}
                   for p in problems]
        first = details[0] if details else {"field": "", "problem": "invalid"}
        return error(422, "invalid_input", f"{first['field'] or 'body'}: {first['problem']}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):  # FastAPI's JSON parsing
            return error(400, "too_deep", "the request body is nested too deeply")
        codes = {400: "malformed_body", 404: "not_found", 405: "method_not_allowed", 401: "unauthorized",
                 403: "forbidden", 413: "body_too_large"}
        return error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    # Nets under the checks each route makes: a number or text the database cannot hold is the
    # client's error (422), not the server's. Anything else unforeseen is LastResort's 500.
    @app.exception_handler(DataError)
    async def unstorable(_: Request, exc: DataError) -> JSONResponse:
        log.warning("a value the database cannot store: %s", type(exc.orig).__name__)
        return error(422, "invalid_value", "a value is out of range or cannot be stored (a NUL character?)")

    @app.exception_handler(OverflowError)
    async def overflow(_: Request, exc: OverflowError) -> JSONResponse:
        log.warning("a number out of range: %s", type(exc).__name__)
        return error(422, "invalid_value", "a number or date is out of range")

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse,
             summary="Prometheus metrics (text format 0.0.4); no key needed, like /health")
    def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.exposition(engine), media_type="text/plain; version=0.0.4; charset=utf-8")

    for module in (batch, posts, links, rules, accounts, audit, consistency, pii, bank, images, console, akismet,
                   moderations, spam, events, policies):
        fetching = module in (links, bank)  # they follow a client's URL: a far side failing is a 502
        app.include_router(module.router, responses={**ERROR_RESPONSES, **(FETCH_RESPONSES if fetching else {})})
    return app


def settle_heap() -> None:
    """Move every object alive now (the modules, the models, the app) out of the cyclic garbage
    collector's view (``gc.freeze``), once the app is built and before it serves. Without it, a
    full collection walks all of them: 100-150 ms with the event loop stopped, every few seconds
    under load, which was the API's p99 (``bench/bench_scale.py``)."""
    gc.collect()
    gc.freeze()


def _sealing(engine: Engine) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: a background sealer for the engine's database while it runs."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sealer = BackgroundSealer(engine.db.engine).start()
        try:
            yield
        finally:
            sealer.stop()

    return lifespan


def app_from_env() -> FastAPI:
    """The app as ``leakwarden serve --workers N`` starts it in each worker (a uvicorn factory):
    configured by the environment that ``serve`` set (``LEAKWARDEN_DATABASE_URL``,
    ``LEAKWARDEN_POLICY``, ``LEAKWARDEN_FOLLOW_LINKS``, ``LEAKWARDEN_LOG_FORMAT``,
    ``LEAKWARDEN_ACCESS_LOG``)."""
    from leakwarden import logsetup
    from leakwarden.cli.core import open_engine

    logsetup.configure()
    engine = open_engine(os.environ.get("LEAKWARDEN_DATABASE_URL"), os.environ.get("LEAKWARDEN_POLICY"))
    app = create_app(engine, access_log=logsetup.env_flag("LEAKWARDEN_ACCESS_LOG"), seal_in_background=True)
    settle_heap()
    return app
