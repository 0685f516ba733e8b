"""Transparency reports: actions by policy clause, decisions by verdict, outside requests by kind
and outcome, over a period. Written as HTML (with inline SVG charts, no scripts) and CSV."""

from __future__ import annotations

import csv
import html
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from leakwarden.errors import InvalidInput
from leakwarden.store.db import Database
from leakwarden.store.tables import EnforcementAction, OutsideRequestRow, PostRow

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def parse_day(value: str) -> datetime:
    """An ISO date (or date-time), in UTC."""
    try:
        day = datetime.fromisoformat(value)
        return day.astimezone(UTC) if day.tzinfo else day.replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{value[:40]!r} is not a date like 2026-11-01", code="invalid_date") from None
    except OverflowError:  # an offset that moves it past the year 1 or 9999
        raise InvalidInput(f"{value[:40]!r} is out of range", code="invalid_date") from None


def _shift(at: datetime, delta: timedelta) -> datetime:
    """``at + delta``, held at the ends of time (the day after 9999-12-31 is still 9999-12-31)."""
    try:
        return at + delta
    except OverflowError:
        return _LATEST if delta > timedelta(0) else _EARLIEST


def period(start: str | None, end: str | None, default_days: int = 30) -> tuple[datetime, datetime]:
    """[start, end + 1 day) from ISO days; by default the last ``default_days`` days. Any day from
    0001-01-01 to 9999-12-31 may be given."""
    finish = _shift(parse_day(end), timedelta(days=1)) if end else datetime.now(UTC)
    begin = parse_day(start) if start else _shift(finish, -timedelta(days=default_days))
    if begin >= finish:
        raise InvalidInput("the period's start must be before its end", code="invalid_period")
    return begin, finish


@dataclass
class Report:
    start: datetime
    end: datetime
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (clause, type) -> n
    verdicts: Counter[str] = field(default_factory=Counter)
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, outcome) -> n
    reversed_actions: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "from": self.start.isoformat(), "to": self.end.isoformat(),
            "actions_by_clause": [{"clause": c, "action": t, "count": n} for (c, t), n in sorted(self.actions.items())],
            "decisions_by_verdict": dict(sorted(self.verdicts.items())),
            "requests_by_kind": [{"kind": k, "outcome": o, "count": n} for (k, o), n in sorted(self.requests.items())],
            "reversed_actions": self.reversed_actions,
        }


def build(db: Database, start: datetime, end: datetime) -> Report:
    report = Report(start=start, end=end)
    with db.session() as s:
        for clause, type_, reversed_at in s.execute(
            select(EnforcementAction.clause, EnforcementAction.type, EnforcementAction.reversed_at)
            .where(EnforcementAction.created_at >= start, EnforcementAction.created_at < end)):
            report.actions[(clause, type_)] += 1
            report.reversed_actions += reversed_at is not None
        for (verdict,) in s.execute(select(PostRow.verdict).where(PostRow.ingested_at >= start,
                                                                   PostRow.ingested_at < end)):
            report.verdicts[verdict] += 1
        for kind, outcome in s.execute(select(OutsideRequestRow.kind, OutsideRequestRow.outcome)
                                       .where(OutsideRequestRow.received_at >= start,
                                              OutsideRequestRow.received_at < end)):
            report.requests[(kind, outcome)] += 1
    return report


def bar_chart(title: str, rows: list[tuple[str, int]], width: int = 560) -> str:
    """A horizontal bar chart as inline SVG."""
    if not rows:
        return f"<figure><figcaption>{html.escape(title)}</figcaption><p>None in this period.</p></figure>"
    top = max(n for _, n in rows) or 1
    bar_h, label_w = 22, 260
    height = bar_h * len(rows) + 10
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">']
    for i, (label, n) in enumerate(rows):
        y = 5 + i * bar_h
        w = max(1, int((width - label_w - 50) * n / top))
        parts.append(f'<text x="0" y="{y + 15}">{html.escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{bar_h - 6}" fill="#3b6ea5"/>'
                     f'<text x="{label_w + w + 6}" y="{y + 15}">{n}</text>')
    parts.append("</svg>")
    return f"<figure><figcaption>{html.escape(title)}</figcaption>{''.join(parts)}</figure>"


def to_html(report: Report) -> str:
    actions = [(f"{c} · {t}", n) for (c, t), n in sorted(report.actions.items())]
    requests = [(f"{k} · {o}", n) for (k, o), n in sorted(report.requests.items())]
    verdicts = sorted(report.verdicts.items())
    period = f"{report.start.date().isoformat()} to {report.end.date().isoformat()}"
    table = "".join(f"<tr><td>{html.escape(c)}</td><td>{html.escape(t)}</td><td>{n}</td></tr>"
                    for (c, t), n in sorted(report.actions.items()))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Transparency report {period}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3rem .6rem}}</style></head>
<body><h1>Transparency report</h1><p>Period: {period}. Actions reversed on review: {report.reversed_actions}.</p>
<h2>Actions by policy clause</h2>{bar_chart("Actions by policy clause", actions)}
<table><thead><tr><th>Clause</th><th>Action</th><th>Count</th></tr></thead><tbody>{table}</tbody></table>
<h2>Decisions by verdict</h2>{bar_chart("Decisions by verdict", verdicts)}
<h2>Outside requests by kind and outcome</h2>{bar_chart("Outside requests by kind and outcome", requests)}
</body></html>
"""


def write_csv(path: Path, header: list[str], rows: Iterable[Sequence[object]]) -> Path:
    """One CSV file of a report: a header line, then the rows."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write(report: Report, out_dir: Path) -> list[Path]:
    """Write report.html, actions.csv and requests.csv into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / "report.html"
    page.write_text(to_html(report), encoding="utf-8")
    return [page,
            write_csv(out_dir / "actions.csv", ["clause", "action", "count"],
                      ([c, t, n] for (c, t), n in sorted(report.actions.items()))),
            write_csv(out_dir / "requests.csv", ["kind", "outcome", "count"],
                      ([k, o, n] for (k, o), n in sorted(report.requests.items())))]
