"""The audit log, outside requests and transparency reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from leakwarden.audit import log as audit_log
from leakwarden.audit import report as reports
from leakwarden.audit import requests as outside
from leakwarden.audit import signing
from leakwarden.service.deps import AdminDep, EngineDep, ModeratorDep

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit")
def list_events(engine: EngineDep, _: ModeratorDep, kind: str | None = None, subject_type: str | None = None,
                subject_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    with engine.db.session() as s:
        return [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "kind": e.kind,
                 "subject_type": e.subject_type, "subject_id": e.subject_id, "payload": audit_log.payload_of(e),
                 "hash": e.hash} for e in audit_log.events(s, kind=kind, subject_type=subject_type,
                                                           subject_id=subject_id,
                                                           limit=max(1, min(limit, 5000)))]


@router.get("/audit/verify")
def verify(engine: EngineDep, _: AdminDep) -> dict[str, Any]:
    """Seal, then verify the chain, its signed head and the rows it covers."""
    return audit_log.seal_and_verify(engine.db.engine).to_dict()


@router.post("/audit/verify")
def verify_against(checkpoint: dict[str, Any], engine: EngineDep, _: AdminDep) -> dict[str, Any]:
    """As ``GET /v1/audit/verify``, and against a signed checkpoint kept elsewhere (the body)."""
    kept = signing.Checkpoint.from_dict(checkpoint)
    return audit_log.seal_and_verify(engine.db.engine, checkpoint=kept).to_dict()


@router.post("/audit/checkpoints", status_code=201)
def make_checkpoint(engine: EngineDep, _: AdminDep) -> dict[str, Any]:
    """Seal, and sign the chain head: a checkpoint for the caller to keep outside this system."""
    return audit_log.checkpoint(engine.db.engine).to_dict()


@router.post("/requests", status_code=201)
def record_request(request: outside.OutsideRequest, engine: EngineDep, who: ModeratorDep) -> dict[str, Any]:
    return outside.record(engine.db, request, who.name)


@router.get("/requests")
def list_requests(engine: EngineDep, _: ModeratorDep, kind: str | None = None) -> list[dict[str, Any]]:
    return outside.list_requests(engine.db, kind=kind)


@router.get("/report")
def report(engine: EngineDep, _: ModeratorDep, start: str | None = None, end: str | None = None
           ) -> dict[str, object]:
    """Transparency figures for a period (ISO dates; default: the last 30 days)."""
    return reports.build(engine.db, *reports.period(start, end)).as_dict()
