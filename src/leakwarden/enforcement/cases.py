"""Cases: items for human review. open → escalated → closed, with guarded, audited transitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leakwarden import outbox
from leakwarden.audit import log as audit
from leakwarden.errors import Conflict, NotFound
from leakwarden.model import utcnow
from leakwarden.store.tables import CaseRow

STATES = ("open", "escalated", "closed")
TRANSITIONS = {"open": {"escalated", "closed"}, "escalated": {"closed"}, "closed": set()}
SOURCES = ("policy", "detector", "report", "appeal")


def open_case(session: Session, *, source: str, reason: str, post_id: str | None = None,
              account: str | None = None, actor: str = "auto", state: str = "open",
              data: dict[str, Any] | None = None) -> CaseRow:
    """Open a case, or return the open one for the same post and source (no duplicates)."""
    if post_id is not None:
        existing = session.scalar(select(CaseRow).where(CaseRow.post_id == post_id, CaseRow.source == source,
                                                        CaseRow.state != "closed"))
        if existing is not None:
            return existing
    now = utcnow()
    row = CaseRow(post_id=post_id, account=account, source=source, reason=reason, state=state,
                  created_at=now, updated_at=now, data=data or {})
    session.add(row)
    session.flush()
    audit.append(session, actor=actor, kind="case.opened", subject_type="case", subject_id=str(row.id),
                 payload={"source": source, "reason": reason, "post_id": post_id, "account": account,
                          "state": state})
    return row


def transition(session: Session, case_id: int, to: str, actor: str, *, resolution: str | None = None,
               note: str = "") -> CaseRow:
    row = session.get(CaseRow, case_id)
    if row is None:
        raise NotFound(f"no case {case_id}")
    if to not in TRANSITIONS.get(row.state, set()):
        raise Conflict(f"case {case_id} is {row.state}; it cannot become {to}", code="invalid_transition")
    before = row.state
    row.state, row.updated_at = to, utcnow()
    if resolution:
        row.resolution = resolution
    audit.append(session, actor=actor, kind=f"case.{to}", subject_type="case", subject_id=str(case_id),
                 payload={"from": before, "to": to, "resolution": resolution, "note": note})
    if to == "closed":
        outbox.emit(session, "case.resolved", ("case", str(case_id)), {
            "case_id": case_id, "post_id": row.post_id, "account": row.account, "source": row.source,
            "resolution": resolution, "by": actor})
    return row
