"""Outside requests: who asked the platform for what, and what was done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from leakwarden.audit import log as audit
from leakwarden.errors import InvalidInput
from leakwarden.model import RowId, utcnow
from leakwarden.store.db import Database
from leakwarden.store.tables import EnforcementAction, OutsideRequestRow

KINDS = ("campaign", "government", "court", "law_enforcement", "rights_holder", "other")
OUTCOMES = ("complied", "partially_complied", "rejected", "pending")


class Concerns(BaseModel):
    model_config = ConfigDict(extra="forbid")
    posts: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)


class OutsideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description=f"one of {', '.join(KINDS)}")
    requester: str = Field(min_length=1, max_length=300)
    asked: str = Field(min_length=1, max_length=10_000)
    concerns: Concerns = Field(default_factory=Concerns)
    outcome: str = Field(default="pending", description=f"one of {', '.join(OUTCOMES)}")
    done: str = Field(default="", max_length=10_000)
    action_ids: list[RowId] = Field(default_factory=list, max_length=1000)
    received_at: datetime | None = None


def record(db: Database, request: OutsideRequest, recorded_by: str) -> dict[str, Any]:
    if request.kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", code="invalid_request_kind")
    if request.outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}", code="invalid_outcome")
    with db.session() as s:
        if request.action_ids:
            found = set(s.scalars(select(EnforcementAction.id).where(EnforcementAction.id.in_(request.action_ids))))
            missing = sorted(set(request.action_ids) - found)
            if missing:
                raise InvalidInput(f"no actions with ids {missing}", code="unknown_action")
        row = OutsideRequestRow(kind=request.kind, requester=request.requester, asked=request.asked,
                                concerns=request.concerns.model_dump(), outcome=request.outcome, done=request.done,
                                action_ids=request.action_ids, received_at=request.received_at or utcnow(),
                                recorded_by=recorded_by)
        s.add(row)
        s.flush()
        audit.append(s, actor=recorded_by, kind="request.recorded", subject_type="outside_request",
                     subject_id=str(row.id), payload={"kind": row.kind, "requester": row.requester,
                                                      "outcome": row.outcome, "action_ids": row.action_ids})
        return as_dict(row)


def as_dict(row: OutsideRequestRow) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "requester": row.requester, "asked": row.asked,
            "concerns": row.concerns, "outcome": row.outcome, "done": row.done, "action_ids": row.action_ids,
            "received_at": row.received_at.isoformat(), "recorded_by": row.recorded_by}


def list_requests(db: Database, *, kind: str | None = None) -> list[dict[str, Any]]:
    with db.session() as s:
        query = select(OutsideRequestRow).order_by(OutsideRequestRow.received_at)
        if kind:
            query = query.where(OutsideRequestRow.kind == kind)
        return [as_dict(r) for r in s.scalars(query)]
