"""A backtest, for people: a text summary, HTML with charts (inline SVG, no scripts) and CSV files."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from leakwarden.audit.report import bar_chart, write_csv
from leakwarden.policy.backtest import SIMPLIFICATION, Backtest


def _period(result: Backtest) -> str:
    return f"{result.start.strftime('%Y-%m-%d %H:%M')} to {result.end.strftime('%Y-%m-%d %H:%M')} UTC"


def summary(result: Backtest) -> str:
    """The readable summary printed by ``leakwarden policy backtest``."""
    share = f" ({100 * result.changed / result.posts:.1f}%)" if result.posts else ""
    lines = [f"backtest of {result.candidate} (sha256 {result.sha256[:12]}) on {result.posts} posts "
             f"ingested {_period(result)}",
             f"decided before under: {', '.join(f'{p} ({n})' for p, n in sorted(result.live.items())) or 'none'}",
             f"changed: {result.changed} posts{share}"]
    if result.by_clause:
        lines.append("verdict changes by clause:")
        lines += [f"  {clause}: {a} → {b}  {n}" for (clause, a, b), n in sorted(result.by_clause.items())]
    if result.actions:
        lines.append("actions: " + ", ".join(f"{t} {ch} on {n}" for (t, ch), n in sorted(result.actions.items())))
    lines.append(f"accounts whose standing would change: {len(result.accounts)}")
    lines += [f"  {a.account}: {a.before} ({a.strikes_before} strikes) → {a.after} ({a.strikes_after} strikes)"
              for a in result.accounts[:result.sample_size]]
    if result.sample:
        lines.append(f"sample of changed posts ({len(result.sample)} of {result.changed}):")
        for change in result.sample:
            why = "; ".join(change.reasons[:2]) or f"no clause fires (was: {', '.join(change.before_clauses)})"
            lines.append(f"  {change.post_id} by {change.author}: {change.before} → {change.after} — {why}")
    if result.redetected:
        lines.append(f"signals: {len(result.redetected)} posts had no stored signals; their detectors ran again "
                     "on the stored post (links not followed)")
    else:
        lines.append("signals: every decision reused its stored signals (nothing fetched, no detector run)")
    if result.partial:
        lines.append(f"partial: {result.partial} posts were decided before all their links were followed; "
                     "their stored signals are as partial")
    lines.append(f"note: {SIMPLIFICATION}")
    return "\n".join(lines)


def charts(result: Backtest) -> list[str]:
    """The charts of the HTML report and of the console page."""
    return [
        bar_chart("Verdict changes (from → to)", [(f"{a} → {b}", n) for (a, b), n in sorted(result.verdicts.items())]),
        bar_chart("Changed posts by clause",
                  [(f"{c}: {a} → {b}", n) for (c, a, b), n in sorted(result.by_clause.items())]),
        bar_chart("Actions added and dropped", [(f"{t} {ch}", n) for (t, ch), n in sorted(result.actions.items())]),
        bar_chart("Account standing changes",
                  sorted(Counter(f"{a.before} → {a.after}" for a in result.accounts).items())),
    ]


def _rows(cells: list[list[object]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in cells)


def to_html(result: Backtest) -> str:
    e = html.escape
    posts = _rows([[c.post_id, c.author, f"{c.before} → {c.after}", c.clause, ", ".join(c.before_actions),
                    ", ".join(c.after_actions), "; ".join(c.reasons)] for c in result.sample])
    accounts = _rows([[a.account, f"{a.before} ({a.strikes_before})", f"{a.after} ({a.strikes_after})"]
                      for a in result.accounts])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest of {e(result.candidate)}</title>
<style>body{{font-family:sans-serif;max-width:70rem;margin:2rem auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top}}</style></head>
<body><h1>Backtest of {e(result.candidate)}</h1>
<p>Policy sha256 <code>{e(result.sha256)}</code>. {result.posts} posts ingested {e(_period(result))};
{result.changed} would be decided differently; {len(result.accounts)} accounts would change standing.
{len(result.redetected)} posts had no stored signals and had their detectors run again.</p>
{''.join(charts(result))}
<h2>Accounts whose standing would change</h2>
<table><thead><tr><th>Account</th><th>Under the stored decisions (strikes)</th>
<th>Under the candidate (strikes)</th></tr></thead>
<tbody>{accounts}</tbody></table>
<h2>A sample of changed posts ({len(result.sample)} of {result.changed})</h2>
<table><thead><tr><th>Post</th><th>Author</th><th>Verdict</th><th>Clause</th><th>Actions before</th>
<th>Actions under the candidate</th><th>Reasons</th></tr></thead><tbody>{posts}</tbody></table>
<p><small>{e(SIMPLIFICATION)}</small></p>
</body></html>
"""


def write(result: Backtest, out_dir: Path) -> list[Path]:
    """backtest.html, changes.csv (every changed post), clauses.csv and accounts.csv in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / "backtest.html"
    page.write_text(to_html(result), encoding="utf-8")
    return [page,
            write_csv(out_dir / "changes.csv", ["post_id", "author", "ingested_at", "from", "to", "clause",
                                                "from_clauses", "to_clauses", "from_actions", "to_actions",
                                                "reasons"],
                 [[c.post_id, c.author, c.ingested_at.isoformat(), c.before, c.after, c.clause,
                   " ".join(c.before_clauses), " ".join(c.after_clauses), " ".join(c.before_actions),
                   " ".join(c.after_actions), " | ".join(c.reasons)] for c in result.changes]),
            write_csv(out_dir / "clauses.csv", ["clause", "from", "to", "posts"],
                 [[c, a, b, n] for (c, a, b), n in sorted(result.by_clause.items())]),
            write_csv(out_dir / "accounts.csv", ["account", "from", "to", "from_strikes", "to_strikes"],
                 [[a.account, a.before, a.after, a.strikes_before, a.strikes_after] for a in result.accounts])]
