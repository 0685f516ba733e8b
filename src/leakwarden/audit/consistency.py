"""The even-handedness report: was the written policy applied evenly, and what did outside
requests lead to? Four sections, over a period, from what is stored (the audit log, the decisions'
hashed and masked evidence, actions, cases, URL rules and outside requests):

1. **Like cases, unlike outcomes**: posts with equivalent evidence (the same URL rule, known item,
   or kind of private information about the same person, by its keyed hash) whose outcomes differ.
2. **Manual departures from policy**: moderator overturns, changed actions, reinstatements and
   granted appeals, with the clauses they set aside and the note given.
3. **Outside requests and what followed**: for each request, the actions on its subject within N
   days before and after it, and whether what was asked was done.
4. **A timeline per account**: what was decided, by whom, when, under which policy version.

No clear private value is read or shown: private information is named by its kind and a short
prefix of its keyed hash. Rendering (HTML, CSV, text) lives in ``audit.consistency_render``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from leakwarden.audit import log as audit_log
from leakwarden.enforcement.standing import aware
from leakwarden.errors import InvalidInput, InvalidURL
from leakwarden.links.rules import RuleAction, RuleIndex, RuleKind, UrlRule
from leakwarden.links.url import canonicalize
from leakwarden.store.db import Database
from leakwarden.store.tables import (
    AuditEventRow,
    CaseRow,
    EnforcementAction,
    OutsideRequestRow,
    PostLink,
    PostRow,
    UrlRuleRow,
)

AUTOMATION = "automation"
MAX_WITHIN_DAYS = 3660
#: Actions that do not say how a post was judged: sent to review, a link blocked (only a post with a
#: link can have one), or a sanction that follows from the account's earlier strikes (the strike
#: ladder) rather than from this post's evidence.
NOT_COMPARED_TYPES = ("queue_review", "block_link")
NOT_COMPARED_CLAUSES = ("strike-ladder",)
_AUTOMATIC_ACTORS = ("auto", "system")


def is_automation(actor: str | None) -> bool:
    return actor is None or actor in _AUTOMATIC_ACTORS or actor.startswith("policy:")


def who(actor: str | None) -> str:
    """'automation' for the engine's own acts, else the person (or key) that acted."""
    return AUTOMATION if is_automation(actor) else str(actor)


def _iso(at: datetime | None) -> str | None:
    found = aware(at)
    return found.isoformat() if found else None


# -- 1. like cases ---------------------------------------------------------------------------
@dataclass
class PostOutcome:
    post_id: str
    account: str
    decided_at: str
    verdict: str  # as the policy decided
    status: str  # as the post stands now: visible, labelled, restricted, removed
    policy_version: str
    in_effect: list[str]  # actions in effect, "type (clauses)" ("block_link ×3 (...)" for several)
    reversed: list[str]  # actions reversed, "type by whom"
    decided_by: list[str]  # "automation", then each person who acted on it
    compared: list[str]  # the types of the actions in effect that say how the post was judged

    @property
    def outcome(self) -> str:
        """What happened to the post, in words: the comparison between like cases."""
        return f"{self.status} ({', '.join(self.compared) if self.compared else 'no action in effect'})"


def _compared(rows: Iterable[EnforcementAction]) -> list[str]:
    return sorted({r.type for r in rows if r.type not in NOT_COMPARED_TYPES and r.clause not in NOT_COMPARED_CLAUSES})


def _reversals(rows: Iterable[EnforcementAction]) -> list[str]:
    """'strike, suspend by mod:alice': the reversed types, a person at a time."""
    by: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by[who(row.reversed_by)].append(row.type)
    return [f"{', '.join(_unique(types))} by {person}" for person, types in by.items()]


def _compact(rows: Iterable[EnforcementAction]) -> list[str]:
    """'remove (dossier)', 'block_link ×3 (dossier, blocked-link)': one entry a type."""
    clauses: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        clauses[row.type].append(row.clause)
    return [f"{kind}{f' ×{len(found)}' if len(found) > 1 else ''} ({', '.join(_unique(found))})"
            for kind, found in clauses.items()]


