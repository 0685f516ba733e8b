"""Trying a policy before it goes live: ``policy backtest``, ``policy shadow``, ``policy promote`` and
``report shadow`` (added to the ``policy`` and ``report`` groups of ``cli.manage``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leakwarden.cli import manage
from leakwarden.cli.common import CreateOption, DbOption, echo_json, open_db
from leakwarden.engine import Engine
from leakwarden.policy import backtest as backtests
from leakwarden.policy import backtest_report
from leakwarden.policy.load import load_policy

ByOption = Annotated[str, typer.Option("--by", help="Who is acting (recorded in the audit log)")]
SinceOption = Annotated[str, typer.Option("--since", help="Start: a duration before now (30d, 12h) or an ISO date")]
UntilOption = Annotated[str | None, typer.Option("--until", help="End (default now): a duration before now or a date")]


def register(app: typer.Typer) -> None:
    """Subcommands of the ``policy`` and ``report`` groups (``cli.manage`` adds the groups)."""
    manage.policy_app.command("backtest")(policy_backtest)


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
