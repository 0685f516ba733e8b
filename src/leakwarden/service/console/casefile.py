"""Everything a reviewer needs about one case, gathered for the console and ``GET /v1/cases/{id}``.

Private-information spans come out as segments of the text they point into, each masked unless the
caller passes the values it revealed (``enforcement.review.reveal``, which audits each reveal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from leakwarden.audit import log as audit_log
from leakwarden.enforcement.appeals import appeals_of
from leakwarden.enforcement.review import get_case, subject_text
from leakwarden.enforcement.review_tables import AppealRow
from leakwarden.enforcement.standing import standing_of
from leakwarden.model import Decision, LinkChain, Post, Standing
from leakwarden.signals.pii import atrest
from leakwarden.signals.pii.atrest import readable
from leakwarden.store.tables import AuditEventRow, CaseRow, EnforcementAction, PostRow, Sanction, Strike


@dataclass
class Segment:
    text: str
    ref: str | None = None  # "r.e" of a private-information span
    label: str = ""
    revealed: bool = False


@dataclass
class MarkedText:
    """One subject's text with its private-information spans marked (masked unless revealed)."""

    subject: str
    segments: list[Segment]


@dataclass
class CaseFile:
    case: CaseRow
    post: Post | None = None
    status: str | None = None
    decision: Decision | None = None
    standing: Standing | None = None
    actions: list[EnforcementAction] = field(default_factory=list)
    strikes: list[Strike] = field(default_factory=list)
    sanctions: list[Sanction] = field(default_factory=list)
    appeals: list[AppealRow] = field(default_factory=list)
    events: list[AuditEventRow] = field(default_factory=list)
    marked: list[MarkedText] = field(default_factory=list)

    @property
    def chains(self) -> list[LinkChain]:
        return self.decision.chains if self.decision else []

    @property
    def pending_appeal(self) -> bool:
        return any(a.outcome is None for a in self.appeals) and self.case.state != "closed"

    def as_dict(self) -> dict[str, Any]:
        """JSON for the API: private values stay masked."""
        c = self.case
        return {
            "id": c.id, "state": c.state, "source": c.source, "reason": c.reason, "resolution": c.resolution,
            "post_id": c.post_id, "account": c.account, "created_at": c.created_at.isoformat(),
            "updated_at": c.updated_at.isoformat(), "data": c.data, "post_status": self.status,
            "post": self.post.model_dump(mode="json", include={"id", "author", "surface", "links"})
            if self.post else None,
            "decision": self.decision.model_dump(mode="json", include={"verdict", "actions", "reasons", "chains",
                                                                       "policy_version"})
            if self.decision else None,
            "standing": self.standing.model_dump(mode="json") if self.standing else None,
            "actions": [{"id": a.id, "type": a.type, "clause": a.clause, "target": a.target,
                         "automatic": a.automatic, "actor": a.actor, "created_at": a.created_at.isoformat(),
                         "reversed": a.reversed_at is not None} for a in self.actions],
            "appeals": [{"id": a.id, "action_id": a.action_id, "outcome": a.outcome} for a in self.appeals],
        }


def mark(text: str, spans: list[tuple[int, int, str, str]], revealed: dict[str, str]) -> list[Segment]:
    """Split ``text`` at the spans ``(start, end, ref, label)``; overlapping spans keep the first."""
    segments: list[Segment] = []
    at = 0
    for start, end, ref, label in sorted(spans):
        if start < at or not 0 <= start < end <= len(text):
            continue
        if start > at:
            segments.append(Segment(text[at:start]))
        if ref in revealed:
            segments.append(Segment(revealed[ref], ref=ref, label=label, revealed=True))
        else:
            segments.append(Segment("•" * min(12, max(4, end - start)), ref=ref, label=label))
        at = end
    if at < len(text):
        segments.append(Segment(text[at:]))
    return segments


def _marked(post: Post, decision: Decision, revealed: dict[str, str]) -> list[MarkedText]:
    by_subject: dict[str, list[tuple[int, int, str, str]]] = {}
    for r, reason in enumerate(decision.reasons):
        for e, evidence in enumerate(reason.evidence):
            if reason.signal == "pii" and evidence.span is not None:
                spans = by_subject.setdefault(evidence.subject, [])
                if not any(s[:2] == tuple(evidence.span) for s in spans):
                    spans.append((*evidence.span, f"{r}.{e}", str(evidence.data.get("label", "private"))))
    result = []
    for subject, spans in by_subject.items():
        text = subject_text(post, decision, subject)
        if text is not None:
            result.append(MarkedText(subject, mark(text, spans, revealed)))
    return result


