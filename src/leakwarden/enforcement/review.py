"""Moderator acts on cases: escalate, confirm, overturn, change the action, reveal private values.

Every act is audited with the moderator's identity and note, in the same transaction as its effect.
Overturning reverses what enforcement did to a post: the post is visible again, its strikes are
removed, its suspensions and bans lifted, its actions marked reversed, and the evidence recorded as
judged so that automatic clauses do not sanction on it again. URL rules that a ``block_link`` action
added stay: they judge the URL, not the post (remove them on the rules page).

Reports (``file_report``) and appeals (``enforcement.appeals``) open cases; so does the policy
(``queue_review``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from leakwarden import outbox
from leakwarden.audit import log as audit
from leakwarden.enforcement import actions as enforcement
from leakwarden.enforcement.cases import open_case, transition
from leakwarden.enforcement.standing import ensure_account
from leakwarden.errors import Conflict, InvalidInput, NotFound
from leakwarden.model import Action, ActionType, Decision, Post, Reason, Verdict, utcnow
from leakwarden.policy.schema import Policy
from leakwarden.signals.pii import atrest
from leakwarden.signals.urlrules import RuleBook
from leakwarden.store.tables import CaseRow, EnforcementAction, PostRow, Sanction, Strike

MAX_NOTE = 2000
ESCALATE_ROLE = "moderator"  # who may escalate a case
DECIDE_ROLE = "moderator"  # who may confirm, overturn, change, resolve appeals, reveal
# What a moderator may change an action to, and the verdict that goes with it.
CHANGEABLE: dict[ActionType, Verdict] = {
    ActionType.LABEL: Verdict.LABEL, ActionType.INTERSTITIAL: Verdict.LABEL, ActionType.REMOVE: Verdict.REMOVE,
    ActionType.STRIKE: Verdict.ALLOW, ActionType.SUSPEND: Verdict.ALLOW, ActionType.BAN: Verdict.ALLOW,
}


class Reviewer(Protocol):
    """Who acts: ``service.auth.Principal`` fits (a name for the audit log, a role to check)."""

    @property
    def name(self) -> str: ...

    def require(self, role: str) -> None: ...


@dataclass
class Reversal:
    """What an overturn undid."""

    post_id: str | None
    actions: list[int] = field(default_factory=list)
    strikes: list[int] = field(default_factory=list)
    sanctions: list[int] = field(default_factory=list)
    restored: bool = False
    # the policy wants a second moderator for one of the post's clauses and none has agreed yet:
    # nothing was undone, the request is recorded (``review.overturn_requested``)
    pending: bool = False


def _note(note: str) -> str:
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"a note is at most {MAX_NOTE} characters", code="invalid_note")
    return note.strip()


def get_case(session: Session, case_id: int) -> CaseRow:
    row = session.get(CaseRow, case_id)
    if row is None:
        raise NotFound(f"no case {case_id}")
    return row


def _open(session: Session, case_id: int) -> CaseRow:
    row = get_case(session, case_id)
    if row.state == "closed":
        raise Conflict(f"case {case_id} is closed", code="invalid_transition")
    return row


# -- opening -----------------------------------------------------------------------------------
def file_report(session: Session, post_id: str, reason: str, reporter: str) -> CaseRow:
    """A user reports a stored post: open a case (or join the open report case for that post)."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_NOTE:
        raise InvalidInput(f"a report needs a reason of 1 to {MAX_NOTE} characters", code="invalid_report")
    post = session.get(PostRow, post_id)
    if post is None:
        raise NotFound(f"no post {post_id!r}")
    case = open_case(session, source="report", reason=reason, post_id=post_id, account=post.author,
                     actor=reporter, data={"reporter": reporter})
    audit.append(session, actor=reporter, kind="report.filed", subject_type="case", subject_id=str(case.id),
                 payload={"post_id": post_id, "reason": reason})
    return case


# -- moving ------------------------------------------------------------------------------------
def escalate(session: Session, case_id: int, who: Reviewer, note: str = "") -> CaseRow:
    who.require(ESCALATE_ROLE)
    return transition(session, case_id, "escalated", who.name, note=_note(note))


def confirm(session: Session, case_id: int, who: Reviewer, note: str = "") -> CaseRow:
    """The automatic decision stands: close the case as confirmed."""
    who.require(DECIDE_ROLE)
    case = _open(session, case_id)
    audit.append(session, actor=who.name, kind="review.confirmed", subject_type="case", subject_id=str(case_id),
                  payload={"post_id": case.post_id, "note": _note(note)})
    return transition(session, case_id, "closed", who.name, resolution="confirmed", note=note)


