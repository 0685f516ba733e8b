"""FastAPI dependencies shared by every route: the engine and the caller's role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from leakwarden.engine import Engine
from leakwarden.model import MAX_ID
from leakwarden.service.auth import Principal, authenticate


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _key(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def require_role(role: str) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and checks that the key's role suffices."""

    def dependency(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Principal:
        principal = getattr(request.state, "principal", None)
        if principal is None:
            principal = authenticate(get_engine(request).db, _key(authorization, x_api_key))
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
