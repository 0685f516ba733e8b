"""The HTTP API: one FastAPI app over the same Engine the CLI and library use."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from leakwarden.engine import Engine
from leakwarden.errors import LeakwardenError

log = logging.getLogger("leakwarden.api")
MAX_BODY_BYTES = 2 * 1024 * 1024


def error(status: int, code: str, message: str, details: object = None) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def create_app(engine: Engine, *, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    from leakwarden.service.routes import accounts, audit, bank, console, links, pii, posts, rules

    app = FastAPI(title="leakwarden", version="0.1.0",
                  description="Check posts, follow links, match leaked material, find private information, "
                              "enforce a written policy, and account for it.")
    app.state.engine = engine
    app.state.engines = {engine.policy.name: engine}

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body_bytes):
            return error(413, "body_too_large", f"the request body is over {max_body_bytes} bytes")
        if request.method in ("POST", "PUT", "PATCH") and length is None:
            body = await request.body()
            if len(body) > max_body_bytes:
                return error(413, "body_too_large", f"the request body is over {max_body_bytes} bytes")
        return await call_next(request)

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
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        return error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s", type(exc).__name__)  # no content: it may hold private data
        return error(500, "internal", "an unexpected error; nothing was changed")

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for module in (posts, links, rules, accounts, audit, pii, bank, console):
        app.include_router(module.router)
    return app
