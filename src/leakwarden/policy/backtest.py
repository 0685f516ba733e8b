"""Backtest a candidate policy: decide the stored posts of a period again, on their stored signals.

Nothing is fetched and no detector runs again: each stored decision keeps the signals it rested on,
and :func:`~leakwarden.policy.evaluate.evaluate` is pure, so the candidate sees exactly the evidence
the live policy saw. Only a post stored without its signals (a decision record that is empty) has
its detectors run again, on the post as stored with its links not followed; the result counts those
posts as ``redetected``.

Nothing is enforced or changed. One audit event, ``policy.backtested``, records the candidate's
hash, the period and the counts.

Account standing is *simulated*, the same way for the stored decisions and for the candidate: per
account, in the order its posts were ingested, each post's strike (one per post at most) and
sanctions (suspend, ban, limit, and the candidate's strike ladder) are added at the time the post was
ingested; strikes expire after the policy's ``expire_after``. Strikes from before the period that are
still active count as the starting point of both. Moderator acts (overturns, reinstatements, changed
actions) are not replayed, and the standing compared is the one at the end of the period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from leakwarden.audit import log as audit
from leakwarden.audit.report import parse_day
from leakwarden.enforcement.actions import ladder_actions
from leakwarden.enforcement.standing import aware
from leakwarden.errors import InvalidInput
from leakwarden.model import Action, ActionType, Decision, Post, Reason, Signal, StandingState, Surface, Verdict
from leakwarden.policy.evaluate import evaluate
from leakwarden.policy.schema import Policy, parse_duration
from leakwarden.signals.pii import atrest
from leakwarden.store.db import Database
from leakwarden.store.tables import PolicyVersionRow, PostRow, Strike

if TYPE_CHECKING:
    from leakwarden.engine import Engine

SIMPLIFICATION = (
    "Account standing is simulated alike for the stored decisions and the candidate: each post's strike "
    "(one per post) and sanctions are added when the post was ingested, strikes expire after the policy's "
    "expire_after, and active strikes from before the period are the starting point; moderator acts "
    "(overturns, reinstatements, changed actions) are not replayed.")
DEFAULT_SAMPLE = 20
_BATCH = 500
NO_CLAUSE = "(no clause)"


def moment(value: str, now: datetime | None = None) -> datetime:
    """``30d`` (that long before now) or an ISO date or date-time (UTC)."""
    now = now or datetime.now(UTC)
    text = value.strip()
    if text[:1].isdigit() and text[-1:] in "smhdw" and not text[-1:].isdigit():
        try:
            return now - timedelta(seconds=parse_duration(text))
        except (ValueError, OverflowError):
            raise InvalidInput(f"{value[:40]!r} is not a duration like 30d or a date like 2026-11-01",
                               code="invalid_date") from None
    return parse_day(text)


def period(since: str, until: str | None = None, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[since, until): each a duration before now or a date; ``until`` defaults to now."""
    now = now or datetime.now(UTC)
    bounds = moment(since, now), moment(until, now) if until else now
    if bounds[0] >= bounds[1]:
        raise InvalidInput("the period's start must be before its end", code="invalid_period")
    return bounds


@dataclass
class PostChange:
    """A post the candidate decides differently."""

    post_id: str
    author: str
    ingested_at: datetime
    before: str  # verdict
    after: str
    clause: str  # the clause the change is put down to
    before_clauses: list[str]
    after_clauses: list[str]
    before_actions: list[str]
    after_actions: list[str]
    reasons: list[str]  # the candidate's reasons, in words

    def as_dict(self) -> dict[str, Any]:
        return {"post_id": self.post_id, "author": self.author, "ingested_at": self.ingested_at.isoformat(),
                "from": self.before, "to": self.after, "clause": self.clause,
                "from_clauses": self.before_clauses, "to_clauses": self.after_clauses,
                "from_actions": self.before_actions, "to_actions": self.after_actions, "reasons": self.reasons}


@dataclass
class AccountChange:
    account: str
    before: str
    after: str
    strikes_before: int
    strikes_after: int

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "from": self.before, "to": self.after,
                "from_strikes": self.strikes_before, "to_strikes": self.strikes_after}


