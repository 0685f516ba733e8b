"""``leakwarden report consistency``: the even-handedness report (``audit.consistency``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leakwarden.audit import consistency
from leakwarden.audit import consistency_render as render
from leakwarden.audit.report import period
from leakwarden.cli import manage
from leakwarden.cli.common import CreateOption, DbOption, echo_json, open_db


def register(app: typer.Typer) -> None:
    """A subcommand of ``report`` (the group ``cli.manage`` adds to ``app``)."""
    manage.report_app.command("consistency")(report_consistency)


def report_consistency(
    start: Annotated[str | None, typer.Option("--from", help="First day (ISO date); default: 30 days ago")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (ISO date), inclusive; default: today")] = None,
    within_days: Annotated[int, typer.Option(
        "--within-days", min=1, max=consistency.MAX_WITHIN_DAYS,
        help="Follow each outside request this many days before and after it")] = 14,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Also write consistency.html and CSVs into this folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as JSON instead of the summary")
                       ] = False,
    db: DbOption = None, create: CreateOption = False,
) -> None:
    """Was the policy applied evenly? Like cases, manual departures, outside requests, account timelines."""
    built = consistency.build(open_db(db, create), *period(start, end), within_days=within_days)
    if as_json:
        echo_json(built.as_dict())
    else:
        for line in render.summary(built):
            typer.echo(line)
    if out is not None:
        for path in render.write(built, out):
            typer.echo(str(path), err=as_json)