def case_file(session: Session, case_id: int, revealed: dict[str, str] | None = None) -> CaseFile:
    case = get_case(session, case_id)
    found = CaseFile(case=case, appeals=appeals_of(session, case_id))
    where: ColumnElement[bool] = (AuditEventRow.subject_type == "case") & (AuditEventRow.subject_id == str(case_id))
    if case.post_id is not None:
        row = session.get(PostRow, case.post_id)
        if row is not None:
            found.post, found.status = Post.model_validate(atrest.shown_body(row.body)), row.status
            # private values masked (one stored before masking existed is masked now): signals.pii.atrest
            found.decision = readable(Decision.model_validate(row.decision)) if row.decision else None
            if found.decision is not None:
                found.marked = _marked(found.post, found.decision, revealed or {})
        where = or_(where, (AuditEventRow.subject_type == "post") & (AuditEventRow.subject_id == case.post_id))
    account = case.account or (found.post.author if found.post else None)
    if account:
        found.standing = standing_of(session, account)
        found.actions = list(session.scalars(select(EnforcementAction).where(EnforcementAction.account == account)
                                             .order_by(EnforcementAction.id)))
        found.strikes = list(session.scalars(select(Strike).where(Strike.account == account).order_by(Strike.id)))
        found.sanctions = list(session.scalars(select(Sanction).where(Sanction.account == account)
                                               .order_by(Sanction.id)))
    found.events = list(session.scalars(select(AuditEventRow).where(where).order_by(AuditEventRow.seq)))
    return found


def payload(event: AuditEventRow) -> dict[str, Any]:
    return audit_log.payload_of(event)


@dataclass
class HistoryLine:
    """One line of a case's history: when, who, and what happened in words."""

    at: Any
    actor: str
    kind: str
    summary: str
    count: int = 1


def _action_words(action: dict[str, Any]) -> str:
    words = str(action.get("type", "action"))
    if action.get("duration_s"):
        words += f" {round(int(action['duration_s']) / 3600, 1):g} h"
    if action.get("clause"):
        words += f" (clause {action['clause']})"
    return words


def _who(actor: str) -> str:
    if actor in ("auto", "engine") or actor.startswith("policy:"):
        return "the policy"
    return actor.split(":", 1)[1] if actor.startswith("user:") else actor


def _summary(kind: str, data: dict[str, Any]) -> str:
    note = f": “{data['note']}”" if data.get("note") else ""
    if kind == "case.opened":
        return f"Case opened ({data.get('source', '?')}): {data.get('reason', '')}"
    if kind.startswith("case.") and kind != "case.assigned":
        resolution = f" as {data['resolution']}" if data.get("resolution") else ""
        return f"Case moved from {data.get('from', '?')} to {data.get('to', kind[5:])}{resolution}{note}"
    if kind == "case.assigned":
        return f"Assigned to {data['assignee']}" if data.get("assignee") else "Unassigned"
    if kind == "review.overturned":
        return (f"Overturned: {len(data.get('actions', []))} action(s) reversed, {len(data.get('strikes', []))} "
                f"strike(s) removed, {len(data.get('sanctions', []))} sanction(s) lifted{note}")
    if kind == "review.confirmed":
        return f"Decision confirmed{note}"
    if kind == "review.changed":
        applied = ", ".join(_action_words(a) for a in data.get("applied", []))
        return f"Action changed to {applied or 'nothing'}{note}"
    if kind == "review.rule_added":
        return f"URL rule added: block {data.get('kind', '')} {data.get('pattern', '')}"
    if kind == "review.banked":
        return f"Linked document added to bank {data.get('bank', '')}"
    if kind == "pii.revealed":
        return f"Private value revealed ({data.get('label') or 'private'})"
    if kind == "report.filed":
        return f"Reported: {data.get('reason', '')}"
    if kind == "appeal.filed":
        return f"Appeal filed by {data.get('account', '?')} against {data.get('action', 'an action')}"
    if kind.startswith("appeal."):
        return f"Appeal {kind[7:].replace('_', ' ')}: {len(data.get('actions', []))} action(s) reversed{note}"
    if kind == "request.linked":
        return f"Linked to outside request {data.get('request')}"
    if kind in ("decision", "decision.completed", "decision.recheck", "decision.retro", "decision.rescan",
                "decision.refetched"):
        verdict = data.get("verdict")
        return f"Post decided again ({kind.partition('.')[2] or 'first decision'})" + (f": {verdict}" if verdict
                                                                                        else "")
    return kind.replace(".", " ").replace("_", " ").capitalize()


def history(events: list[AuditEventRow]) -> list[HistoryLine]:
    """A case's audit events in words; consecutive actions applied by the same actor are one line
    ("The policy applied remove (clause dossier), strike, suspend 12 h")."""
    lines: list[HistoryLine] = []
    for event in events:
        data = payload(event)
        if event.kind in ("action.applied", "action.reapplied", "action.skipped"):
            verb = {"action.applied": "applied", "action.reapplied": "applied again",
                    "action.skipped": "skipped"}[event.kind]
            words = _action_words(data.get("action") or {})
            last = lines[-1] if lines else None
            if last is not None and last.kind == event.kind and last.actor == _who(event.actor):
                last.summary += f", {words}"
                last.count += 1
                continue
            lines.append(HistoryLine(event.at, _who(event.actor), event.kind,
                                     f"{_who(event.actor).capitalize()} {verb} {words}"))
            continue
        lines.append(HistoryLine(event.at, _who(event.actor), event.kind, _summary(event.kind, data)))
    return lines