def overturn(session: Session, case_id: int, who: Reviewer, note: str = "", *,
             policy: Policy | None = None) -> Reversal:
    """The decision was wrong: reverse every effect on the case's post and close the case. An
    overturn undoes a removal and its strikes, so it needs a reason (kept in the audit log). When
    ``policy`` names one of the post's clauses in ``second_review``, the first moderator's overturn
    is only a request (audited, nothing undone, ``pending``); another moderator's overturn then
    carries it out."""
    who.require(DECIDE_ROLE)
    case = _open(session, case_id)
    if not _note(note):
        raise InvalidInput("an overturn needs a reason (it is kept in the audit log)", code="reason_required")
    if case.post_id is None:
        raise InvalidInput(f"case {case_id} concerns no post; there is nothing to overturn", code="no_post")
    guarded = _second_review_clauses(session, case.post_id, policy)
    first: str | None = None
    if guarded:
        asked = [e.actor for e in audit.events(session, kind="review.overturn_requested", subject_type="case",
                                               subject_id=str(case_id))]
        first = next((actor for actor in asked if actor != who.name), None)
        if first is None:
            audit.append(session, actor=who.name, kind="review.overturn_requested", subject_type="case",
                         subject_id=str(case_id), payload={"post_id": case.post_id, "clauses": guarded,
                                                           "note": _note(note)})
            return Reversal(case.post_id, pending=True)
    reversal = reverse_post(session, case.post_id, who.name)
    audit.append(session, actor=who.name, kind="review.overturned", subject_type="case", subject_id=str(case_id),
                 payload={"post_id": case.post_id, "actions": reversal.actions, "strikes": reversal.strikes,
                          "sanctions": reversal.sanctions, "note": _note(note),
                          **({"requested_by": first} if first else {})})
    transition(session, case_id, "closed", who.name, resolution="overturned", note=note)
    return reversal


def _second_review_clauses(session: Session, post_id: str, policy: Policy | None) -> list[str]:
    """The post's decided clauses that the policy lets no single moderator overturn."""
    if policy is None or not policy.second_review:
        return []
    stored = session.get(PostRow, post_id)
    fired = {r.get("clause") for r in (stored.decision or {}).get("reasons", [])} if stored else set()
    return sorted(c for c in policy.second_review if c in fired)


def change_action(session: Session, case_id: int, who: Reviewer, action: Action, *, policy: Policy,
                  rules: RuleBook, note: str = "") -> list[Action]:
    """Replace what was done to the case's post by one moderator action (e.g. a label instead of a
    removal): the old effects are reversed, the new one applied as a manual action."""
    who.require(DECIDE_ROLE)
    if action.type not in CHANGEABLE:
        raise InvalidInput(f"an action can be changed to one of {', '.join(t.value for t in CHANGEABLE)}",
                           code="invalid_action")
    if action.type is ActionType.SUSPEND and not action.duration_s:
        raise InvalidInput("a suspension needs a duration", code="invalid_action")
    if action.type in (ActionType.LABEL, ActionType.INTERSTITIAL) and not (action.label or "").strip():
        raise InvalidInput("a label needs its text", code="invalid_action")
    case = _open(session, case_id)
    if case.post_id is None:
        raise InvalidInput(f"case {case_id} concerns no post", code="no_post")
    post = session.get_one(PostRow, case.post_id)
    reversal = reverse_post(session, case.post_id, who.name, clear_evidence=False)
    manual = action.model_copy(update={"clause": f"review:case-{case_id}"})
    stored = Decision.model_validate(post.decision)
    decision = stored.model_copy(update={"actions": [manual], "verdict": CHANGEABLE[action.type]})
    applied = enforcement.apply(session, decision, policy, rules, actor=who.name, automatic=False).applied
    audit.append(session, actor=who.name, kind="review.changed", subject_type="case", subject_id=str(case_id),
                  payload={"post_id": case.post_id, "reversed": reversal.actions,
                           "applied": [a.model_dump(mode="json", exclude_none=True) for a in applied],
                           "note": _note(note)})
    transition(session, case_id, "closed", who.name, resolution="changed", note=note)
    return applied


# -- reversing ---------------------------------------------------------------------------------
def reverse_post(session: Session, post_id: str, actor: str, *, clear_evidence: bool = True) -> Reversal:
    """Undo enforcement on one post: actions reversed, strikes removed, sanctions lifted, post visible."""
    now = utcnow()
    result = Reversal(post_id=post_id)
    for row in session.scalars(select(EnforcementAction).where(EnforcementAction.post_id == post_id,
                                                               EnforcementAction.reversed_at.is_(None))):
        row.reversed_at, row.reversed_by = now, actor
        result.actions.append(row.id)
        outbox.action_event(session, "action.reversed", row, actor)
        if row.type == ActionType.LIMIT.value:
            ensure_account(session, row.account).limited = False
    for strike in session.scalars(select(Strike).where(Strike.post_id == post_id, Strike.removed_at.is_(None))):
        strike.removed_at = now
        result.strikes.append(strike.id)
    for sanction in session.scalars(select(Sanction).where(Sanction.post_id == post_id,
                                                           Sanction.lifted_at.is_(None))):
        sanction.lifted_at, sanction.lifted_by = now, actor
        result.sanctions.append(sanction.id)
    post = session.get(PostRow, post_id)
    if post is not None:
        result.restored = post.status != "visible"
        post.status = "visible"
        if clear_evidence:
            account = ensure_account(session, post.author)
            reasons = [Reason.model_validate(r) for r in (post.decision or {}).get("reasons", [])]
            account.cleared_evidence = sorted(set(account.cleared_evidence or [])
                                              | enforcement.fingerprints(post_id, reasons))
    session.flush()
    if post is not None and (result.strikes or result.sanctions):
        outbox.standing_changed(session, post.author)
    return result


