"""Cases, reports and appeals over JSON (``/v1``), and the reviewer console (``/console``)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from leakwarden.enforcement import appeals, review
from leakwarden.errors import InvalidInput
from leakwarden.model import Action, ActionType, RowId
from leakwarden.service.console.casefile import case_file
from leakwarden.service.console.web import console_asgi
from leakwarden.service.deps import EngineDep, IdPath, ModeratorDep, SubmitterDep
from leakwarden.store.tables import CaseRow

router = APIRouter()
router.mount("/console", console_asgi())
api = APIRouter(prefix="/v1", tags=["cases"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportIn(Strict):
    post_id: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    reporter: str = Field(default="", max_length=200, description="who reports (default: the API key)")


class AppealIn(Strict):
    action_id: RowId
    account: str = Field(min_length=1, max_length=200)
    statement: str = Field(default="", max_length=2000)


class Note(Strict):
    note: str = Field(default="", max_length=2000)


class Resolution(Note):
    granted: bool


class Change(Note):
    type: Literal["label", "interstitial", "remove", "strike", "suspend", "ban"]
    label: str | None = Field(default=None, max_length=200)
    duration_s: int | None = Field(default=None, gt=0, le=10 * 365 * 86400)


class RuleIn(Note):
    kind: Literal["exact", "prefix", "domain"]
    value: str = Field(min_length=1, max_length=8192)


def _case(row: CaseRow) -> dict[str, Any]:
    return {"id": row.id, "state": row.state, "source": row.source, "reason": row.reason,
            "resolution": row.resolution, "post_id": row.post_id, "account": row.account,
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat()}


@api.post("/reports", status_code=201)
def file_report(body: ReportIn, engine: EngineDep, who: SubmitterDep) -> dict[str, Any]:
    """A user report about a stored post: opens a case (or joins the open report case)."""
    reporter = f"{who.name} for {body.reporter}" if body.reporter else who.name
    with engine.db.session() as s:
        return _case(review.file_report(s, body.post_id, body.reason, reporter))


@api.post("/appeals", status_code=201)
def file_appeal(body: AppealIn, engine: EngineDep, who: SubmitterDep) -> dict[str, Any]:
    """An account appeals one action (once, within the window): an escalated case."""
    with engine.db.session() as s:
        row = appeals.file_appeal(s, body.action_id, body.account, body.statement, filed_by=who.name)
        return {"appeal": row.id, "case": _case(s.get_one(CaseRow, row.case_id))}


@api.get("/cases")
def list_cases(engine: EngineDep, _: ModeratorDep, state: str | None = None, source: str | None = None,
               limit: int = 200) -> list[dict[str, Any]]:
    if state is not None and state not in ("open", "escalated", "closed"):
        raise InvalidInput("state must be open, escalated or closed", code="invalid_state")
    with engine.db.session() as s:
        query = select(CaseRow).order_by(CaseRow.id).limit(max(1, min(limit, 5000)))
        if state:
            query = query.where(CaseRow.state == state)
        if source:
            query = query.where(CaseRow.source == source)
        return [_case(c) for c in s.scalars(query)]


@api.get("/cases/{case_id}")
def get_case(case_id: IdPath, engine: EngineDep, _: ModeratorDep) -> dict[str, Any]:
    with engine.db.session() as s:
        return case_file(s, case_id).as_dict()


@api.post("/cases/{case_id}/escalate")
def escalate(case_id: IdPath, body: Note, engine: EngineDep, who: ModeratorDep) -> dict[str, Any]:
    with engine.db.session() as s:
        return _case(review.escalate(s, case_id, who, body.note))


@api.post("/cases/{case_id}/confirm")
def confirm(case_id: IdPath, body: Note, engine: EngineDep, who: ModeratorDep) -> dict[str, Any]:
    with engine.db.session() as s:
        return _case(review.confirm(s, case_id, who, body.note))


@api.post("/cases/{case_id}/overturn")
def overturn(case_id: IdPath, body: Note, engine: EngineDep, who: ModeratorDep) -> dict[str, Any]:
    with engine.db.session() as s:
        undone = review.overturn(s, case_id, who, body.note, policy=engine.policy)
        return {**_case(review.get_case(s, case_id)), "reversed_actions": undone.actions,
                "removed_strikes": undone.strikes, "lifted_sanctions": undone.sanctions,
                "awaiting_second_reviewer": undone.pending}


@api.post("/cases/{case_id}/change")
def change_action(case_id: IdPath, body: Change, engine: EngineDep, who: ModeratorDep) -> dict[str, Any]:
    action = Action(type=ActionType(body.type), label=body.label, duration_s=body.duration_s)
    with engine.db.session() as s:
        applied = review.change_action(s, case_id, who, action, policy=engine.policy, rules=engine.rules,
                                       note=body.note)
        result = {**_case(review.get_case(s, case_id)),
                  "applied": [a.model_dump(mode="json", exclude_none=True) for a in applied]}
    engine.rules.refresh(force=True)
    return result


@api.post("/cases/{case_id}/appeal")
def resolve_appeal(case_id: IdPath, body: Resolution, engine: EngineDep, who: ModeratorDep) -> dict[str, Any]:
    with engine.db.session() as s:
        undone = appeals.resolve_appeal(s, case_id, who, granted=body.granted, note=body.note)
        return {**_case(review.get_case(s, case_id)), "reversed_actions": undone.actions}


@api.post("/cases/{case_id}/rules", status_code=201)
def add_rule(case_id: IdPath, body: RuleIn, engine: EngineDep, who: ModeratorDep) -> dict[str, object]:
    with engine.db.session() as s:
        rule = review.add_rule_from_case(s, case_id, who, engine.rules, body.kind, body.value, body.note)
    engine.rules.refresh(force=True)
    return rule


router.include_router(api)
