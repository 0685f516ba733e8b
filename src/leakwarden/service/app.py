"""The HTTP API: one FastAPI app over the same Engine the CLI and library use."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from leakwarden.engine import Engine
from leakwarden.errors import LeakwardenError
from leakwarden.service.middleware import BodyLimit, LastResort

log = logging.getLogger("leakwarden.api")
MAX_BODY_BYTES = 2 * 1024 * 1024


def error(status: int, code: str, message: str, details: object = None) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def create_app(engine: Engine, *, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    from leakwarden.service.compat import akismet, moderations, spam
    from leakwarden.service.routes import accounts, audit, bank, console, links, pii, posts, rules

    app = FastAPI(title="leakwarden", version="0.1.0",
                  description="Check posts, follow links, match leaked material, find private information, "
                              "enforce a written policy, and account for it.")
    app.state.engine = engine
    app.state.engines = {engine.policy.name: engine}

    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(LastResort)  # added last: the outermost, around the body limit

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

    for module in (posts, links, rules, accounts, audit, pii, bank, console, akismet, moderations, spam):
        app.include_router(module.router)
    return app