def reverse_action(session: Session, action_id: int, actor: str) -> Reversal:
    """Undo one action that concerns no post (an account-level sanction)."""
    row = session.get(EnforcementAction, action_id)
    if row is None:
        raise NotFound(f"no action {action_id}")
    if row.post_id is not None:
        return reverse_post(session, row.post_id, actor)
    now = utcnow()
    result = Reversal(post_id=None)
    if row.reversed_at is None:
        row.reversed_at, row.reversed_by = now, actor
        result.actions.append(row.id)
        outbox.action_event(session, "action.reversed", row, actor)
    for sanction in session.scalars(select(Sanction).where(Sanction.action_id == action_id,
                                                           Sanction.lifted_at.is_(None))):
        sanction.lifted_at, sanction.lifted_by = now, actor
        result.sanctions.append(sanction.id)
    if result.sanctions:
        outbox.standing_changed(session, row.account)
    return result


def reinstate(session: Session, account: str, who: Reviewer, note: str = "") -> int:
    """A moderator's reinstatement (see ``enforcement.actions.reinstate``): the account is in good
    standing with no active strike; its posts stay as they are (overturn a case to restore a post).
    Returns how many sanctions were lifted."""
    who.require(DECIDE_ROLE)
    return enforcement.reinstate(session, account, who.name, _note(note))


# -- private values ----------------------------------------------------------------------------
def subject_text(post: Post, decision: Decision, subject: str) -> str | None:
    """The text a piece of evidence's span points into: the post, an attachment, or a fetched hop."""
    path = subject.split(" → ")
    if path == ["post"]:
        return post.text
    if len(path) == 2 and path[1].startswith("attachment:"):
        name = path[1][len("attachment:"):]
        return next((a.text or "" for a in post.attachments if a.name == name), None)
    target = path[-1]
    for chain in decision.chains:
        for hop in chain.hops:
            if (hop.canonical or hop.url) == target and hop.text:
                return hop.text
    return None


def reveal(session: Session, case_id: int, reason: int, evidence: int, who: Reviewer) -> str:
    """The clear value behind a masked private-information span. The reveal is audited (which case,
    which kind of value and its hash: never the value)."""
    who.require(DECIDE_ROLE)
    case = get_case(session, case_id)
    if case.post_id is None:
        raise NotFound(f"case {case_id} has no post")
    row = session.get_one(PostRow, case.post_id)
    decision = Decision.model_validate(row.decision)
    try:
        found = decision.reasons[reason].evidence[evidence]
    except IndexError:
        raise NotFound(f"case {case_id} has no evidence {reason}.{evidence}") from None
    # hop texts are stored masked; the clear text is decrypted here only (signals.pii.atrest)
    clear = decision.model_copy(update={"chains": atrest.clear_chains(decision)})
    text = subject_text(Post.model_validate(atrest.clear_body(row.body)), clear, found.subject)
    if found.span is None or text is None or not 0 <= found.span[0] < found.span[1] <= len(text):
        raise NotFound(f"evidence {reason}.{evidence} of case {case_id} has no span to reveal")
    audit.append(session, actor=who.name, kind="pii.revealed", subject_type="case", subject_id=str(case_id),
                 payload={"post_id": case.post_id, "evidence": f"{reason}.{evidence}",
                          "label": found.data.get("label"), "sha256": found.data.get("sha256")})
    return text[found.span[0]:found.span[1]]


# -- from the evidence ---------------------------------------------------------------------------
def add_rule_from_case(session: Session, case_id: int, who: Reviewer, rules: RuleBook, kind: str, value: str,
                       note: str = "") -> dict[str, object]:
    """'Block this domain' (or URL, or prefix) from a hop of the case's link chain."""
    who.require(DECIDE_ROLE)
    get_case(session, case_id)
    reason = _note(note) or f"blocked from case {case_id}"
    rule = rules.add(kind, value, "block", reason, who.name, session=session)
    audit.append(session, actor=who.name, kind="review.rule_added", subject_type="case", subject_id=str(case_id),
                 payload={"rule": rule["id"], "kind": kind, "pattern": rule["pattern"], "note": note})
    return rule
