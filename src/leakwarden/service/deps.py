"""FastAPI dependencies shared by every route: the engine and the caller's role.

Both are ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, and two thread hops
a request cost more than the work they do. The key is checked against this process's memory of
valid keys on the event loop; only a key not seen within ``auth.KEY_TTL_S`` goes to the database,
in a thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from starlette.concurrency import run_in_threadpool

from leakwarden.engine import Engine
from leakwarden.model import MAX_ID
from leakwarden.service.auth import Principal, authenticate, remembered


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _key(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def require_role(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks that the key's role suffices."""

    async def dependency(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Principal:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:
            engine: Engine = request.app.state.engine
            key = _key(authorization, x_api_key)
            principal = remembered(engine.db, key)
            if principal is None:
                principal = await run_in_threadpool(authenticate, engine.db, key)
            request.state.principal = principal
        principal.require(role)
        return principal

    return dependency


EngineDep = Annotated[Engine, Depends(get_engine)]
#: A row id in a path (``/v1/cases/{case_id}``): out of range is a 422, never a database overflow.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
SubmitterDep = Annotated[Principal, Depends(require_role("submitter"))]
ModeratorDep = Annotated[Principal, Depends(require_role("moderator"))]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
