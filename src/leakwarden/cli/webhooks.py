"""Webhooks and the event feed: ``leakwarden webhooks add URL [--events …]``, ``list``, ``remove``,
``deliveries``, ``replay``, ``run [--once]`` (the dispatcher), and ``leakwarden events``."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leakwarden.cli.common import CreateOption, DbOption, echo_json, open_db
from leakwarden.model import MAX_ID
from leakwarden.outbox import webhooks as hooks

webhooks_app = typer.Typer(help="Signed webhooks (Standard Webhooks) delivered from the outbox.",
                           no_args_is_help=True)
ActorOption = Annotated[str, typer.Option("--by", help="Who is acting (recorded in the audit log)")]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of a table")]
IdArgument = Annotated[int, typer.Argument(min=1, max=MAX_ID)]


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
    app.command("events")(events)


def _show(rows: list[dict[str, Any]], as_json: bool, columns: tuple[str, ...],
          cells: Callable[[dict[str, Any]], tuple[Any, ...]]) -> None:
    if as_json:
        echo_json(rows)
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(c) for c in cells(row)))
    Console().print(table)


def _split(values: list[str] | None) -> list[str]:
    return [v for value in values or [] for v in value.split(",") if v.strip()]


@webhooks_app.command("add")
def add(url: Annotated[str, typer.Argument(help="Where to POST events (http or https)")],
        events: Annotated[list[str] | None, typer.Option(
            "--events", help="Event types, comma-separated or repeated (default: every type)")] = None,
        secret: Annotated[str | None, typer.Option(
            "--secret", help="A whsec_ secret to sign with (default: a new random one)")] = None,
        description: Annotated[str, typer.Option("--description")] = "",
        by: ActorOption = "cli", db: DbOption = None, create: CreateOption = False) -> None:
    """Register an endpoint for events from now on; prints its signing secret (shown this once)."""
    endpoint = hooks.add(open_db(db, create), url, events=_split(events), secret=secret,
                            description=description, actor=by)
    kinds = "every event" if endpoint["all_events"] else ", ".join(endpoint["events"])
    typer.echo(f"webhook {endpoint['id']}: {endpoint['url']} ({kinds})")
    typer.echo(f"secret: {endpoint['secret']}")


@webhooks_app.command("list")
def list_(as_json: JsonOption = False, db: DbOption = None, create: CreateOption = False) -> None:
    """The registered endpoints (secrets are not shown)."""
    _show(hooks.list_endpoints(open_db(db, create)), as_json, ("id", "url", "events", "dead deliveries", "added by"),
          lambda e: (e["id"], e["url"], "all" if e["all_events"] else ", ".join(e["events"]), e["dead"],
                     e["created_by"]))


@webhooks_app.command("deliveries")
def deliveries(webhook: Annotated[int | None, typer.Option("--webhook", min=1, max=MAX_ID)] = None,
               state: Annotated[str | None, typer.Option("--state", help="pending, delivered or dead")] = None,
               limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
               as_json: JsonOption = False, db: DbOption = None, create: CreateOption = False) -> None:
    """Deliveries, newest first: state, attempts, the last answer."""
    _show(hooks.deliveries(open_db(db, create), endpoint_id=webhook, state=state, limit=limit), as_json,
          ("id", "webhook", "event", "type", "state", "attempts", "last answer", "next attempt"),
          lambda d: (d["id"], d["endpoint_id"], d["event"], d["type"], d["state"], d["attempts"],
                     d["last_error"] or d["last_status"] or "",
                     d["next_attempt_at"] if d["state"] == "pending" else ""))


def _by_id(name: str, act: Callable[..., dict[str, Any]], says: Callable[[dict[str, Any]], str], doc: str) -> None:
    """A command that acts on one endpoint or delivery by id, as ``--by``."""

    def command(item_id: IdArgument, by: ActorOption = "cli", db: DbOption = None,
                create: CreateOption = False) -> None:
        typer.echo(says(act(open_db(db, create), item_id, actor=by)))

    command.__doc__ = doc
    webhooks_app.command(name)(command)


_by_id("remove", hooks.remove, lambda e: f"removed webhook {e['id']} ({e['url']})", "Stop delivering to an endpoint.")
_by_id("replay", hooks.replay, lambda d: f"delivery {d['id']} ({d['event']}, {d['type']}) is pending again",
       "Send a delivery again (dead or delivered), from its first attempt, with the same webhook-id.")


@webhooks_app.command("run")
def run(once: Annotated[bool, typer.Option("--once", help="One round: deliver what is due now, then exit")] = False,
        poll: Annotated[float, typer.Option("--poll", min=0.05, max=3600, help="Seconds between idle rounds")] = 1.0,
        max_attempts: Annotated[int | None, typer.Option("--max-attempts", min=1, max=100)] = None,
        retry_base: Annotated[float | None, typer.Option("--retry-base", min=0, max=86400,
                                                         help="Seconds before the second attempt")] = None,
        timeout: Annotated[float | None, typer.Option("--timeout", min=0.1, max=60,
                                                      help="Seconds one attempt may take")] = None,
        db: DbOption = None, create: CreateOption = False) -> None:
    """The dispatcher: deliver the outbox to every endpoint until stopped (Ctrl-C, SIGTERM)."""
    from dataclasses import replace

    from leakwarden.outbox.dispatch import Dispatcher, Settings

    settings = Settings()
    settings = replace(settings, max_attempts=settings.max_attempts if max_attempts is None else max_attempts,
                       retry_base_s=settings.retry_base_s if retry_base is None else retry_base,
                       timeout_s=settings.timeout_s if timeout is None else timeout)
    dispatcher = Dispatcher(open_db(db, create), settings)
    try:
        if once:
            done = dispatcher.run_once()
        else:
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            typer.echo("delivering webhooks (Ctrl-C to stop)", err=True)
            done = dispatcher.run(stop, poll)
    finally:
        dispatcher.close()
    typer.echo(f"{done.fanned_out} new deliveries, {done.delivered} delivered, {done.failed} failed attempts, "
               f"{done.dead} dead-lettered")


def events(after: Annotated[int, typer.Option("--after", min=0, max=MAX_ID, help="The cursor: the last seq read")] = 0,
           limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 100,
           db: DbOption = None, create: CreateOption = False) -> None:
    """The event feed in order, one JSON object per line; the last line's seq is the next cursor."""
    import json

    from leakwarden.outbox.events import read

    for event in read(open_db(db, create), after, limit).events:
        typer.echo(json.dumps(event, ensure_ascii=False, sort_keys=True))
