"""ASGI middleware of the API: the request-body limit, and the last word on unexpected errors.

Both are plain ASGI (no buffering ``BaseHTTPMiddleware``): the body limit counts bytes as they are
received, so a chunked upload with no ``Content-Length`` is refused as soon as it passes the limit,
not after it was read whole.
"""

from __future__ import annotations

import json
import logging

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("leakwarden.api")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes the limit. An HTTPException, so that FastAPI's
    body parsing lets it through and the app's handler answers 413 ``body_too_large``."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"the request body is over {limit} bytes")


async def send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class _Started:
    """A ``send`` that remembers whether the response has started (after which no error answer can
    be sent on this connection)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class BodyLimit:
    """Refuse a request body over ``max_bytes`` with 413: at once when ``Content-Length`` says so,
    and otherwise (chunked) as soon as the bytes received pass the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        lengths = [v for k, v in scope.get("headers", ()) if k.lower() == b"content-length"]
        if lengths and any(not v.isdigit() or int(v) > limit for v in lengths):
            await send_error(send, 413, "body_too_large", f"the request body is over {limit} bytes")
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        response = _Started(send)
        try:
            await self.app(scope, counted, response)
        except BodyTooLarge as exc:  # raised where no handler turned it into a response
            if response.started:
                raise
            await send_error(send, 413, "body_too_large", str(exc.detail))


class LastResort:
    """Any exception no handler answered becomes a 500 ``internal`` JSON error, and the connection
    stays usable (Starlette's own last handler re-raises, which makes the server drop it). Only the
    exception's type is logged: its message may quote private content."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response = _Started(send)
        try:
            await self.app(scope, receive, response)
        except Exception as exc:
            log.error("unexpected %s on a %s request", type(exc).__name__, scope.get("method"))
            if response.started:
                return  # the answer is under way: nothing more can be said on this connection
            await send_error(send, 500, "internal", "an unexpected error; nothing was changed")
