"""Shadow policies: a candidate deployed next to the live policy, deciding every ingested post too.

Only the live decision is enforced. The shadow's decision (its verdict, clauses and the actions it
would take, the strike ladder included) is stored in ``policy_shadow_decisions`` and compared; it
never adds an action, a strike, a sanction, a case or an audit decision event. Deploying, clearing
and promoting are audited (``policy.shadow_deployed``, ``policy.shadow_cleared``,
``policy.promoted``).

Promoting makes the shadow the database's *live* policy: every engine on the database decides under
it from then on (it outranks the policy an engine was started with), within a second (the poll).

Every process polls one counter in ``meta`` at most once a second (:class:`Deployments`), so with
nothing deployed a check pays nothing more than that.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leakwarden.audit import log as audit
from leakwarden.blocking import may_block
from leakwarden.enforcement.actions import ladder_actions
from leakwarden.enforcement.standing import aware
from leakwarden.errors import NotFound, PolicyError
from leakwarden.model import ActionType, Decision, Surface, utcnow
from leakwarden.policy.backtest import NO_CLAUSE, deciding_clause
from leakwarden.policy.evaluate import evaluate
from leakwarden.policy.load import parse_policy, resolve
from leakwarden.policy.schema import Policy
from leakwarden.policy.tables import PolicyDeploymentRow, ShadowDecisionRow
from leakwarden.signals.urlrules import bump_version
from leakwarden.store.db import Database
from leakwarden.store.tables import Meta, PolicyVersionRow, PostRow

log = logging.getLogger(__name__)
VERSION_KEY = "policy_deployments_version"
POLL_S = 1.0
LIVE, SHADOW = "live", "shadow"
DEFAULT_SAMPLE = 20


def read_policy(name_or_path: str) -> tuple[Policy, str, str]:
    """A preset or a file: the validated policy (the same errors as ``policy validate``), its text
    and its format."""
    path = resolve(name_or_path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the policy: {exc}", file=str(path)) from None
    fmt = "yaml" if path.suffix in (".yaml", ".yml") else "toml"
    return parse_policy(source, file=str(path), fmt=fmt), source, fmt


def _policy_of(row: PolicyDeploymentRow) -> Policy:
    return parse_policy(row.source, file=f"the deployed {row.slot} policy", fmt=row.fmt)


def _described(row: PolicyDeploymentRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"policy": f"{row.name}@{row.version}", "sha256": row.sha256, "format": row.fmt,
            "deployed_at": (aware(row.deployed_at) or row.deployed_at).isoformat(), "deployed_by": row.deployed_by}


def _usable(row: PolicyDeploymentRow | None, otherwise: Policy | None) -> Policy | None:
    """The deployed policy; one this process cannot load (a signal kind only another process's
    detectors know) is logged and ``otherwise`` is used: posts are still decided, never refused."""
    if row is None:
        return None
    try:
        return _policy_of(row)
    except PolicyError as exc:
        log.error("the deployed %s policy %s@%s cannot be loaded here: %s", row.slot, row.name, row.version,
                  exc.message)
        return otherwise


class Deployments:
    """The deployed live and shadow policies as this process sees them, polled at most every
    ``poll_interval`` seconds."""

    def __init__(self, db: Database, poll_interval: float = POLL_S) -> None:
        self.db = db
        self.poll_interval = poll_interval
        self.live: Policy | None = None
        self.shadow: Policy | None = None
        self._version = 0
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def refresh(self, *, force: bool = False) -> None:
        """Read the deployments again if they changed (one small read, at most once per interval)."""
        due = time.monotonic()
        if force or due - self._checked >= self.poll_interval:
            may_block("database")  # before the poll is marked done: the thread that decides again polls
            with self._lock:
                self._checked = due
                self._load_if_changed()

    def _load_if_changed(self) -> None:
        with self.db.session() as s:
            version = s.scalar(select(Meta.value).where(Meta.key == VERSION_KEY)) or 0
            rows = {r.slot: r for r in s.scalars(select(PolicyDeploymentRow))} if version != self._version else None
        if rows is not None:
            self.live = _usable(rows.get(LIVE), self.live)
            self.shadow = _usable(rows.get(SHADOW), None)
            self._version = version


def status(db: Database) -> dict[str, Any]:
    with db.session() as s:
        return {slot: _described(s.get(PolicyDeploymentRow, slot)) for slot in (LIVE, SHADOW)}


def deploy(db: Database, policy: Policy, source: str, fmt: str, by: str) -> dict[str, Any]:
    """Deploy ``policy`` in shadow (replacing any shadow policy deployed before)."""
    with db.session() as s:
        row = s.get(PolicyDeploymentRow, SHADOW)
        replaced = f"{row.name}@{row.version}" if row is not None else None
        if row is None:
            row = PolicyDeploymentRow(slot=SHADOW)
            s.add(row)
        row.name, row.version, row.sha256, row.source, row.fmt = (policy.name, policy.version, policy.sha256,
                                                                  source, fmt)
        row.deployed_at, row.deployed_by = utcnow(), by
        bump_version(s, VERSION_KEY)
        audit.append(s, actor=by, kind="policy.shadow_deployed", subject_type="policy", subject_id=policy.label,
                     payload={"sha256": policy.sha256, "clauses": [c.id for c in policy.clauses],
                              "replaces": replaced})
        s.flush()
        return _described(row) or {}


def clear(db: Database, by: str) -> dict[str, Any]:
    """Remove the shadow policy (its stored decisions stay, for the record)."""
    with db.session() as s:
        row = s.get(PolicyDeploymentRow, SHADOW)
        if row is None:
            raise NotFound("no shadow policy is deployed", code="no_shadow_policy")
        described = _described(row) or {}
        s.delete(row)
        bump_version(s, VERSION_KEY)
        audit.append(s, actor=by, kind="policy.shadow_cleared", subject_type="policy",
                     subject_id=described["policy"], payload={"sha256": row.sha256})
        return described


def promote(db: Database, by: str, *, live_now: str | None = None) -> dict[str, Any]:
    """Make the shadow policy live, in one audited step; the shadow slot is then empty.
    ``live_now``: the live policy this process runs under, for the record when none was promoted."""
    with db.session() as s:
        shadow = s.get(PolicyDeploymentRow, SHADOW)
        if shadow is None:
            raise NotFound("no shadow policy is deployed: deploy one with `leakwarden policy shadow FILE`",
                           code="no_shadow_policy")
        live = s.get(PolicyDeploymentRow, LIVE)
        # the live policy: the promoted one; else the one named, else the one the newest post was decided under
        before = f"{live.name}@{live.version}" if live is not None else live_now or s.scalar(
            select(PostRow.policy_version).order_by(PostRow.ingested_at.desc()).limit(1))
        if live is not None:
            s.delete(live)
            s.flush()
        policy = _policy_of(shadow)
        promoted = PolicyDeploymentRow(slot=LIVE, name=shadow.name, version=shadow.version, sha256=shadow.sha256,
                                       source=shadow.source, fmt=shadow.fmt, deployed_at=utcnow(), deployed_by=by)
        s.delete(shadow)
        s.flush()
        s.add(promoted)
        if s.scalar(select(PolicyVersionRow.id).where(PolicyVersionRow.name == policy.name,
                                                      PolicyVersionRow.sha256 == policy.sha256)) is None:
            s.add(PolicyVersionRow(name=policy.name, version=policy.version, sha256=policy.sha256,
                                   source=policy.model_dump_json(), loaded_at=utcnow()))
        bump_version(s, VERSION_KEY)
        audit.append(s, actor=by, kind="policy.promoted", subject_type="policy", subject_id=policy.label,
                     payload={"sha256": policy.sha256, "previous": before})
        s.flush()
        return _described(promoted) or {}


# -- deciding in shadow -----------------------------------------------------------------------
def _kinds(actions: list[Any]) -> list[str]:
    return sorted({a.type.value for a in actions})


def record(s: Session, surface: Surface, decision: Decision, shadow: Policy, strikes_before: int) -> None:
    """Store what ``shadow`` decides on the live decision's signals, beside the live decision (as
    enforced). Pure evaluation: nothing is applied."""
    outcome = evaluate(shadow, decision.signals, surface)
    struck = 1 if any(a.type is ActionType.STRIKE for a in outcome.actions) else 0
    actions = [*outcome.actions, *ladder_actions(shadow, strikes_before, struck)]
    live_actions, shadow_actions = _kinds(decision.actions), _kinds(actions)
    row = s.scalar(select(ShadowDecisionRow).where(ShadowDecisionRow.post_id == decision.post_id,
                                                   ShadowDecisionRow.shadow_sha256 == shadow.sha256))
    if row is None:
        row = ShadowDecisionRow(post_id=decision.post_id, shadow_sha256=shadow.sha256)
        s.add(row)
    row.author, row.live_policy, row.shadow_policy = decision.author, decision.policy_version, shadow.label
    row.live_verdict, row.shadow_verdict = decision.verdict.value, outcome.verdict.value
    row.live_actions, row.shadow_actions = live_actions, shadow_actions
    row.live_clauses = list(dict.fromkeys(r.clause for r in decision.reasons))
    deciding = deciding_clause(outcome.verdict, outcome.reasons, shadow)  # first: the verdict's clause
    row.shadow_clauses = list(dict.fromkeys([deciding, *(r.clause for r in outcome.reasons)])) \
        if outcome.reasons else []
    row.reasons = list(dict.fromkeys(f"{r.clause}: {r.signal} on {r.subject}" for r in outcome.reasons))
    row.differs = row.live_verdict != row.shadow_verdict or live_actions != shadow_actions
    row.decided_at = utcnow()


# -- the report -------------------------------------------------------------------------------
@dataclass
class ShadowReport:
    start: datetime
    end: datetime
    deployed: dict[str, Any]
    decided: int = 0
    differing: int = 0
    shadows: Counter[str] = field(default_factory=Counter)  # shadow policy label -> posts decided
    verdicts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (live, shadow) -> differing posts
    by_clause: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (shadow clause, live, shadow)
    sample: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "deployed": self.deployed,
                "decided": self.decided, "differing": self.differing,
                "shadow_policies": dict(sorted(self.shadows.items())),
                "verdicts": [{"live": a, "shadow": b, "posts": n} for (a, b), n in sorted(self.verdicts.items())],
                "by_clause": [{"clause": c, "live": a, "shadow": b, "posts": n}
                              for (c, a, b), n in sorted(self.by_clause.items())],
                "sample": self.sample}


def report(db: Database, start: datetime, end: datetime, *, sample: int = DEFAULT_SAMPLE) -> ShadowReport:
    """Where the shadow and the live decisions differ, for posts decided in [start, end)."""
    result = ShadowReport(start=start, end=end, deployed=status(db))
    with db.session() as s:
        rows = s.scalars(select(ShadowDecisionRow).where(ShadowDecisionRow.decided_at >= start,
                                                         ShadowDecisionRow.decided_at < end)
                         .order_by(ShadowDecisionRow.decided_at, ShadowDecisionRow.id)).yield_per(1000)
        for row in rows:
            result.decided += 1
            result.shadows[row.shadow_policy] += 1
            if not row.differs:
                continue
            result.differing += 1
            pair = (row.live_verdict, row.shadow_verdict)
            if pair[0] != pair[1]:
                result.verdicts[pair] += 1
            result.by_clause[(row.shadow_clauses[0] if row.shadow_clauses else NO_CLAUSE, *pair)] += 1
            if len(result.sample) < sample:
                result.sample.append({
                    "post_id": row.post_id, "author": row.author, "live_policy": row.live_policy,
                    "shadow_policy": row.shadow_policy, "live": row.live_verdict, "shadow": row.shadow_verdict,
                    "live_actions": row.live_actions, "shadow_actions": row.shadow_actions,
                    "live_clauses": row.live_clauses, "shadow_clauses": row.shadow_clauses,
                    "reasons": row.reasons, "decided_at": (aware(row.decided_at) or row.decided_at).isoformat()})
    return result