@dataclass
class Backtest:
    candidate: str  # name@version
    sha256: str
    start: datetime
    end: datetime
    live: Counter[str] = field(default_factory=Counter)  # the stored decisions' policy versions
    posts: int = 0
    redetected: list[str] = field(default_factory=list)  # posts whose detectors ran again
    partial: int = 0  # posts decided before all their links were followed: their signals are partial too
    verdicts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (from, to) -> posts, changed only
    by_clause: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (clause, from, to)
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (action type, "added"|"dropped")
    changes: list[PostChange] = field(default_factory=list)
    accounts: list[AccountChange] = field(default_factory=list)
    sample_size: int = DEFAULT_SAMPLE

    @property
    def changed(self) -> int:
        return len(self.changes)

    @property
    def sample(self) -> list[PostChange]:
        return self.changes[:self.sample_size]

    def counts(self) -> dict[str, Any]:
        return {"posts": self.posts, "changed": self.changed, "accounts_changed": len(self.accounts),
                "redetected": len(self.redetected), "partial": self.partial,
                "verdicts": [{"from": a, "to": b, "posts": n} for (a, b), n in sorted(self.verdicts.items())]}

    def as_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate, "sha256": self.sha256,
            "from": self.start.isoformat(), "to": self.end.isoformat(),
            "live_policies": dict(sorted(self.live.items())),
            **self.counts(),
            "by_clause": [{"clause": c, "from": a, "to": b, "posts": n}
                          for (c, a, b), n in sorted(self.by_clause.items())],
            "actions": [{"action": t, "change": ch, "posts": n} for (t, ch), n in sorted(self.actions.items())],
            "accounts": [a.as_dict() for a in self.accounts],
            "sample": [c.as_dict() for c in self.sample],
            "redetected_posts": self.redetected[:self.sample_size],
            "simplification": SIMPLIFICATION,
        }


# -- standing, simulated ------------------------------------------------------------------------
@dataclass
class Ledger:
    """One account's simulated strikes (their expiry times) and sanctions."""

    strikes: list[datetime] = field(default_factory=list)
    suspended_until: datetime | None = None
    banned: bool = False
    limited: bool = False

    def active(self, at: datetime) -> int:
        return sum(1 for expiry in self.strikes if expiry > at)

    def apply(self, actions: Iterable[Action], at: datetime) -> None:
        for action in actions:
            if action.type is ActionType.BAN:
                self.banned = True
            elif action.type is ActionType.LIMIT:
                self.limited = True
            elif action.type is ActionType.SUSPEND:
                until = at + timedelta(seconds=action.duration_s or 0)
                self.suspended_until = max(until, self.suspended_until or until)

    def state(self, at: datetime) -> StandingState:
        if self.banned:
            return StandingState.BANNED
        if self.suspended_until is not None and self.suspended_until > at:
            return StandingState.SUSPENDED
        return StandingState.LIMITED if self.limited else StandingState.GOOD


def _strikes_in(actions: Sequence[Action]) -> int:
    return 1 if any(a.type is ActionType.STRIKE for a in actions) else 0


# -- running ----------------------------------------------------------------------------------
def deciding_clause(verdict: Verdict, reasons: Sequence[Reason], policy: Policy | None) -> str:
    """The clause that gave the verdict: the first fired clause with that verdict."""
    fired = list(dict.fromkeys(r.clause for r in reasons))
    if policy is not None:
        verdicts = {c.id: c.verdict for c in policy.clauses}
        for clause in fired:
            if verdicts.get(clause) is verdict:
                return clause
    return fired[0] if fired else NO_CLAUSE


def _reason_words(reasons: Sequence[Reason]) -> list[str]:
    words: list[str] = []
    for reason in reasons:
        summary = "; ".join(e.summary for e in reason.evidence[:2])
        line = f"{reason.clause}: {reason.signal} on {reason.subject}" + (f" ({summary})" if summary else "")
        if line not in words:
            words.append(line)
    return words


def _action_names(actions: Iterable[Action]) -> list[str]:
    return sorted({a.type.value + (f"({a.duration_s}s)" if a.duration_s else "") for a in actions})


