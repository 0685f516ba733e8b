"""The even-handedness report in words and pictures: a text summary, HTML with inline SVG charts
(no scripts, no outside files, no inline styles in the part the console shows), and CSV.

``sections_html`` is the body both the standalone page (``to_html``) and the console page show.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import datetime
from pathlib import Path

from leakwarden.audit.consistency import ConsistencyReport, Entry, LikeCases, RequestFollowUp
from leakwarden.audit.report import bar_chart, write_csv

PALETTE = ("#3b6ea5", "#c8553d", "#588b8b", "#f2a541", "#7d5ba6", "#8c8c8c")
KIND_COLOURS = {"decision": "#3b6ea5", "action": "#c8553d", "reversal": "#2a9d4b", "review": "#7d5ba6",
                "appeal": "#f2a541", "request": "#111111"}
ASKS = {"remove": "removal", "ban": "a ban", "suspend": "a suspension", "block_link": "blocking the links",
        "label": "a label or warning", "restore": "restoring or reinstating"}
e = html.escape


def span(days: float) -> str:
    """A distance in time in words: '3 h 5 min', '2 d 4 h'."""
    minutes = round(abs(days) * 1440)
    d, rest = divmod(minutes, 1440)
    h, m = divmod(rest, 60)
    if d:
        return f"{d} d {h} h" if h else f"{d} d"
    if h:
        return f"{h} h {m} min" if m else f"{h} h"
    return f"{m} min"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def when(days: float) -> str:
    return f"{span(days)} {'before' if days < 0 else 'after'}"


def _day(iso: str) -> str:
    return iso[:16].replace("T", " ")


def _asks(wants: list[str]) -> str:
    return ", ".join(ASKS.get(w, w) for w in wants) or "nothing the report can check (no removal, ban, " \
        "suspension, link block, label or reinstatement named)"


# -- the text summary ------------------------------------------------------------------------
def group_line(group: LikeCases) -> str:
    def accounts(outcome: str) -> str:
        named = {p.account + (f" ({', '.join(p.decided_by[1:])})" if len(p.decided_by) > 1 else "")
                 for p in group.posts if p.outcome == outcome}
        return ", ".join(sorted(named))

    outcomes = "; ".join(f"{outcome}: {accounts(outcome)}" for outcome in group.outcomes)
    return f"{' + '.join(group.evidence)} ({len(group.posts)} posts): {outcomes}"


def request_line(req: RequestFollowUp) -> str:
    first = req.first_after
    if not req.has_subject:
        return (f"request {req.id} ({req.kind}) from {req.requester} on {_day(req.received_at)}: no post, URL or "
                "account was recorded with it, so what followed cannot be told; record what it concerns.")
    line = (f"request {req.id} ({req.kind}) from {req.requester} on {_day(req.received_at)} asked for "
            f"{_asks(req.wants)}: {req.verdict}.")
    for want, done in req.fulfilled.items():
        earlier = req.done_before.get(want)
        line += f" {ASKS.get(want, want).capitalize()}: " + (
            f"{done.detail} on {done.on} by {done.by}, {when(done.days_after)}." if done else
            f"not done after it; {earlier.detail} on {earlier.on} by {earlier.by}, {when(earlier.days_after)}."
            if earlier else "not done.")
    if first is not None and not req.fulfilled:
        line += f" First action after it: {first.detail} on {first.on} by {first.by}, {when(first.days_after)}."
    if not req.after:
        line += " No action on its subject followed within the window."
    if req.before:
        line += f" {len(req.before)} action(s) on its subject came before it."
    if req.discrepancy:
        line += f" Note: {req.discrepancy}."
    return line


def summary(report: ConsistencyReport) -> list[str]:
    """The findings in plain sentences (the CLI prints them; the HTML page opens with them)."""
    period = f"{report.start.date().isoformat()} to {report.end.date().isoformat()}"
    lines = [f"Even-handedness report, {period}; outside requests followed {report.within_days} days either side."]
    uneven = report.uneven
    lines.append(f"Like cases, unlike outcomes: {len(uneven)} of {len(report.like_cases)} groups of posts with the "
                 "same evidence were decided differently.")
    lines += [f"  - {group_line(g)}" for g in uneven]
    acts = Counter(d.act for d in report.departures)
    lines.append(f"Manual departures from policy: {len(report.departures)}"
                 + (f" ({', '.join(f'{n} {act}' for act, n in sorted(acts.items()))})." if acts else "."))
    lines += [f"  - {_day(d.at)} {d.moderator} {d.act}" + (f" on post {d.post_id}" if d.post_id else "")
              + (f" of {d.account}" if d.account else "")
              + (f" (clauses {', '.join(d.clauses)})" if d.clauses else "") + (f": “{d.note}”" if d.note else "")
              for d in report.departures]
    verdicts = Counter(r.verdict for r in report.requests)
    lines.append(f"Outside requests and what followed: {len(report.requests)}"
                 + (f" ({', '.join(f'{n} {v}' for v, n in sorted(verdicts.items()))})." if verdicts else "."))
    lines += [f"  - {request_line(r)}" for r in report.requests]
    events = sum(len(v) for v in report.timelines.values())
    lines.append(f"A timeline per account: {len(report.timelines)} accounts, {events} events.")
    return lines


# -- charts ----------------------------------------------------------------------------------
def _svg_open(title: str, width: int, height: int) -> str:
    return (f'<svg role="img" aria-label="{e(title)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" '
            f'font-size="12"><title>{e(title)}</title>')


def outcome_chart(groups: list[LikeCases], width: int = 720) -> str:
    """One bar per group of like cases, split by outcome: a bar of one colour was decided evenly."""
    title = "Outcomes of posts with the same evidence"
    if not groups:
        return f"<figure><figcaption>{title}</figcaption><p>No two posts in this period share evidence.</p></figure>"
    outcomes = sorted({o for g in groups for o in g.outcomes})
    colour = {o: PALETTE[i % len(PALETTE)] for i, o in enumerate(outcomes)}
    bar_h, label_w = 24, 300
    top = max(len(g.posts) for g in groups)
    height = bar_h * len(groups) + 20 * len(outcomes) + 20
    parts = [_svg_open(title, width, height)]
    for i, group in enumerate(groups):
        y, x = 6 + i * bar_h, label_w
        label = " + ".join(group.evidence)
        parts.append(f'<text x="0" y="{y + 15}">{e(label if len(label) <= 46 else label[:45] + "…")}</text>')
        for outcome, n in group.outcomes.items():
            w = max(2, int((width - label_w - 40) * n / top))
            parts.append(f'<rect x="{x}" y="{y + 3}" width="{w}" height="{bar_h - 6}" fill="{colour[outcome]}">'
                         f'<title>{e(outcome)}: {n}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6}" y="{y + 15}">{len(group.posts)}</text>')
    y = 10 + bar_h * len(groups)
    for outcome in outcomes:
        parts.append(f'<rect x="0" y="{y}" width="12" height="12" fill="{colour[outcome]}"/>'
                     f'<text x="18" y="{y + 11}">{e(outcome)}</text>')
        y += 20
    parts.append("</svg>")
    return f"<figure><figcaption>{title}</figcaption>{''.join(parts)}</figure>"


def request_chart(req: RequestFollowUp, within_days: int, width: int = 720) -> str:
    """The request at the centre of a time axis, each action on its subject as a dot before or after."""
    title = f"Request {req.id} and the actions on its subject, {within_days} days either side"
    points = req.before + req.after
    height = 70 + 18 * len(points)
    left, right = 40, width - 40
    mid = (left + right) / 2

    def x(days: float) -> float:
        return mid + (right - left) / 2 * max(-1.0, min(1.0, days / within_days))

    asked = {w for w, f in req.fulfilled.items() if f is not None}
    parts = [_svg_open(title, width, height),
             f'<line x1="{left}" y1="30" x2="{right}" y2="30" stroke="#888"/>',
             f'<text x="{left}" y="20">{within_days} d before</text>',
             f'<text x="{right}" y="20" text-anchor="end">{within_days} d after</text>',
             f'<line x1="{mid}" y1="10" x2="{mid}" y2="{height - 5}" stroke="#111" stroke-dasharray="4 3"/>',
             f'<text x="{mid + 4}" y="44">request received</text>']
    for i, point in enumerate(points):
        y = 60 + 18 * i
        fulfils = any(req.fulfilled.get(w) is point for w in asked)
        fill = "#c8553d" if fulfils else "#3b6ea5"
        anchor, dx = ("start", 8) if x(point.days_after) < left + (right - left) * 0.7 else ("end", -8)
        label = f"{point.detail} · {point.by} · {when(point.days_after)}"
        parts.append(f'<line x1="{x(point.days_after):.1f}" y1="30" x2="{x(point.days_after):.1f}" y2="{y}" '
                     f'stroke="{fill}" stroke-width="1"/>'
                     f'<circle cx="{x(point.days_after):.1f}" cy="{y}" r="5" fill="{fill}"><title>{e(label)}</title>'
                     f'</circle><text x="{x(point.days_after) + dx:.1f}" y="{y + 4}" text-anchor="{anchor}">'
                     f'{e(label)}</text>')
    parts.append("</svg>")
    caption = f"{title}. Red: an action that did what was asked."
    return f"<figure><figcaption>{e(caption)}</figcaption>{''.join(parts)}</figure>"


def account_chart(account: str, entries: list[Entry], start: datetime, end: datetime, width: int = 720) -> str:
    """The account's events as dots along the period, one row per kind of event."""
    kinds = [k for k in KIND_COLOURS if any(x.kind == k for x in entries)]
    title = f"What happened to {account}, over the period"
    height = 24 * len(kinds) + 30
    left, right = 90, width - 10
    total = max((end - start).total_seconds(), 1.0)
    parts = [_svg_open(title, width, height)]
    for row, kind in enumerate(kinds):
        y = 14 + 24 * row
        parts.append(f'<text x="0" y="{y + 4}">{kind}</text>'
                     f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="#ddd"/>')
        for entry in (x for x in entries if x.kind == kind):
            at = datetime.fromisoformat(entry.at)
            cx = left + (right - left) * min(1.0, max(0.0, (at - start).total_seconds() / total))
            parts.append(f'<circle cx="{cx:.1f}" cy="{y}" r="5" fill="{KIND_COLOURS[kind]}" fill-opacity="0.8">'
                         f'<title>{e(_day(entry.at))}: {e(entry.what)} ({e(entry.by)})</title></circle>')
    y = 14 + 24 * len(kinds)
    parts.append(f'<text x="{left}" y="{y + 6}">{start.date().isoformat()}</text>'
                 f'<text x="{right}" y="{y + 6}" text-anchor="end">{end.date().isoformat()}</text></svg>')
    return f"<figure><figcaption>{e(title)}</figcaption>{''.join(parts)}</figure>"


# -- HTML ------------------------------------------------------------------------------------
def _table(headers: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th scope=\"col\">{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _like_cases_html(report: ConsistencyReport) -> str:
    uneven, even = report.uneven, [g for g in report.like_cases if g.even]
    parts = ['<section id="like-cases"><h2>Like cases, unlike outcomes</h2>',
             "<p>Posts are like cases when they carry the same evidence: a link caught by the same URL rule, "
             "the same known leaked material, or the same kind of private information about the same person "
             "(matched by a keyed hash; the values themselves are never shown). Their outcomes should match. "
             "Sanctions that follow from an account's earlier strikes, link blocks (only a post with a link "
             "can have one) and reviews are listed but not compared.</p>",
             f'<p class="finding">{len(uneven)} of {len(report.like_cases)} groups were decided differently.</p>',
             outcome_chart(report.like_cases)]
    for group in uneven:
        parts.append(f'<article class="group uneven"><h3>{e(" + ".join(group.evidence))}</h3>')
        parts.append(_table(["Account", "Post", "Decided", "Policy verdict", "Now", "Actions in effect",
                             "Reversed", "Decided by", "Policy version"],
                            [[p.account, p.post_id, _day(p.decided_at), p.verdict, p.outcome,
                              ", ".join(p.in_effect) or "none", ", ".join(p.reversed) or "none",
                              ", ".join(p.decided_by), p.policy_version] for p in group.posts]))
        parts.append("</article>")
    if even:
        parts.append(f"<details><summary>{len(even)} groups decided alike</summary><ul>"
                     + "".join(f"<li>{e(group_line(g))}</li>" for g in even) + "</ul></details>")
    return "".join(parts) + "</section>"


def _departures_html(report: ConsistencyReport) -> str:
    rows = Counter(f"{d.moderator} · {d.act}" for d in report.departures)
    return ('<section id="departures"><h2>Manual departures from policy</h2>'
            "<p>Where a person set aside what the written policy did: overturned a decision, changed its "
            "action, reinstated an account, or granted an appeal. Each is in the audit log with the "
            "moderator's note.</p>"
            f'<p class="finding">{plural(len(report.departures), "departure")}.</p>'
            + bar_chart("Departures by moderator and act", sorted(rows.items()))
            + _table(["When", "Moderator", "Act", "Post", "Account", "Clauses that applied", "Undone",
                      "Applied instead", "Note"],
                     [[_day(d.at), d.moderator, d.act, d.post_id or "", d.account or "", ", ".join(d.clauses),
                       ", ".join(d.undone), ", ".join(d.applied), d.note] for d in report.departures])
            + "</section>")


def _requests_html(report: ConsistencyReport) -> str:
    parts = ['<section id="requests"><h2>Outside requests and what followed</h2>',
             "<p>Every request from outside the platform (a campaign, a government, a court, a rights holder) "
             f"and every action on what it concerned (its posts, accounts and URLs) within {report.within_days} "
             "days before and after it. What was asked is read from the request's own words.</p>",
             f'<p class="finding">{plural(len(report.requests), "request")}.</p>']
    for req in report.requests:
        parts.append(f'<article class="request verdict-{e(req.verdict.replace(" ", "-"))}">'
                     f"<h3>Request {req.id}: {e(req.kind)}, from {e(req.requester)}, {e(_day(req.received_at))}</h3>"
                     f"<p>Asked: “{e(req.asked)}”. Read as asking for: {e(_asks(req.wants))}. "
                     f"Recorded outcome: {e(req.recorded_outcome)}"
                     + (f" ({e(req.recorded_done)})" if req.recorded_done else "") + ".</p>"
                     f'<p class="finding">{e(request_line(req))}</p>'
                     + request_chart(req, report.within_days)
                     + _table(["When", "Before or after", "What", "On", "By", "Clause"],
                              [[_day(f.at), when(f.days_after), f.detail, f.on, f.by, f.clause]
                               for f in req.before + req.after])
                     + "</article>")
    return "".join(parts) + "</section>"


MAX_TIMELINES_SHOWN = 200


def shown_timelines(report: ConsistencyReport, most: int = MAX_TIMELINES_SHOWN) -> list[str]:
    """The accounts whose timelines the page shows, at most ``most``: first those in an uneven group
    of like cases, a departure or an outside request, then those with the most events (the CSV and
    the JSON have every account)."""
    notable = {p.account for g in report.uneven for p in g.posts} | {d.account for d in report.departures}
    notable |= {a for r in report.requests for a in r.concerns.get("accounts", [])}
    ranked = sorted(report.timelines, key=lambda a: (a not in notable, -len(report.timelines[a]), a))
    return sorted(ranked[:most])


def _timelines_html(report: ConsistencyReport) -> str:
    shown = shown_timelines(report)
    left = len(report.timelines) - len(shown)
    parts = ['<section id="timelines"><h2>A timeline per account</h2>',
             "<p>For each account: what was decided, by whom (the automation or a named person), when, "
             "and under which policy version."
             + (f" {plural(left, 'more account')} with fewer events are in timeline.csv." if left else "") + "</p>"]
    shown_open = " open" if len(shown) <= 10 else ""
    for account in shown:
        entries = report.timelines[account]
        parts.append(f'<details class="timeline"{shown_open}><summary>{e(account)}: {len(entries)} events</summary>'
                     + account_chart(account, entries, report.start, report.end)
                     + _table(["When", "What", "By", "Policy version"],
                              [[_day(x.at), x.what, x.by, x.policy_version] for x in entries])
                     + "</details>")
    return "".join(parts) + "</section>"


def sections_html(report: ConsistencyReport) -> str:
    """The report's body: a summary, then the four sections (escaped; no script, no inline style)."""
    items = "".join(f"<li>{e(line.strip().removeprefix('- '))}</li>" for line in summary(report)[1:])
    return (f'<section id="summary"><h2>In short</h2><ul>{items}</ul></section>'
            + _like_cases_html(report) + _departures_html(report) + _requests_html(report)
            + _timelines_html(report))


STYLE = """body{font-family:sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.3rem .5rem;
vertical-align:top;text-align:left}.finding{font-weight:bold}article{border-left:4px solid #3b6ea5;
padding-left:1rem;margin:1rem 0}article.uneven,.verdict-done{border-color:#c8553d}svg{max-width:100%;height:auto}"""


def to_html(report: ConsistencyReport) -> str:
    period = f"{report.start.date().isoformat()} to {report.end.date().isoformat()}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Even-handedness report {period}</title>
<style>{STYLE}</style></head>
<body><h1>Was the policy applied evenly?</h1>
<p>Period: {period}. Built from the platform's audit log and stored decisions. Times are UTC.</p>
{sections_html(report)}
</body></html>
"""


# -- CSV -------------------------------------------------------------------------------------
def write(report: ConsistencyReport, out_dir: Path) -> list[Path]:
    """consistency.html and one CSV per section (requests in two: the requests, and what followed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / "consistency.html"
    page.write_text(to_html(report), encoding="utf-8")
    return [page,
            write_csv(out_dir / "like_cases.csv",
                 ["group", "evidence", "decided_alike", "post", "account", "decided_at", "verdict", "outcome",
                  "actions_in_effect", "reversed", "decided_by", "policy_version"],
                 [[i, " + ".join(g.evidence), g.even, p.post_id, p.account, p.decided_at, p.verdict, p.outcome,
                   "; ".join(p.in_effect), "; ".join(p.reversed), "; ".join(p.decided_by), p.policy_version]
                  for i, g in enumerate(report.like_cases, 1) for p in g.posts]),
            write_csv(out_dir / "departures.csv",
                 ["at", "moderator", "act", "case", "post", "account", "clauses", "policy_version", "undone",
                  "applied", "note", "audit_seq"],
                 [[d.at, d.moderator, d.act, d.case_id or "", d.post_id or "", d.account or "", "; ".join(d.clauses),
                   d.policy_version or "", "; ".join(d.undone), "; ".join(d.applied), d.note, d.seq]
                  for d in report.departures]),
            write_csv(out_dir / "requests.csv",
                 ["request", "kind", "requester", "received_at", "asked", "read_as", "recorded_outcome", "verdict",
                  "first_action_after", "days_to_first_action", "actions_before", "actions_after", "discrepancy"],
                 [[r.id, r.kind, r.requester, r.received_at, r.asked, "; ".join(r.wants), r.recorded_outcome,
                   r.verdict, r.first_after.detail if r.first_after else "",
                   round(r.first_after.days_after, 4) if r.first_after else "", len(r.before), len(r.after),
                   r.discrepancy]
                  for r in report.requests]),
            write_csv(out_dir / "request_actions.csv",
                 ["request", "at", "days_after", "what", "detail", "on", "by", "clause", "did_what_was_asked"],
                 [[r.id, f.at, round(f.days_after, 4), f.what, f.detail, f.on, f.by, f.clause,
                   any(v is f for v in r.fulfilled.values())] for r in report.requests for f in r.before + r.after]),
            write_csv(out_dir / "timeline.csv",
                 ["account", "at", "kind", "what", "by", "policy_version", "post", "audit_seq"],
                 [[a, x.at, x.kind, x.what, x.by, x.policy_version, x.post_id, x.seq]
                  for a, entries in report.timelines.items() for x in entries])]
