"""Apply a Decision's actions, idempotently, and keep account standing.

Every action row is unique per (post, type, clause, target), so ingesting the same post twice, or
re-deciding it after a retro-scan, never doubles a strike. Manual decisions outrank automatic ones:
once a moderator reinstates an account, automatic clauses skip strikes and sanctions whose evidence
the moderator already judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from leakwarden import outbox
from leakwarden.audit import log as audit
from leakwarden.enforcement.cases import open_case
from leakwarden.enforcement.standing import active_strikes, ensure_account
from leakwarden.errors import NotFound
from leakwarden.model import Action, ActionType, Decision, Reason, utcnow
from leakwarden.policy.schema import Policy, Rung
from leakwarden.signals.urlrules import RuleBook
from leakwarden.store.tables import Account, EnforcementAction, PostRow, Sanction, Strike

_SANCTIONS = (ActionType.STRIKE, ActionType.SUSPEND, ActionType.BAN, ActionType.LIMIT)
_POST_STATUS = {ActionType.REMOVE: "removed", ActionType.LABEL: "labelled", ActionType.INTERSTITIAL: "labelled"}
_STATUS_RANK = {"visible": 0, "labelled": 1, "restricted": 2, "removed": 3}


def fingerprints(post_id: str, reasons: Iterable[Reason]) -> set[str]:
    """What a decision rested on: the post, and each matched item, rule or private value (hashed)."""
    marks = {f"post:{post_id}"}
    for reason in reasons:
        for evidence in reason.evidence:
            if evidence.item:
                where = evidence.data.get("url")
                marks.add(f"{reason.signal}:{evidence.item}" + (f"@{where}" if where else ""))
            digest = evidence.data.get("sha256")
            if digest:
                marks.add(f"{reason.signal}:{digest}")
    return marks


def ladder_actions(policy: Policy, strikes_before: int, new_strikes: int) -> list[Action]:
    """The sanction the strike ladder gives once ``new_strikes`` are added to ``strikes_before``."""
    rung = policy.strikes.rung_for(strikes_before + new_strikes) if new_strikes > 0 else None
    return [] if rung is None else [_rung_action(rung)]


def _rung_action(rung: Rung) -> Action:
    if rung.action == "ban":
        return Action(type=ActionType.BAN, clause="strike-ladder", note=f"strike {rung.count}")
    if rung.action == "suspend":
        return Action(type=ActionType.SUSPEND, clause="strike-ladder", duration_s=rung.duration,
                      note=f"strike {rung.count}")
    return Action(type=ActionType.LIMIT, clause="strike-ladder", note=f"strike {rung.count}")


def _record(session: Session, decision: Decision, action: Action, actor: str, automatic: bool,
            recorded: set[tuple[str, str, str]] | None = None) -> bool:
    """Insert the action row; False if this exact action was already applied to this post.
    ``recorded``: the post was stored in this transaction, so its only action rows are the ones in
    this set (type, clause, target), which the database need not be asked for."""
    target = action.url or action.label or ""
    key = (action.type.value, action.clause or "", target)
    if recorded is not None:
        if key in recorded:
            return False
        recorded.add(key)
        existing = None
    else:
        existing = session.scalar(select(EnforcementAction).where(
            EnforcementAction.post_id == decision.post_id, EnforcementAction.type == key[0],
            EnforcementAction.clause == key[1], EnforcementAction.target == target))
    if existing is not None:
        if existing.reversed_at is None or automatic:
            return False  # applied already; or reversed by a person, which no automatic act undoes
        existing.reversed_at, existing.reversed_by = None, None  # a person applies it again
        existing.actor, existing.automatic, existing.created_at = actor, False, utcnow()
        audit.append(session, actor=actor, kind="action.reapplied", subject_type="post",
                     subject_id=decision.post_id, payload={"action_id": existing.id, "type": action.type.value})
        outbox.action_event(session, "action.applied", existing, actor)
        return True
    row = EnforcementAction(
        post_id=decision.post_id, account=decision.author, type=action.type.value, clause=action.clause or "",
        target=target, duration_s=action.duration_s, automatic=automatic, actor=actor,
        policy_version=decision.policy_version, created_at=utcnow())
    session.add(row)
    session.flush()
    outbox.action_event(session, "action.applied", row, actor)
    audit.append(session, actor=actor, kind="action.applied", subject_type="post", subject_id=decision.post_id,
                 payload={"action": action.model_dump(mode="json", exclude_none=True), "account": decision.author,
                          "policy_version": decision.policy_version})
    return True


@dataclass
class Enforced:
    applied: list[Action] = field(default_factory=list)  # newly applied, ladder sanctions included
    skipped: list[Action] = field(default_factory=list)  # sanctions a moderator's reinstatement overrides


def apply(session: Session, decision: Decision, policy: Policy, rules: RuleBook, *, actor: str = "auto",
          automatic: bool = True, new_post: bool = False) -> Enforced:
    """Apply what the decision says, once. ``new_post``: the post was stored in this transaction, so
    no action or strike rests on it yet (a new post's enforcement asks the database nothing about
    its earlier actions: 4 statements fewer for a removal with a strike and a suspension)."""
    account = ensure_account(session, decision.author, lock=True)  # strikes are counted in turn
    cleared = set(account.cleared_evidence or [])
    marks = fingerprints(decision.post_id, decision.reasons)
    post_mark = f"post:{decision.post_id}"
    # a person judged this post (reinstated its author, overturned it): automation leaves it alone
    post_judged = automatic and post_mark in cleared
    # the same evidence, judged by a person, turns up in another post: no sanction for it
    evidence = marks - {post_mark}
    same_evidence = automatic and bool(evidence) and evidence <= cleared
    result = Enforced()
    new_strikes = 0
    recorded: set[tuple[str, str, str]] | None = set() if new_post else None
    # the ladder counts only when this decision strikes: no strike, no count of the account's strikes
    striking = any(action.type is ActionType.STRIKE for action in decision.actions)
    strikes_before = active_strikes(session, decision.author) if striking else 0
    for action in decision.actions:
        if action.clause == "strike-ladder":
            continue  # recomputed below from the strikes actually added
        if post_judged or (same_evidence and action.type in _SANCTIONS):
            why = "a moderator judged this post" if post_judged else "a moderator judged this evidence"
            audit.append(session, actor=actor, kind="action.skipped", subject_type="post",
                         subject_id=decision.post_id, payload={"action": action.type.value, "why": why})
            result.skipped.append(action)
            continue
        if action.type is ActionType.STRIKE and (new_strikes if new_post else _has_strike(session, decision)):
            continue  # one post, one strike, however many clauses it breaks or re-decisions it gets
        if not _record(session, decision, action, actor, automatic, recorded):
            continue
        result.applied.append(action)
        _effect(session, decision, action, policy, rules, actor, automatic)
        if action.type is ActionType.STRIKE:
            new_strikes += 1
    for sanction in ladder_actions(policy, strikes_before, new_strikes):
        if _record(session, decision, sanction, actor, automatic, recorded):
            result.applied.append(sanction)
            _effect(session, decision, sanction, policy, rules, actor, automatic)
    if any(a.type in _SANCTIONS for a in result.applied):
        outbox.standing_changed(session, decision.author)
    return result


def _has_strike(session: Session, decision: Decision) -> bool:
    return session.scalar(select(Strike.id).where(Strike.account == decision.author, Strike.post_id == decision.post_id,
                                                  Strike.removed_at.is_(None))) is not None


def _effect(session: Session, decision: Decision, action: Action, policy: Policy, rules: RuleBook,
            actor: str, automatic: bool) -> None:
    now = utcnow()
    post = session.get(PostRow, decision.post_id)
    if post is not None:
        status = _POST_STATUS.get(action.type)
        if status is None and decision.verdict.value == "restrict":
            status = "restricted"
        if status and _STATUS_RANK[status] > _STATUS_RANK.get(post.status, 0):
            post.status = status
    if action.type is ActionType.STRIKE:
        session.add(Strike(account=decision.author, post_id=decision.post_id, clause=action.clause or "",
                           created_at=now, expires_at=now + timedelta(seconds=policy.strikes.expire_after)))
    elif action.type in (ActionType.SUSPEND, ActionType.BAN):
        until = None if action.type is ActionType.BAN else now + timedelta(seconds=action.duration_s or 0)
        session.add(Sanction(account=decision.author, kind=action.type.value, post_id=decision.post_id,
                             clause=action.clause or "", starts_at=now, until=until, automatic=automatic))
    elif action.type is ActionType.LIMIT:
        ensure_account(session, decision.author).limited = True
    elif action.type is ActionType.BLOCK_LINK and action.url:
        rules.add("exact", action.url, "block", f"blocked from sharing by clause {action.clause}",
                  f"policy:{policy.label}", session=session, check_host=False)
    elif action.type is ActionType.QUEUE_REVIEW:
        clause = next((c for c in policy.clauses if c.id == action.clause), None)
        # a clause that acts on weak signals only sends the detector's uncertainty to a person
        weak = clause is not None and all(c.below_strength is not None for c in clause.when)
        open_case(session, source="detector" if weak else "policy", reason=f"clause {action.clause}",
                  post_id=decision.post_id,
                  account=decision.author, actor=actor,
                  data={"verdict": decision.verdict.value, "policy_version": decision.policy_version})


def reinstate(session: Session, account: str, moderator: str, note: str = "") -> int:
    """A moderator puts the account back in good standing, with a clean slate:

    - every active suspension and ban is lifted, the account is no longer limited;
    - every active strike is removed (kept, marked removed), so the standing reads "good, 0 strikes";
    - the strike, suspend, ban and limit actions are marked reversed by the moderator;
    - automatic clauses will not strike or sanction again on the evidence of the account's posts so far;
    - posts stay as they are: a removed post stays removed, link blocks stay (overturn a post's case to
      restore it).

    Returns how many sanctions were lifted; the audit event lists sanctions, strikes and actions."""
    row = session.get(Account, account)
    if row is None:
        raise NotFound(f"no account {account!r}")
    now = utcnow()
    sanctions = session.scalars(select(Sanction).where(Sanction.account == account,
                                                       Sanction.lifted_at.is_(None))).all()
    cleared = set(row.cleared_evidence or [])
    for sanction in sanctions:
        sanction.lifted_at, sanction.lifted_by = now, moderator
        if sanction.post_id:
            post = session.get(PostRow, sanction.post_id)
            if post is not None:
                reasons = [Reason.model_validate(r) for r in post.decision.get("reasons", [])]
                cleared |= fingerprints(post.id, reasons)
    strikes = session.scalars(select(Strike).where(Strike.account == account, Strike.removed_at.is_(None))).all()
    for strike in strikes:
        strike.removed_at = now
        if strike.post_id:
            post = session.get(PostRow, strike.post_id)
            if post is not None:
                cleared |= fingerprints(post.id, [Reason.model_validate(r)
                                                  for r in (post.decision or {}).get("reasons", [])])
    sanctioning = [t.value for t in (ActionType.STRIKE, ActionType.SUSPEND, ActionType.BAN, ActionType.LIMIT)]
    undone = session.scalars(select(EnforcementAction).where(EnforcementAction.account == account,
                                                             EnforcementAction.type.in_(sanctioning),
                                                             EnforcementAction.reversed_at.is_(None))).all()
    for action in undone:
        action.reversed_at, action.reversed_by = now, moderator
        outbox.action_event(session, "action.reversed", action, moderator)
    row.cleared_evidence = sorted(cleared)
    row.reinstated_at, row.reinstated_by, row.limited = now, moderator, False
    audit.append(session, actor=moderator, kind="account.reinstated", subject_type="account", subject_id=account,
                 payload={"lifted": [s.id for s in sanctions], "strikes_removed": [s.id for s in strikes],
                          "actions_reversed": [a.id for a in undone], "note": note})
    outbox.standing_changed(session, account)
    return len(sanctions)
