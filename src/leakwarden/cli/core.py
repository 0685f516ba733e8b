"""Deciding: check, scan, serve, canonicalize."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from leakwarden.cli.common import DbOption, PolicyOption, echo_json, parse_json, read_text, validation_message
from leakwarden.engine import Engine
from leakwarden.errors import InvalidInput
from leakwarden.links.url import canonicalize
from leakwarden.model import Post

FollowOption = Annotated[bool, typer.Option("--follow/--no-follow",
                                            help="Follow links to pages and documents (default: on)")]
BudgetOption = Annotated[float | None, typer.Option("--budget", min=0, help="Seconds to spend following links")]


def follow_default() -> bool:
    return os.environ.get("LEAKWARDEN_FOLLOW_LINKS", "1").lower() not in ("0", "false", "no")


def open_engine(db: str | None, policy: str | None, follow: bool = True) -> Engine:
    expander = None
    if follow and follow_default():
        from leakwarden.links.chain import shared_expander

        expander = shared_expander()
    return Engine(db, policy=policy, expander=expander)


def parse_post(value: object, where: str) -> Post:
    try:
        return Post.model_validate(value)
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc, where), code="invalid_post") from None


def register(app: typer.Typer) -> None:
    @app.command()
    def check(source: Annotated[str, typer.Argument(help="A post as JSON: a file, or - for stdin")],
              db: DbOption = None, policy: PolicyOption = None, follow: FollowOption = True,
              budget: BudgetOption = None) -> None:
        """Decide one post and print the Decision as JSON (stores nothing)."""
        engine = open_engine(db, policy, follow)
        post = parse_post(parse_json(read_text(source), source), source)
        decision = engine.check(post, budget_s=budget)
        echo_json(decision.model_dump(mode="json"))

    @app.command()
    def scan(source: Annotated[str, typer.Argument(help="Posts as JSON Lines: a file, or - for stdin")],
             out: Annotated[Path, typer.Option("--out", "-o", help="Where to write NDJSON decisions")] = Path(
                 "decisions.ndjson"),
             ingest: Annotated[bool, typer.Option("--ingest", help="Also enforce and record each post")] = False,
             db: DbOption = None, policy: PolicyOption = None, follow: FollowOption = True,
             budget: BudgetOption = None) -> None:
        """Decide a stream of posts with a progress bar; write NDJSON decisions and print a summary.

        A line that is not a valid post is reported in the output as an error and skipped."""
        engine = open_engine(db, policy, follow)
        lines = read_text(source).splitlines()
        verdicts: Counter[str] = Counter()
        errors = 0
        console = Console(stderr=True)
        with out.open("w", encoding="utf-8") as sink, Progress(
            TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        ) as progress:
            task = progress.add_task("scan", total=len(lines))
            for number, line in enumerate(lines, 1):
                progress.advance(task)
                if not line.strip():
                    continue
                where = f"line {number}"
                try:
                    post = parse_post(parse_json(line, where), where)
                    decision = engine.ingest(post, actor="cli:scan", budget_s=budget) if ingest else \
                        engine.check(post, budget_s=budget)
                except InvalidInput as exc:
                    errors += 1
                    sink.write(json.dumps({"line": number, "error": exc.to_dict()}, ensure_ascii=False) + "\n")
                    continue
                verdicts[decision.verdict.value] += 1
                sink.write(decision.model_dump_json() + "\n")
        table = Table(title=f"{sum(verdicts.values())} posts decided under {engine.policy.label}")
        table.add_column("verdict")
        table.add_column("posts", justify="right")
        for verdict in ("allow", "label", "restrict", "remove"):
            table.add_row(verdict, str(verdicts.get(verdict, 0)))
        if errors:
            table.add_row("invalid lines", str(errors))
        Console().print(table)
        typer.echo(f"decisions written to {out}")

    @app.command()
    def serve(db: DbOption = None, policy: PolicyOption = None, follow: FollowOption = True,
              host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
              port: Annotated[int, typer.Option(help="Port to listen on")] = 8000) -> None:
        """Serve the HTTP API (OpenAPI docs at /docs)."""
        import uvicorn

        from leakwarden.service.app import create_app

        uvicorn.run(create_app(open_engine(db, policy, follow)), host=host, port=port, log_level="warning")

    @app.command()
    def demo(db: Annotated[Path, typer.Option("--db", help="SQLite file for platform A (B gets a sibling)")] = Path(
                 "var/demo.db")) -> None:
        """Replay the bundled, fictional hack-and-leak case on two platforms (strict, share-block)."""
        from leakwarden.demo.replay import replay

        replay(db)

    @app.command("canonicalize")
    def canonicalize_command(url: Annotated[str, typer.Argument(help="A URL")]) -> None:
        """Print the canonical form of a URL (Safe Browsing canonicalization)."""
        typer.echo(canonicalize(url))
