"""Turn Signals into a verdict, actions and reasons under one policy. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leakwarden.model import Action, ActionType, Reason, Signal, SubjectKind, Surface, Verdict
from leakwarden.policy.schema import Clause, Condition, Policy

_LINK_SUBJECTS = (SubjectKind.LINK, SubjectKind.PAGE, SubjectKind.DOCUMENT)


@dataclass
class Outcome:
    verdict: Verdict = Verdict.ALLOW
    actions: list[Action] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)


def attr_holds(actual: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return any(attr_holds(actual, e) for e in expected)
    if isinstance(actual, list | tuple | set | frozenset):
        return expected in actual
    return bool(actual == expected)


def condition_holds(condition: Condition, signal: Signal, surface: Surface) -> bool:
    if signal.kind != condition.signal or signal.strength < condition.min_strength:
        return False
    if condition.below_strength is not None and signal.strength >= condition.below_strength:
        return False
    if condition.subjects is not None and signal.subject_kind not in condition.subjects:
        return False
    if condition.surfaces is not None and surface not in condition.surfaces:
        return False
    return all(attr_holds(signal.attrs.get(k), v) for k, v in condition.attrs.items())


def matching_signals(clause: Clause, signals: Sequence[Signal], surface: Surface) -> list[Signal]:
    """The signals that satisfy the clause, or [] if any of its conditions has none."""
    matched: list[Signal] = []
    for condition in clause.when:
        hits = [s for s in signals if condition_holds(condition, s, surface)]
        if not hits:
            return []
        matched.extend(h for h in hits if h not in matched)
    return matched


def link_targets(signals: Sequence[Signal]) -> list[str]:
    """The URLs a block_link action stops from being shared: the link as it appeared in the post
    and the hop where the signal was found."""
    urls: list[str] = []
    for signal in signals:
        if signal.subject_kind not in _LINK_SUBJECTS:
            continue
        for evidence in signal.evidence:
            for url in evidence.path[1:2] + evidence.path[-1:]:
                if url.startswith(("http://", "https://")) and url not in urls:
                    urls.append(url)
    return urls


def evaluate(policy: Policy, signals: Sequence[Signal], surface: Surface = Surface.POST) -> Outcome:
    outcome = Outcome()
    seen: set[tuple[str, str | None, str | None]] = set()
    for clause in policy.clauses:
        hits = matching_signals(clause, signals, surface)
        if not hits:
            continue
        outcome.fired.append(clause.id)
        if clause.verdict.rank > outcome.verdict.rank:
            outcome.verdict = clause.verdict
        for signal in hits:
            outcome.reasons.append(Reason(
                signal=signal.kind, clause=clause.id, policy_version=policy.label, strength=signal.strength,
                subject=signal.subject, evidence=signal.evidence, description=clause.description,
            ))
        for spec in clause.actions:
            targets: list[str | None] = [None]
            if spec.type is ActionType.BLOCK_LINK:
                targets = list(link_targets(hits))
            for url in targets:
                action = Action(type=spec.type, clause=clause.id, label=spec.label, url=url,
                                duration_s=spec.duration)
                if action.key() not in seen:
                    seen.add(action.key())
                    outcome.actions.append(action)
    return outcome
