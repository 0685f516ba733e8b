"""Trying a policy before it goes live: ``policy backtest``, ``policy shadow``, ``policy promote`` and
``report shadow`` (added to the ``policy`` and ``report`` groups of ``cli.manage``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leakwarden.cli import manage
from leakwarden.cli.common import CreateOption, DbOption, echo_json, open_db
from leakwarden.engine import Engine
from leakwarden.errors import InvalidInput
from leakwarden.policy import backtest as backtests
from leakwarden.policy import backtest_report
from leakwarden.policy import shadow as shadows
from leakwarden.policy.load import load_policy

ByOption = Annotated[str, typer.Option("--by", help="Who is acting (recorded in the audit log)")]
SinceOption = Annotated[str, typer.Option("--since", help="Start: a duration before now (30d, 12h) or an ISO date")]
UntilOption = Annotated[str | None, typer.Option("--until", help="End (default now): a duration before now or a date")]


def register(app: typer.Typer) -> None:
    """Subcommands of the ``policy`` and ``report`` groups (``cli.manage`` adds the groups)."""
    manage.policy_app.command("backtest")(policy_backtest)
    manage.policy_app.command("shadow")(policy_shadow)
    manage.policy_app.command("promote")(policy_promote)
    manage.report_app.command("shadow")(report_shadow)


def policy_backtest(
    source: Annotated[str, typer.Argument(help="The candidate policy: a TOML/YAML file or a preset name")],
    since: SinceOption = "30d", until: UntilOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write backtest.html and CSV files here")] = None,
    sample: Annotated[int, typer.Option("--sample", min=0, max=10_000, help="Changed posts to show")] = 20,
    by: ByOption = "cli", db: DbOption = None, create: CreateOption = False,
) -> None:
    """Decide the stored posts of a period again under a candidate policy, on their stored signals.

    Nothing is fetched, enforced or changed; one `policy.backtested` audit event is recorded."""
    candidate = load_policy(source)  # invalid: the same errors as `policy validate`
    start, end = backtests.period(since, until)
    database = open_db(db, create)

    def engine() -> Engine:
        return Engine(database)

    result = backtests.run(database, candidate, start, end, redetect=backtests.engine_redetect(engine),
                           actor=by, sample=sample)
    files = backtest_report.write(result, out) if out is not None else []
    if as_json:
        echo_json({**result.as_dict(), "files": [str(f) for f in files]})
        return
    typer.echo(backtest_report.summary(result))
    for path in files:
        typer.echo(f"wrote {path}")


def _deployed(label: str, value: dict[str, object] | None) -> str:
    if value is None:
        return f"{label}: none"
    return (f"{label}: {value['policy']} (sha256 {str(value['sha256'])[:12]}), deployed "
            f"{str(value['deployed_at'])[:19]} by {value['deployed_by']}")


def policy_shadow(
    source: Annotated[str | None, typer.Argument(help="The policy to deploy in shadow: a TOML/YAML file or a "
                                                      "preset; none: show what is deployed")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the shadow policy")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    by: ByOption = "cli", db: DbOption = None, create: CreateOption = False,
) -> None:
    """Deploy a policy in shadow beside the live one: every ingested post is decided under both, only the
    live decision is enforced, the shadow's is stored (see `report shadow`)."""
    if clear and source:
        raise InvalidInput("give a policy to deploy or --clear, not both", code="usage")
    database = open_db(db, create)
    if clear:
        cleared = shadows.clear(database, by)
        typer.echo(f"shadow policy {cleared['policy']} removed")
        return
    if source is not None:
        policy, text, fmt = shadows.read_policy(source)
        deployed = shadows.deploy(database, policy, text, fmt, by)
        if not as_json:
            typer.echo(f"{deployed['policy']} deployed in shadow (sha256 {str(deployed['sha256'])[:12]}); every "
                       "post ingested from now on is decided under it too, never enforced")
            return
    state = shadows.status(database)
    if as_json:
        echo_json(state)
        return
    typer.echo(_deployed("live (promoted)", state[shadows.LIVE]))
    typer.echo(_deployed("shadow", state[shadows.SHADOW]))


def policy_promote(by: ByOption = "cli", db: DbOption = None, create: CreateOption = False) -> None:
    """Make the shadow policy live (audited): every engine on this database decides under it from now on."""
    promoted = shadows.promote(open_db(db, create), by, live_now=None)
    typer.echo(f"{promoted['policy']} is now live (sha256 {str(promoted['sha256'])[:12]}); no shadow policy is "
               "deployed")


def report_shadow(
    since: SinceOption = "30d", until: UntilOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    sample: Annotated[int, typer.Option("--sample", min=0, max=10_000, help="Differing posts to show")] = 20,
    db: DbOption = None, create: CreateOption = False,
) -> None:
    """Where the shadow policy decided differently from the live one."""
    start, end = backtests.period(since, until)
    result = shadows.report(open_db(db, create), start, end, sample=sample)
    if as_json:
        echo_json(result.as_dict())
        return
    typer.echo(shadow_summary(result))


def shadow_summary(result: shadows.ShadowReport) -> str:
    lines = [_deployed("live (promoted)", result.deployed[shadows.LIVE]),
             _deployed("shadow", result.deployed[shadows.SHADOW]),
             f"posts decided under both: {result.decided}; decided differently: {result.differing}"]
    if result.by_clause:
        lines.append("differences by shadow clause (live → shadow):")
        lines += [f"  {c}: {a} → {b}  {n}" for (c, a, b), n in sorted(result.by_clause.items())]
    for row in result.sample:
        why = "; ".join(row["reasons"][:2]) or "no clause of the shadow fires"
        lines.append(f"  {row['post_id']} by {row['author']}: {row['live']} ({', '.join(row['live_actions'])}) → "
                     f"{row['shadow']} ({', '.join(row['shadow_actions'])}) — {why}")
    return "\n".join(lines)
