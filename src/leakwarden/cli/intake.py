"""Intake through a broker: publish, worker, deadletter."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Coroutine
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from leakwarden.cli.common import CreateOption, DbOption, PolicyOption, decode_line, echo_json, parse_json, read_bytes
from leakwarden.cli.core import FollowOption, open_engine, parse_post
from leakwarden.errors import InvalidInput, LeakwardenError
from leakwarden.intake.broker import DECIDE_BUDGET_S, POSTS, TOPICS, Broker, check_topic, open_broker
from leakwarden.intake.client import post_message, publish_all
from leakwarden.model import Post

BrokerOption = Annotated[str | None, typer.Option(
    "--broker", envvar="LEAKWARDEN_BROKER_URL",
    help="Broker URL: nats://host:4222 (JetStream) or redis://host:6379/0 (Streams)")]
T = TypeVar("T")
deadletter_app = typer.Typer(help="Messages that could not be processed, with the reason.", no_args_is_help=True)


def broker_from(url: str | None) -> Broker:
    if not url:
        raise InvalidInput("no broker: give --broker URL or set LEAKWARDEN_BROKER_URL (e.g. nats://127.0.0.1:4222)",
                           code="no_broker")
    return open_broker(url)


async def _with(broker: Broker, work: Awaitable[T]) -> T:
    """Connect, do the work, close (the work is closed unawaited if the broker cannot be reached)."""
    try:
        await broker.connect()
    except BaseException:
        if isinstance(work, Coroutine):
            work.close()
        raise
    try:
        return await work
    finally:
        await broker.close()


def read_posts(source: str) -> tuple[list[Post], list[str]]:
    """The valid posts of a JSON Lines file, and one line per invalid line, naming its number."""
    posts: list[Post] = []
    bad: list[str] = []
    for number, raw in enumerate(read_bytes(source).splitlines(), 1):
        if not raw.strip():
            continue
        where = f"line {number}"
        try:
            posts.append(parse_post(parse_json(decode_line(raw, where, first=number == 1), where), where))
        except LeakwardenError as exc:
            bad.append(exc.message)
    return posts, bad


def register(app: typer.Typer) -> None:
    app.add_typer(deadletter_app, name="deadletter")

    @app.command()
    def publish(source: Annotated[str, typer.Argument(help="Posts as JSON Lines: a file, or - for stdin")],
                broker: BrokerOption = None) -> None:
        """Publish posts to the intake stream for workers to decide. Invalid lines are reported by
        line number and skipped; the command then exits 2."""
        chosen = broker_from(broker)
        posts, bad = read_posts(source)
        for message in bad:
            typer.echo(f"error: {message}", err=True)
        messages = [post_message(p) for p in posts]
        asyncio.run(_with(chosen, publish_all(chosen, POSTS, messages)))
        typer.echo(f"published {len(posts)} post(s) to {chosen.url}")
        if bad:
            typer.echo(f"error: {len(bad)} invalid line(s) skipped", err=True)
            raise typer.Exit(2)

    @app.command()
    def worker(broker: BrokerOption = None, db: DbOption = None, create: CreateOption = False,
               policy: PolicyOption = None, follow: FollowOption = True,
               budget: Annotated[float, typer.Option(
                   min=0, max=60, help="Seconds a post's decision spends following links (default 0: the "
                   "complete stream follows them)")] = DECIDE_BUDGET_S,
               concurrency: Annotated[int, typer.Option(
                   min=1, max=64, help="Messages (of posts: batches) processed at once")] = 4,
               batch: Annotated[int, typer.Option(
                   min=1, max=1000, help="Most posts ingested in one transaction")] = 100,
               max_attempts: Annotated[int, typer.Option(
                   min=1, max=100, help="Deliveries before a failing message goes to the dead letters")] = 5,
               topic: Annotated[list[str] | None, typer.Option(
                   help="Topics to consume: posts, complete (default: both)")] = None) -> None:
        """Consume the intake streams: decide, enforce and record each post (acknowledged after the
        commit); complete partial decisions. SIGTERM or Ctrl-C stops cleanly."""
        from leakwarden.intake.worker import Worker

        topics = tuple(check_topic(t) for t in topic) if topic else TOPICS
        chosen = broker_from(broker)
        engine = open_engine(db, policy, follow, create)
        runner = Worker(engine, chosen, concurrency=concurrency, max_attempts=max_attempts, budget_s=budget,
                        topics=topics, actor="worker", batch=batch)

        async def main() -> object:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await chosen.connect()
            typer.echo(f"leakwarden worker: consuming {', '.join(topics)} from {chosen.url} "
                       f"(concurrency {concurrency}, batches of {batch}, {engine.db.dialect})", err=True)
            try:
                return await runner.run(stop)
            finally:
                await chosen.close()

        asyncio.run(main())
        counts = ", ".join(f"{n} {k}" for k, n in sorted(runner.counts.items())) or "nothing"
        typer.echo(f"leakwarden worker: stopped ({counts})", err=True)

    @deadletter_app.command("list")
    def list_dead(broker: BrokerOption = None,
                  topic: Annotated[str | None, typer.Option(help="posts or complete (default: both)")] = None,
                  limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
                  as_json: Annotated[bool, typer.Option("--json", help="JSON, with each message's content")] = False
                  ) -> None:
        """The dead letters: id, topic, deliveries, reason."""
        chosen = broker_from(broker)
        letters = asyncio.run(_with(chosen, chosen.dead_letters(check_topic(topic) if topic else None, limit=limit)))
        if as_json:
            echo_json([x.as_json() for x in letters])
            return
        table = Table(title=f"{len(letters)} dead letter(s) at {chosen.url}")
        for column in ("id", "topic", "deliveries", "at", "reason"):
            table.add_column(column)
        for x in letters:
            table.add_row(x.id, x.topic, str(x.attempts), x.at, x.reason)
        Console(width=200 if not sys.stdout.isatty() else None).print(table)

    @deadletter_app.command("retry")
    def retry_dead(ids: Annotated[list[str] | None, typer.Argument(help="Dead letter ids (see `deadletter list`)")
                                  ] = None,
                   all_: Annotated[bool, typer.Option("--all", help="Every dead letter")] = False,
                   broker: BrokerOption = None) -> None:
        """Publish dead letters to their topic again (after fixing what failed) and remove them."""
        if not ids and not all_:
            raise InvalidInput("name dead letter ids, or --all", code="nothing_to_retry")
        chosen = broker_from(broker)

        async def retry() -> int:
            wanted = list(ids or []) or [x.id for x in await chosen.dead_letters(limit=100_000)]
            for dead_id in wanted:
                await chosen.retry(dead_id)
            return len(wanted)

        done = asyncio.run(_with(chosen, retry()))
        typer.echo(f"retried {done} dead letter(s)")
