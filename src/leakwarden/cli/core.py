"""Deciding: check, scan, serve, canonicalize."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from leakwarden.cli.common import (
    CreateOption,
    DbOption,
    PolicyOption,
    decode_line,
    echo_json,
    open_db,
    parse_json,
    read_bytes,
    read_text,
    validation_message,
)
from leakwarden.engine import Engine
from leakwarden.errors import InvalidInput, LeakwardenError
from leakwarden.links.url import canonicalize
from leakwarden.model import Post
from leakwarden.store.db import Database, database_url, sqlite_file

log = logging.getLogger("leakwarden.cli")
FollowOption = Annotated[bool, typer.Option("--follow/--no-follow",
                                            help="Follow links to pages and documents (default: on)")]
BudgetOption = Annotated[float | None, typer.Option("--budget", min=0, help="Seconds to spend following links")]


def follow_default() -> bool:
    return os.environ.get("LEAKWARDEN_FOLLOW_LINKS", "1").lower() not in ("0", "false", "no")


def open_engine(db: str | None, policy: str | None, follow: bool = True, create: bool = False) -> Engine:
    expander = None
    if follow and follow_default():
        from leakwarden.links.chain import shared_expander

        expander = shared_expander()
    return Engine(open_db(db, create), policy=policy, expander=expander)


def parse_post(value: object, where: str) -> Post:
    try:
        return Post.model_validate(value)
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc, where), code="invalid_post") from None


def register(app: typer.Typer) -> None:
    @app.command()
    def check(source: Annotated[str, typer.Argument(help="A post as JSON: a file, or - for stdin")],
              db: DbOption = None, create: CreateOption = False, policy: PolicyOption = None,
              follow: FollowOption = True,
              budget: BudgetOption = None) -> None:
        """Decide one post and print the Decision as JSON (stores nothing)."""
        engine = open_engine(db, policy, follow, create)
        post = parse_post(parse_json(read_text(source), source), source)
        decision = engine.check(post, budget_s=budget)
        echo_json(decision.model_dump(mode="json"))

    @app.command()
    def scan(source: Annotated[str, typer.Argument(help="Posts as JSON Lines: a file, or - for stdin")],
             out: Annotated[Path, typer.Option("--out", "-o", help="Where to write NDJSON decisions")] = Path(
                 "decisions.ndjson"),
             ingest: Annotated[bool, typer.Option("--ingest", help="Also enforce and record each post")] = False,
             db: DbOption = None, create: CreateOption = False, policy: PolicyOption = None,
             follow: FollowOption = True,
             budget: BudgetOption = None) -> None:
        """Decide a stream of posts with a progress bar; write NDJSON decisions and print a summary.

        A line that is not a valid post (not UTF-8, not JSON, not a post; or a post id already
        ingested with other content) is written to the output as {"line", "error"} and skipped;
        the rest is processed, and the command then exits 2 naming the invalid lines."""
        engine = open_engine(db, policy, follow, create)
        lines = read_bytes(source).splitlines()
        verdicts: Counter[str] = Counter()
        invalid: list[int] = []
        console = Console(stderr=True)
        try:
            sink = out.open("w", encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"{out}: cannot write it ({exc.strerror or type(exc).__name__})",
                               code="unwritable_output") from None
        with sink, Progress(
            TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        ) as progress:
            task = progress.add_task("scan", total=len(lines))
            for number, raw in enumerate(lines, 1):
                progress.advance(task)
                if not raw.strip():
                    continue
                where = f"line {number}"
                try:
                    post = parse_post(parse_json(decode_line(raw, where, first=number == 1), where), where)
                    decision = engine.ingest(post, actor="cli:scan", budget_s=budget) if ingest else \
                        engine.check(post, budget_s=budget)
                except LeakwardenError as exc:
                    invalid.append(number)
                    sink.write(json.dumps({"line": number, "error": exc.to_dict()}, ensure_ascii=False) + "\n")
                    continue
                except Exception as exc:  # a bug must not cost the rest of the stream; the type only
                    log.error("scan: line %d failed: %s", number, type(exc).__name__)
                    invalid.append(number)
                    sink.write(json.dumps({"line": number, "error": {
                        "code": "internal", "message": f"unexpected {type(exc).__name__}"}}) + "\n")
                    continue
                verdicts[decision.verdict.value] += 1
                sink.write(decision.model_dump_json() + "\n")
        table = Table(title=f"{sum(verdicts.values())} posts decided under {engine.policy.label}")
        table.add_column("verdict")
        table.add_column("posts", justify="right")
        for verdict in ("allow", "label", "restrict", "remove"):
            table.add_row(verdict, str(verdicts.get(verdict, 0)))
        if invalid:
            table.add_row("invalid lines", str(len(invalid)))
        Console().print(table)
        typer.echo(f"decisions written to {out}")
        if invalid:
            shown = ", ".join(str(n) for n in invalid[:10]) + (", ..." if len(invalid) > 10 else "")
            typer.echo(f"error: {len(invalid)} invalid line(s) skipped (line {shown}); "
                       f"the errors are in {out}", err=True)
            raise typer.Exit(2)

    @app.command()
    def serve(db: DbOption = None, create: CreateOption = False, policy: PolicyOption = None,
              follow: FollowOption = True,
              host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
              port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free one)")] = 8000,
              workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
              access_log: Annotated[bool, typer.Option(
                  "--access-log/--no-access-log", envvar="LEAKWARDEN_ACCESS_LOG",
                  help="Log each request: method, route template, status, time (default: off)")] = False,
              log_format: Annotated[str | None, typer.Option(
                  "--log-format", envvar="LEAKWARDEN_LOG_FORMAT", help="text (default) or json")] = None,
              oidc_issuer: Annotated[str | None, typer.Option(
                  help="Console single sign-on: the OIDC provider's issuer URL (https)")] = None,
              oidc_client_id: Annotated[str | None, typer.Option(help="The console's OIDC client id")] = None,
              oidc_client_secret_file: Annotated[str | None, typer.Option(
                  help="A file holding the OIDC client secret")] = None,
              oidc_role: Annotated[list[str] | None, typer.Option(
                  help="Who may enter, as what (repeat): @DOMAIN=ROLE (verified e-mail) or CLAIM:VALUE=ROLE")] = None,
              password_login: Annotated[bool | None, typer.Option(
                  "--password-login/--no-password-login", help="Console password logins (default: on)")] = None,
              ) -> None:
        """Serve the HTTP API (OpenAPI docs at /docs, Prometheus metrics at /metrics) and the console."""
        from leakwarden.cli.serve import run_server, sso_environment

        sso_environment(oidc_issuer, oidc_client_id, oidc_client_secret_file, oidc_role, password_login)
        run_server(db=db, create=create, policy=policy, follow=follow, host=host, port=port, workers=workers,
                   access_log=access_log, log_format=log_format)

    @app.command()
    def init(db: DbOption = None) -> None:
        """Create the database (a SQLite file, or the tables in an empty PostgreSQL database) or bring
        its schema up to date. Other commands refuse a SQLite file that does not exist."""
        path = sqlite_file(database_url(db))
        existed = path is None or path.exists()
        database = Database(db, create=True)
        shown = database.engine.url.render_as_string(hide_password=True)
        database.dispose()
        typer.echo(f"{'schema up to date' if existed else 'created'}: {shown}")

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