class _PolicyVersions:
    """The live policies the stored decisions were made under (for their strike expiry)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[str, Policy | None] = {}

    def get(self, label: str) -> Policy | None:
        if label not in self.cache:
            name, _, version = label.partition("@")
            row = self.session.scalars(select(PolicyVersionRow).where(
                PolicyVersionRow.name == name, PolicyVersionRow.version == version)
                .order_by(PolicyVersionRow.id.desc())).first()
            try:
                self.cache[label] = Policy.model_validate_json(row.source) if row is not None else None
            except ValueError:
                self.cache[label] = None
        return self.cache[label]


Redetect = Callable[[Post], list[Signal]]


def engine_redetect(engine: Callable[[], Engine]) -> Redetect:
    """Run an engine's detectors on a stored post, its links not followed (the engine is made on
    first use: most backtests never need it)."""
    made: list[Engine] = []

    def redetect(post: Post) -> list[Signal]:
        from leakwarden.engine import post_urls, subjects_of, unfetched_chains

        if not made:
            made.append(engine())
        return made[0].signals_for(subjects_of(post, unfetched_chains(post_urls(post))))

    return redetect


def run(db: Database, candidate: Policy, start: datetime, end: datetime, *, redetect: Redetect,
        actor: str = "cli", sample: int = DEFAULT_SAMPLE) -> Backtest:
    """Decide the posts ingested in [start, end) again under ``candidate``; record one audit event."""
    result = Backtest(candidate=candidate.label, sha256=candidate.sha256, start=start, end=end, sample_size=sample)
    before: dict[str, Ledger] = {}
    after: dict[str, Ledger] = {}
    with db.session() as s:
        versions = _PolicyVersions(s)
        last: tuple[datetime, str] | None = None
        while True:
            query = select(PostRow).where(PostRow.ingested_at >= start, PostRow.ingested_at < end)
            if last is not None:
                query = query.where((PostRow.ingested_at > last[0])
                                    | ((PostRow.ingested_at == last[0]) & (PostRow.id > last[1])))
            rows = list(s.scalars(query.order_by(PostRow.ingested_at, PostRow.id).limit(_BATCH)
                                  .options(defer(PostRow.body), defer(PostRow.text))))
            if not rows:
                break
            _start_ledgers(s, {r.author for r in rows} - before.keys(), start, before, after)
            for row in rows:
                _one(redetect, row, candidate, versions, result, before, after)
            last = (rows[-1].ingested_at, rows[-1].id)
            s.expunge_all()
        _compare_standing(result, before, after)
        audit.append(s, actor=actor, kind="policy.backtested", subject_type="policy", subject_id=candidate.label,
                     payload={"sha256": candidate.sha256, "from": start.isoformat(), "to": end.isoformat(),
                              **result.counts()})
    return result


def _one(redetect: Redetect, row: PostRow, candidate: Policy, versions: _PolicyVersions,
         result: Backtest, before: dict[str, Ledger], after: dict[str, Ledger]) -> None:
    result.posts += 1
    at = aware(row.ingested_at) or row.ingested_at
    stored = Decision.model_validate(row.decision) if row.decision else None
    surface = Surface(row.surface)
    if stored is None:  # stored without its signals: its detectors run again, on what is stored
        stored_signals = redetect(Post.model_validate(atrest.clear_body(row.body)))
        result.redetected.append(row.id)
        stored_verdict, stored_actions, stored_reasons = Verdict(row.verdict), [], []
    else:
        stored_signals, stored_verdict = stored.signals, stored.verdict
        result.partial += stored.partial
        stored_actions, stored_reasons = stored.actions, stored.reasons
    live = versions.get(row.policy_version)
    result.live[row.policy_version] += 1
    outcome = evaluate(candidate, stored_signals, surface)
    # the stored decisions as enforced, and the candidate's, on simulated ledgers
    old = before[row.author]
    old.strikes += [at + timedelta(seconds=live.strikes.expire_after if live else 90 * 86400)] * \
        _strikes_in(stored_actions)
    old.apply(stored_actions, at)
    new = after[row.author]
    struck = _strikes_in(outcome.actions)
    ladder = ladder_actions(candidate, new.active(at), struck)
    new.strikes += [at + timedelta(seconds=candidate.strikes.expire_after)] * struck
    new.apply([*outcome.actions, *ladder], at)
    new_actions = [*outcome.actions, *ladder]
    old_kinds = {a.type.value for a in stored_actions}
    new_kinds = {a.type.value for a in new_actions}
    if outcome.verdict is stored_verdict and old_kinds == new_kinds:
        return
    for kind in new_kinds - old_kinds:
        result.actions[(kind, "added")] += 1
    for kind in old_kinds - new_kinds:
        result.actions[(kind, "dropped")] += 1
    # put down to the candidate's clause that gives the new verdict; with none, to the stored one
    if outcome.reasons:
        clause = deciding_clause(outcome.verdict, outcome.reasons, candidate)
    else:
        clause = deciding_clause(stored_verdict, stored_reasons, live)
    pair = (stored_verdict.value, outcome.verdict.value)
    if pair[0] != pair[1]:
        result.verdicts[pair] += 1
    result.by_clause[(clause, *pair)] += 1
    result.changes.append(PostChange(
        post_id=row.id, author=row.author, ingested_at=at, before=pair[0], after=pair[1], clause=clause,
        before_clauses=list(dict.fromkeys(r.clause for r in stored_reasons)),
        after_clauses=list(dict.fromkeys(r.clause for r in outcome.reasons)),
        before_actions=_action_names(stored_actions), after_actions=_action_names(new_actions),
        reasons=_reason_words(outcome.reasons)))


def _start_ledgers(s: Session, accounts: set[str], start: datetime, *ledgers: dict[str, Ledger]) -> None:
    """Ledgers for accounts met for the first time, started with their strikes from before the
    period that were still active when it began."""
    earlier: dict[str, list[datetime]] = {a: [] for a in accounts}
    for chunk in _chunks(sorted(accounts), 500):
        for account, expires in s.execute(select(Strike.account, Strike.expires_at).where(
                Strike.account.in_(chunk), Strike.removed_at.is_(None), Strike.created_at < start,
                Strike.expires_at > start)):
            earlier[account].append(aware(expires) or expires)
    for ledger in ledgers:
        for account, strikes in earlier.items():
            ledger[account] = Ledger(strikes=list(strikes))


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _compare_standing(result: Backtest, before: dict[str, Ledger], after: dict[str, Ledger]) -> None:
    at = result.end
    for account in sorted(before):
        old, new = before[account], after[account]
        was, will = old.state(at), new.state(at)
        if was != will or old.active(at) != new.active(at):
            result.accounts.append(AccountChange(account=account, before=was.value, after=will.value,
                                                 strikes_before=old.active(at), strikes_after=new.active(at)))
