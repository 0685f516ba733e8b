"""Account standing and moderator reinstatement."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from leakwarden.enforcement.actions import reinstate
from leakwarden.enforcement.standing import standing_of
from leakwarden.errors import NotFound
from leakwarden.model import Standing
from leakwarden.service.deps import EngineDep, ModeratorDep
from leakwarden.store.tables import Account

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=2000)


@router.get("/{account}", response_model=Standing)
def get_standing(account: str, engine: EngineDep, _: ModeratorDep) -> Standing:
    with engine.db.session() as s:
        if s.get(Account, account) is None:
            raise NotFound(f"no account {account!r}")
        return standing_of(s, account)


@router.post("/{account}/reinstate")
def reinstate_account(account: str, body: Note, engine: EngineDep, who: ModeratorDep) -> dict[str, Any]:
    with engine.db.session() as s:
        lifted = reinstate(s, account, who.name, body.note)
        standing = standing_of(s, account)
    return {"lifted": lifted, "standing": standing.model_dump(mode="json")}