@dataclass
class LikeCases:
    """Posts that share one piece of evidence (or several: groups with the same posts merge)."""

    evidence: list[str]  # in words, e.g. "known material leaks/dossier-ar"
    keys: list[str]  # machine keys, e.g. "bank:leaks/dossier-ar", "pii:STREET_ADDRESS:3fa2c1d0e4b5"
    posts: list[PostOutcome]

    @property
    def outcomes(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for post in self.posts:
            counts[post.outcome] += 1
        return dict(sorted(counts.items()))

    @property
    def even(self) -> bool:
        return len(self.outcomes) <= 1


def evidence_keys(decision: dict[str, Any], rules: dict[int, UrlRuleRow]) -> dict[str, str]:
    """The equivalent-evidence keys of one stored decision, each with its description in words.
    Private values count by kind and keyed hash only; published samples, public contact points and
    weak (review-only) matches are not evidence of a like case."""
    found: dict[str, str] = {}
    for signal in decision.get("signals") or []:
        kind, attrs = signal.get("kind", ""), signal.get("attrs") or {}
        for evidence in signal.get("evidence") or []:
            data, item = evidence.get("data") or {}, evidence.get("item")
            if kind == "pii":
                digest, label = data.get("sha256"), data.get("label") or "private information"
                if not digest or data.get("sample") or data.get("public"):
                    continue
                shown = "partly masked " if data.get("masked") else ""
                found[f"pii:{label}:{'masked:' if data.get('masked') else ''}{str(digest)[:12]}"] = (
                    f"{shown}{label} about the same person (hash {str(digest)[:8]})")
            elif kind == "url_rule":
                if not item or attrs.get("action") == "allow":
                    continue
                # the rule, and the URL: a block_link adds an exact rule for the URL, which the next post
                # linking it matches instead of the first rule; both posts link to the same URL
                found[f"url_rule:{item}"] = _rule_words(str(item), rules)
                if data.get("url"):
                    found[f"url:{data['url']}"] = f"a link to {data['url']}"
            elif kind == "bank" and item:
                if not attrs.get("review"):  # a possible match, for a reviewer, is not the same evidence
                    label = attrs.get("label")
                    found[f"bank:{item}"] = f"known material {item}" + (f" ({label})" if label else "")
            elif item and kind != "spam":
                found[f"{kind}:{item}"] = f"{kind} {item}"
    return found


def _rule_words(item: str, rules: dict[int, UrlRuleRow]) -> str:
    number = item.removeprefix("rule:")
    row = rules.get(int(number)) if number.isdigit() else None
    if row is None:
        return f"URL rule {number}"
    return f"URL rule {row.id}: {row.action} {row.kind} {row.pattern}"


def like_cases(s: Session, start: datetime, end: datetime, deciders: dict[str, list[str]]) -> list[LikeCases]:
    posts = list(s.scalars(select(PostRow).where(PostRow.ingested_at >= start, PostRow.ingested_at < end)
                           .order_by(PostRow.ingested_at, PostRow.id)))
    rules = {r.id: r for r in s.scalars(select(UrlRuleRow))}
    by_key: dict[str, list[str]] = defaultdict(list)
    words: dict[str, str] = {}
    for post in posts:
        for key, text in evidence_keys(post.decision or {}, rules).items():
            by_key[key].append(post.id)
            words[key] = text
    shared = {k: ids for k, ids in by_key.items() if len(ids) > 1}
    if not shared:
        return []
    sharing = {i for ids in shared.values() for i in ids}
    outcomes = _outcomes(s, [p for p in posts if p.id in sharing], deciders)
    merged: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for key, ids in sorted(shared.items()):
        merged[tuple(ids)].append(key)
    groups = [LikeCases(evidence=[words[k] for k in keys], keys=keys, posts=[outcomes[i] for i in ids])
              for ids, keys in merged.items()]
    return sorted(groups, key=lambda g: (g.even, -len(g.posts), g.keys))


def _chunks(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    """``values`` in lists of ``size``: an IN (...) of each stays under every database's limit."""
    items = list(values)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _actions_where(s: Session, column: Any, values: Iterable[str]) -> list[EnforcementAction]:
    return [row for chunk in _chunks(values)
            for row in s.scalars(select(EnforcementAction).where(column.in_(chunk)))]


def _outcomes(s: Session, posts: list[PostRow], deciders: dict[str, list[str]]) -> dict[str, PostOutcome]:
    acts: dict[str, list[EnforcementAction]] = defaultdict(list)
    for row in sorted(_actions_where(s, EnforcementAction.post_id, [p.id for p in posts]), key=lambda a: a.id):
        acts[str(row.post_id)].append(row)
    result = {}
    for post in posts:
        rows = acts[post.id]
        reviews = deciders.get(post.id, [])
        people = reviews + [f"applied by {who(r.actor)}" for r in rows if not r.automatic] \
            + [f"reversed by {r.reversed_by}" for r in rows if r.reversed_by]
        people = [p for p in people if p in reviews or not any(p.split(" by ", 1)[1] in r for r in reviews)]
        result[post.id] = PostOutcome(
            post_id=post.id, account=post.author, decided_at=_iso(post.decided_at) or "", verdict=post.verdict,
            status=post.status, policy_version=post.policy_version,
            in_effect=_compact(r for r in rows if r.reversed_at is None),
            compared=_compared(r for r in rows if r.reversed_at is None),
            reversed=_reversals(r for r in rows if r.reversed_at is not None),
            decided_by=_unique([AUTOMATION, *people]))
    return result


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# -- 2. manual departures ----------------------------------------------------------------------
DEPARTURES = {
    "review.overturned": "overturned the decision",
    "review.overturn_requested": "asked to overturn (awaiting a second moderator)",
    "review.changed": "changed the action",
    "account.reinstated": "reinstated the account",
    "appeal.granted": "granted an appeal",
}


@dataclass
class Departure:
    at: str
    moderator: str
    act: str
    kind: str  # the audit event kind
    case_id: int | None
    post_id: str | None
    account: str | None
    clauses: list[str]  # the policy clauses that had applied
    policy_version: str | None
    undone: list[str]  # actions reversed, "type (clause)"
    applied: list[str]  # actions a moderator applied instead
    note: str
    seq: int | None  # the audit event's place in the chain (None: not sealed yet)


def departures(s: Session, start: datetime, end: datetime) -> list[Departure]:
    events = list(s.scalars(select(AuditEventRow).where(AuditEventRow.kind.in_(DEPARTURES), AuditEventRow.at >= start,
                                                        AuditEventRow.at < end).order_by(AuditEventRow.seq)))
    found = []
    for event in events:
        payload = audit_log.payload_of(event)
        case = s.get(CaseRow, int(event.subject_id)) if event.subject_type == "case" and \
            event.subject_id.isdigit() else None
        post_id = payload.get("post_id") or (case.post_id if case else None)
        post = s.get(PostRow, post_id) if post_id else None
        reversed_ids = [int(i) for i in payload.get("actions", []) + payload.get("reversed", [])
                        + payload.get("actions_reversed", []) if isinstance(i, int)]
        undone = [s.get(EnforcementAction, i) for i in reversed_ids]
        clauses = _unique([str(r.get("clause")) for r in ((post.decision or {}).get("reasons") or [])]
                          if post else [])
        clauses = _unique(clauses + [a.clause for a in undone if a is not None and a.clause])
        account = event.subject_id if event.subject_type == "account" else \
            (post.author if post else (case.account if case else payload.get("account")))
        found.append(Departure(
            at=_iso(event.at) or "", moderator=event.actor, act=DEPARTURES[event.kind], kind=event.kind,
            case_id=case.id if case else None, post_id=post_id, account=account, clauses=clauses,
            policy_version=post.policy_version if post else None,
            undone=[f"{a.type} ({a.clause})" for a in undone if a is not None],
            applied=[f"{a.get('type')} ({a.get('clause')})" for a in payload.get("applied", []) if isinstance(a, dict)],
            note=str(payload.get("note") or ""), seq=event.seq))
    return found


def _moderators_by_post(s: Session) -> dict[str, list[str]]:
    """Who reviewed each post's case (confirmed, overturned, changed, resolved an appeal), at any time:
    a post's outcome now includes what was done to it after the period."""
    kinds = ("review.confirmed", "review.overturned", "review.overturn_requested", "review.changed",
             "appeal.granted", "appeal.denied")
    verbs = {"review.confirmed": "confirmed by", "review.overturned": "overturned by",
             "review.overturn_requested": "overturn asked by", "review.changed": "changed by",
             "appeal.granted": "appeal granted by", "appeal.denied": "appeal denied by"}
    cases = {str(c.id): c.post_id for c in s.scalars(select(CaseRow).where(CaseRow.post_id.is_not(None)))}
    found: dict[str, list[str]] = defaultdict(list)
    for event in s.scalars(select(AuditEventRow).where(AuditEventRow.kind.in_(kinds)).order_by(AuditEventRow.seq)):
        post_id = cases.get(event.subject_id)
        if post_id:
            found[post_id].append(f"{verbs[event.kind]} {event.actor}")
    return found


# -- 3. outside requests -----------------------------------------------------------------------
#: What a request asked for, read from its words (a negated word, "did not ask to remove", is no ask).
WANTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("remove", re.compile(r"\b(remov\w*|take\s*down\w*|takedown\w*|delet\w*|tak\w+ (?:\w+ ){0,3}down)")),
    ("ban", re.compile(r"\b(ban|bans|banned|banning|terminat\w*|permanent\w* (?:suspen|block)\w*)\b")),
    ("suspend", re.compile(r"\b(suspen\w*)")),
    ("block_link", re.compile(r"\b((?:block|restrict|stop|prevent)\w* (?:\w+ ){0,3}"
                              r"(?:links?|urls?|sharing|domains?))")),
    ("label", re.compile(r"\b(label\w*|warning|interstitial)")),
    ("restore", re.compile(r"\b(restor\w*|reinstat\w*|unban\w*|lift\w*|revers\w*|put (?:\w+ ){0,2}back)")),
)
_NEGATION = re.compile(r"\b(not|never|no|without|don't|didn't|doesn't)\b[^.;!?]{0,30}$")
#: Which actions fulfil each ask (for ``block_link``, a URL rule that blocks the URL counts too).
FULFILS = {"remove": ("remove",), "ban": ("ban",), "suspend": ("suspend", "ban"),
           "block_link": ("block_link", "rule:block"), "label": ("label", "interstitial", "rule:warn"),
           "restore": ("reversed", "rule removed")}


def wants_of(asked: str) -> list[str]:
    """What a request asked for, in the report's words, from its text."""
    text = " ".join(asked.lower().split())
    found = []
    for want, pattern in WANTS:
        for match in pattern.finditer(text):
            if not _NEGATION.search(text[:match.start()]):
                found.append(want)
                break
    if "ban" in found and "suspend" in found and re.search(r"permanent\w* suspen", text):
        found.remove("suspend")
    return found


@dataclass
class FollowUp:
    at: str
    days_after: float  # negative: before the request
    what: str  # an action type, "rule:block", "reversed", "rule removed"
    detail: str
    on: str  # "post p1", "account a", "URL ..."
    by: str
    clause: str = ""


@dataclass
class RequestFollowUp:
    id: int
    kind: str
    requester: str
    received_at: str
    asked: str
    wants: list[str]
    recorded_outcome: str
    recorded_done: str
    concerns: dict[str, list[str]]
    before: list[FollowUp] = field(default_factory=list)
    after: list[FollowUp] = field(default_factory=list)
    fulfilled: dict[str, FollowUp | None] = field(default_factory=dict)  # each ask: the first action after
    done_before: dict[str, FollowUp | None] = field(default_factory=dict)  # each ask: the last action before

    @property
    def has_subject(self) -> bool:
        return any(self.concerns.values())

    @property
    def verdict(self) -> str:
        """'done', 'partly done', 'not done', 'already done before it', 'nothing checkable asked' or
        'no subject recorded' (no post, URL or account: nothing to follow)."""
        if not self.has_subject:
            return "no subject recorded"
        if not self.fulfilled:
            return "nothing checkable asked"
        done = sum(f is not None for f in self.fulfilled.values())
        if done == len(self.fulfilled):
            return "done"
        if done:
            return "partly done"
        return "already done before it" if all(self.done_before.values()) else "not done"

    @property
    def first_after(self) -> FollowUp | None:
        return self.after[0] if self.after else None

    @property
    def discrepancy(self) -> str:
        """Where the platform's own record of the outcome and what followed disagree."""
        done = any(f is not None for f in self.fulfilled.values())
        if not self.has_subject:
            return ""
        if self.recorded_outcome == "rejected" and done:
            return "recorded as rejected, yet what was asked followed"
        if self.recorded_outcome == "complied" and self.fulfilled and not done and not all(self.done_before.values()):
            return "recorded as complied, yet nothing asked followed"
        return ""


def requests_followed(s: Session, start: datetime, end: datetime, within: timedelta) -> list[RequestFollowUp]:
    rows = list(s.scalars(select(OutsideRequestRow).where(OutsideRequestRow.received_at >= start,
                                                          OutsideRequestRow.received_at < end)
                          .order_by(OutsideRequestRow.received_at, OutsideRequestRow.id)))
    return [_followed(s, row, within) for row in rows]


def _canonical(urls: Iterable[str]) -> list[str]:
    found = []
    for url in urls:
        try:
            found.append(canonicalize(url))
        except InvalidURL:
            continue
    return found


def _followed(s: Session, row: OutsideRequestRow, within: timedelta) -> RequestFollowUp:
    concerns = {k: [str(v) for v in (row.concerns or {}).get(k, [])] for k in ("posts", "urls", "accounts")}
    received = aware(row.received_at)
    assert received is not None
    low, high = received - within, received + within
    urls = _canonical(concerns["urls"])
    posts = set(concerns["posts"])
    if urls:
        posts |= set(s.scalars(select(PostLink.post_id).where(PostLink.url.in_(urls))))
    accounts = set(concerns["accounts"])
    found: list[FollowUp] = []

    def add(at: datetime | None, what: str, detail: str, on: str, by: str | None, clause: str = "") -> None:
        when = aware(at)
        if when is not None and low <= when <= high:
            found.append(FollowUp(at=when.isoformat(), days_after=(when - received).total_seconds() / 86400,
                                  what=what, detail=detail, on=on, by=who(by), clause=clause))

    acts = {a.id: a for a in _actions_where(s, EnforcementAction.post_id, posts)
            + _actions_where(s, EnforcementAction.account, accounts)
            + _actions_where(s, EnforcementAction.target, urls)}
    for act in (acts[i] for i in sorted(acts)):
        on = f"post {act.post_id} ({act.account})" if act.post_id else f"account {act.account}"
        detail = act.type + (f" {act.duration_s // 3600} h" if act.duration_s and act.type == "suspend" else "")
        add(act.created_at, act.type, detail, on, act.actor, act.clause)
        add(act.reversed_at, "reversed", f"{act.type} reversed", on, act.reversed_by, act.clause)
    if urls:
        for rule in s.scalars(select(UrlRuleRow).order_by(UrlRuleRow.id)):
            covered = [u for u in urls if _covers(rule, u)]
            if not covered:
                continue
            words = f"URL rule {rule.id}: {rule.action} {rule.kind} {rule.pattern}"
            add(rule.created_at, f"rule:{rule.action}", f"{words} added", f"URL {covered[0]}", rule.added_by)
            add(rule.removed_at, "rule removed", f"{words} removed", f"URL {covered[0]}", rule.removed_by)
    found.sort(key=lambda f: (f.at, f.what))
    result = RequestFollowUp(id=row.id, kind=row.kind, requester=row.requester, received_at=received.isoformat(),
                             asked=row.asked, wants=wants_of(row.asked), recorded_outcome=row.outcome,
                             recorded_done=row.done, concerns=concerns,
                             before=[f for f in found if f.days_after < 0],
                             after=[f for f in found if f.days_after >= 0])
    for want in result.wants:
        result.fulfilled[want] = next((f for f in result.after if f.what in FULFILS[want]), None)
        result.done_before[want] = next((f for f in reversed(result.before) if f.what in FULFILS[want]), None)
    return result


def _covers(rule: UrlRuleRow, canonical: str) -> bool:
    try:
        index = RuleIndex([UrlRule(rule.id, cast(RuleKind, rule.kind), rule.pattern, cast(RuleAction, rule.action),
                                   rule.reason, rule.added_by, rule.source)])
        return bool(index.match_canonical(canonical))
    except (InvalidInput, ValueError, IndexError):
        return False


# -- 4. timelines ------------------------------------------------------------------------------
@dataclass
class Entry:
    at: str
    account: str
    what: str
    by: str
    policy_version: str
    post_id: str
    kind: str  # decision, action, reversal, review, request, appeal
    seq: int | None


_TIMELINE_KINDS = {
    "decision": "decision", "decision.retro": "decision", "decision.rescan": "decision",
    "decision.completed": "decision", "action.applied": "action", "action.reapplied": "action",
    "action.skipped": "action", "review.confirmed": "review", "review.overturned": "reversal",
    "review.overturn_requested": "review", "review.changed": "reversal", "account.reinstated": "reversal",
    "appeal.filed": "appeal", "appeal.granted": "reversal", "appeal.denied": "appeal",
    "request.recorded": "request",
}


AGAIN = {"decision.retro": " again after a new URL rule", "decision.rescan": " again in a rescan",
         "decision.completed": " again once its links were followed"}


def timelines(s: Session, start: datetime, end: datetime) -> dict[str, list[Entry]]:
    events = list(s.scalars(select(AuditEventRow).where(AuditEventRow.kind.in_(_TIMELINE_KINDS),
                                                        AuditEventRow.at >= start, AuditEventRow.at < end)
                            .order_by(AuditEventRow.seq)))
    case_ids = {int(e.subject_id) for e in events if e.subject_type == "case" and e.subject_id.isdigit()}
    cases = {str(c.id): c for chunk in _chunks(case_ids)
             for c in s.scalars(select(CaseRow).where(CaseRow.id.in_(chunk)))}
    request_ids = {int(e.subject_id) for e in events if e.kind == "request.recorded" and e.subject_id.isdigit()}
    requests = {str(r.id): r for chunk in _chunks(request_ids)
                for r in s.scalars(select(OutsideRequestRow).where(OutsideRequestRow.id.in_(chunk)))}
    concerned = {str(p) for r in requests.values() for p in (r.concerns or {}).get("posts", [])}
    posts = {p.id: PostFacts(*p) for chunk in _chunks(_post_ids(events, cases) | concerned)
             for p in s.execute(select(PostRow.id, PostRow.author, PostRow.policy_version)
                                .where(PostRow.id.in_(chunk)))}
    found: dict[str, list[Entry]] = defaultdict(list)
    for event in events:
        payload = audit_log.payload_of(event)
        for account, entry in _entries(event, payload, cases, posts, requests):
            entry.account = account
            found[account].append(entry)
    return dict(sorted(found.items()))


def _post_ids(events: list[AuditEventRow], cases: dict[str, CaseRow]) -> set[str]:
    ids = set()
    for event in events:
        if event.subject_type == "post":
            ids.add(event.subject_id)
        elif event.subject_type == "case" and event.subject_id in cases and cases[event.subject_id].post_id:
            ids.add(str(cases[event.subject_id].post_id))
    return ids


class PostFacts(NamedTuple):
    """What a timeline needs of a post (not its text or decision)."""

    id: str
    author: str
    policy_version: str


def _entries(event: AuditEventRow, payload: dict[str, Any], cases: dict[str, CaseRow], posts: dict[str, PostFacts],
             requests: dict[str, OutsideRequestRow]) -> list[tuple[str, Entry]]:
    kind = _TIMELINE_KINDS[event.kind]
    at = _iso(event.at) or ""
    case = cases.get(event.subject_id) if event.subject_type == "case" else None
    post_id = event.subject_id if event.subject_type == "post" else (case.post_id if case else None) or ""
    post = posts.get(post_id)
    version = str(payload.get("policy_version") or (post.policy_version if post else ""))
    note = f": “{payload['note']}”" if payload.get("note") else ""
    if event.kind.startswith("decision"):
        clauses = _unique(str(r.get("clause")) for r in payload.get("reasons", []) if isinstance(r, dict))
        what = f"post {post_id} decided{AGAIN.get(event.kind, '')}: {payload.get('verdict')}" + \
            (f" (clauses {', '.join(clauses)})" if clauses else "")
        return [(str(payload.get("author") or (post.author if post else "")),
                 Entry(at, "", what, AUTOMATION, version, post_id, kind, event.seq))]
    if event.kind in ("action.applied", "action.reapplied", "action.skipped"):
        action = payload.get("action")
        if isinstance(action, dict):
            name, clause = action.get("type"), action.get("clause")
            duration = f" for {int(action['duration_s']) // 3600} h" if action.get("duration_s") else ""
            what = f"{name}{duration} on post {post_id} (clause {clause})"
        else:
            what = f"{payload.get('type') or action} on post {post_id}"
        what = {"action.reapplied": f"{what} applied again", "action.skipped":
                f"{action} not applied to post {post_id}: {payload.get('why')}"}.get(event.kind, what)
        account = str(payload.get("account") or (post.author if post else ""))
        return [(account, Entry(at, "", what, who(event.actor), version, post_id, kind, event.seq))]
    if event.kind == "request.recorded":
        row = requests.get(event.subject_id)
        if row is None:
            return []
        accounts = set((row.concerns or {}).get("accounts", []))
        accounts |= {p.author for p in posts.values() if p.id in (row.concerns or {}).get("posts", [])}
        what = f"outside request {row.id} from {row.requester} ({row.kind}): {_short(row.asked)}"
        return [(str(a), Entry(at, "", what, row.requester, "", "", kind, event.seq)) for a in sorted(accounts)]
    account = event.subject_id if event.subject_type == "account" else \
        (post.author if post else str((case.account if case else payload.get("account")) or ""))
    words = DEPARTURES.get(event.kind) or {"review.confirmed": "confirmed the decision",
                                           "appeal.filed": "appealed an action",
                                           "appeal.denied": "denied an appeal"}[event.kind]
    where = f" on post {post_id}" if post_id else ""
    return [(account, Entry(at, "", f"{words}{where}{note}", who(event.actor), version, post_id, kind, event.seq))] \
        if account else []


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# -- the report --------------------------------------------------------------------------------
@dataclass
class ConsistencyReport:
    start: datetime
    end: datetime
    within_days: int
    like_cases: list[LikeCases]
    departures: list[Departure]
    requests: list[RequestFollowUp]
    timelines: dict[str, list[Entry]]

    @property
    def uneven(self) -> list[LikeCases]:
        return [g for g in self.like_cases if not g.even]

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(), "to": self.end.isoformat(), "within_days": self.within_days,
            "like_cases": [{"evidence": g.evidence, "keys": g.keys, "even": g.even, "outcomes": g.outcomes,
                            "posts": [{**asdict(p), "outcome": p.outcome} for p in g.posts]}
                           for g in self.like_cases],
            "departures": [asdict(d) for d in self.departures],
            "requests": [{**asdict(r), "verdict": r.verdict, "discrepancy": r.discrepancy,
                          "fulfilled": {k: (asdict(v) if v else None) for k, v in r.fulfilled.items()},
                          "done_before": {k: (asdict(v) if v else None) for k, v in r.done_before.items()}}
                         for r in self.requests],
            "timelines": [{"account": a, "entries": [{k: v for k, v in asdict(e).items() if k != "account"}
                                                     for e in entries]}
                          for a, entries in self.timelines.items()],
        }


def build(db: Database, start: datetime, end: datetime, *, within_days: int = 14) -> ConsistencyReport:
    """The report for ``[start, end)``; requests are followed ``within_days`` either side."""
    if not 1 <= within_days <= MAX_WITHIN_DAYS:
        raise InvalidInput(f"within-days must be from 1 to {MAX_WITHIN_DAYS}", code="invalid_within_days")
    audit_log.seal(db.engine)  # every committed event gets its place in the chain first
    with db.session() as s:
        reviewers = _moderators_by_post(s)
        return ConsistencyReport(start=start, end=end, within_days=within_days,
                                 like_cases=like_cases(s, start, end, reviewers), departures=departures(s, start, end),
                                 requests=requests_followed(s, start, end, timedelta(days=within_days)),
                                 timelines=timelines(s, start, end))
