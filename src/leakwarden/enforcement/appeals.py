"""Appeals: an account asks to reverse an action, once per action, within a window.

An appeal arrives as an escalated case (source ``appeal``). Granting it reverses the reversible
effects (the post restored, its strikes removed, its suspensions lifted); denying it leaves them.
Either way the case closes and the resolution is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from leakwarden import outbox
from leakwarden.audit import log as audit
from leakwarden.enforcement.cases import open_case, transition
from leakwarden.enforcement.review import DECIDE_ROLE, MAX_NOTE, Reversal, Reviewer, get_case, reverse_action
from leakwarden.enforcement.review_tables import AppealRow
from leakwarden.enforcement.standing import aware
from leakwarden.errors import Conflict, Forbidden, InvalidInput, NotFound
from leakwarden.model import utcnow
from leakwarden.store.tables import EnforcementAction

APPEAL_WINDOW = timedelta(days=20)
NOT_APPEALABLE = ("queue_review",)


def file_appeal(session: Session, action_id: int, account: str, statement: str, *, filed_by: str,
                window: timedelta = APPEAL_WINDOW, now: datetime | None = None) -> AppealRow:
    """Record the account's appeal of one action and open (or join) an escalated appeal case."""
    now = now or utcnow()
    if len(statement) > MAX_NOTE:
        raise InvalidInput(f"an appeal statement is at most {MAX_NOTE} characters", code="invalid_appeal")
    action = session.get(EnforcementAction, action_id)
    if action is None:
        raise NotFound(f"no action {action_id}")
    if action.account != account:
        raise Forbidden(f"action {action_id} is not on account {account!r}; an account appeals its own actions",
                        code="not_your_action")
    if action.type in NOT_APPEALABLE:
        raise InvalidInput(f"a {action.type} action cannot be appealed", code="not_appealable")
    if action.reversed_at is not None:
        raise Conflict(f"action {action_id} was already reversed", code="already_reversed")
    if session.scalar(select(AppealRow.id).where(AppealRow.action_id == action_id)) is not None:
        raise Conflict(f"action {action_id} was already appealed; an action can be appealed once",
                       code="already_appealed")
    created = aware(action.created_at) or now
    if now - created > window:
        raise Conflict(f"the appeal window of {window.days} days for action {action_id} has closed",
                       code="appeal_window_closed")
    case = open_case(session, source="appeal", reason=f"appeal of {action.type} (action {action_id})",
                     post_id=action.post_id, account=account, actor=filed_by, state="escalated",
                     data={"action_id": action_id})
    if case.state == "open":  # joined an open appeal case that had not been escalated
        transition(session, case.id, "escalated", filed_by, note="appeal")
    row = AppealRow(action_id=action_id, account=account, case_id=case.id, statement=statement.strip(),
                    filed_at=now, filed_by=filed_by)
    session.add(row)
    session.flush()
    audit.append(session, actor=filed_by, kind="appeal.filed", subject_type="case", subject_id=str(case.id),
                 payload={"appeal": row.id, "action_id": action_id, "account": account,
                          "action": action.type, "post_id": action.post_id})
    return row


def appeals_of(session: Session, case_id: int) -> list[AppealRow]:
    return list(session.scalars(select(AppealRow).where(AppealRow.case_id == case_id).order_by(AppealRow.id)))


def resolve_appeal(session: Session, case_id: int, who: Reviewer, *, granted: bool, note: str = "") -> Reversal:
    """Grant (reverse the appealed actions' effects) or deny; close the case. Audited either way."""
    who.require(DECIDE_ROLE)
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"a note is at most {MAX_NOTE} characters", code="invalid_note")
    case = get_case(session, case_id)
    pending = [a for a in appeals_of(session, case_id) if a.outcome is None]
    if case.source != "appeal" or not pending:
        raise Conflict(f"case {case_id} has no pending appeal", code="no_pending_appeal")
    if case.state == "closed":
        raise Conflict(f"case {case_id} is closed", code="invalid_transition")
    outcome = "granted" if granted else "denied"
    reversal = Reversal(post_id=case.post_id)
    now = utcnow()
    for appeal in pending:
        if granted:
            undone = reverse_action(session, appeal.action_id, who.name)
            reversal.actions += undone.actions
            reversal.strikes += undone.strikes
            reversal.sanctions += undone.sanctions
            reversal.restored = reversal.restored or undone.restored
        appeal.outcome, appeal.resolved_at, appeal.resolved_by = outcome, now, who.name
    audit.append(session, actor=who.name, kind=f"appeal.{outcome}", subject_type="case", subject_id=str(case_id),
                 payload={"appeals": [a.id for a in pending], "actions": reversal.actions,
                          "strikes": reversal.strikes, "sanctions": reversal.sanctions, "note": note.strip()})
    outbox.emit(session, "appeal.resolved", ("case", str(case_id)), {
        "case_id": case_id, "appeals": [a.id for a in pending], "action_ids": [a.action_id for a in pending],
        "account": case.account, "post_id": case.post_id, "outcome": outcome, "by": who.name})
    transition(session, case_id, "closed", who.name, resolution=f"appeal_{outcome}", note=note)
    return reversal
