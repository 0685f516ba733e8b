"""``leakwarden bank ...``: banks of known leaked material (create, add, list, match, exchange)."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from leakwarden.cli.common import CreateOption, DbOption, PolicyOption, echo_json, open_db, read_text
from leakwarden.errors import InvalidInput
from leakwarden.signals.bank.repository import Banks
from leakwarden.signals.pii import atrest

bank_app = typer.Typer(help="Banks of known leaked material.", no_args_is_help=True)


def _banks(db: str | None, create: bool, embed: bool = True) -> Banks:
    return Banks(open_db(db, create), embed=embed)


@bank_app.command("create")
def create(name: str, label: Annotated[str, typer.Option("--label", help="Provenance label")],
           description: Annotated[str, typer.Option("--description")] = "", db: DbOption = None,
           create: CreateOption = False) -> None:
    """Create a bank."""
    echo_json(_banks(db, create, False).create(name, label, description).model_dump(mode="json"))


@bank_app.command("add")
def add(name: str,
        file: Annotated[str | None, typer.Argument(help="PDF, HTML or text file, or a URL")] = None,
        item_id: Annotated[str | None, typer.Option("--id")] = None,
        text_file: Annotated[str | None, typer.Option("--text-file", help="Raw text (- for stdin)")] = None,
        db: DbOption = None, create: CreateOption = False) -> None:
    """Add a KnownItem from a file, a URL or raw text."""
    banks = _banks(db, create)
    if text_file is not None:
        info = banks.add_text(name, read_text(text_file), item_id=item_id,
                              origin="" if text_file == "-" else Path(text_file).name)
    elif file is None:
        raise InvalidInput("give a FILE, a URL or --text-file")
    elif file.startswith(("http://", "https://")):
        info = banks.add_url(name, file, item_id=item_id)
    else:
        info = banks.add_file(name, file, item_id=item_id)
    echo_json(info.model_dump(mode="json"))


@bank_app.command("list")
def list_(name: Annotated[str | None, typer.Argument(help="A bank: list its items")] = None,
          db: DbOption = None, create: CreateOption = False) -> None:
    """List banks, or one bank's items."""
    banks = _banks(db, create, False)
    if name:
        echo_json([i.model_dump(mode="json") for i in banks.items(name)])
    else:
        echo_json([b.model_dump(mode="json") for b in banks.list_banks()])


@bank_app.command("disable")
def disable(name: str, item: str, db: DbOption = None, create: CreateOption = False) -> None:
    """Stop matching an item."""
    echo_json(_banks(db, create, False).disable(name, item).model_dump(mode="json"))


@bank_app.command("enable")
def enable(name: str, item: str, db: DbOption = None, create: CreateOption = False) -> None:
    """Match a disabled item again."""
    echo_json(_banks(db, create, False).enable(name, item).model_dump(mode="json"))


@bank_app.command("remove")
def remove(name: str, item: str, db: DbOption = None, create: CreateOption = False) -> None:
    """Delete an item and its signals."""
    echo_json(_banks(db, create, False).remove(name, item).model_dump(mode="json"))


@bank_app.command("match")
def match(source: Annotated[str | None, typer.Argument(help="Text file, or - for stdin")] = None,
          jsonl: Annotated[str | None, typer.Option("--jsonl", help='{"id","text"} per line')] = None,
          out: Annotated[str | None, typer.Option("--out", help="With --jsonl: output file")] = None,
          no_semantic: Annotated[bool, typer.Option("--no-semantic", help="Stages 1-3 only")] = False,
          db: DbOption = None, create: CreateOption = False) -> None:
    """Match a text (or every line of a JSONL file) against every enabled item."""
    from leakwarden.signals.bank.embed import embedder_from_env
    from leakwarden.signals.bank.index import BankIndex

    index = BankIndex(open_db(db, create), None if no_semantic else embedder_from_env())
    index.refresh(force=True)
    if jsonl is None:
        if source is None:
            raise InvalidInput("give a FILE, - for stdin, or --jsonl IN.jsonl")
        echo_json([atrest.masked_match(m.to_dict()) for m in index.match(read_text(source))])
        return
    sink = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
    try:
        for n, line in enumerate(read_text(jsonl).splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{jsonl}: line {n}: not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise InvalidInput(f"{jsonl}: line {n}: JSON nested too deeply", code="too_deep") from None
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise InvalidInput(f'{jsonl}: line {n}: expected {{"id", "text"}}')
            found = index.match(rec["text"], lang=rec.get("lang"))
            sink.write(json.dumps({"id": rec.get("id"), "matches": [atrest.masked_match(m.to_dict()) for m in found]},
                                  ensure_ascii=False) + "\n")
    finally:
        if out:
            sink.close()


@bank_app.command("export")
def export(name: str, out: str,
           embeddings: Annotated[bool, typer.Option("--embeddings", help="Include passage vectors")] = False,
           db: DbOption = None, create: CreateOption = False) -> None:
    """Export a bank's signals (no text) as JSON Lines."""
    from leakwarden.signals.bank.exchange import export_bank

    n = -1
    with open(out, "w", encoding="utf-8") as fh:
        for rec in export_bank(_banks(db, create, False), name, embeddings=embeddings):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    echo_json({"bank": name, "items": n, "file": out})


@bank_app.command("import")
def import_(file: str, bank: Annotated[str | None, typer.Option("--bank")] = None,
            db: DbOption = None, create: CreateOption = False) -> None:
    """Import another platform's exported bank file."""
    from leakwarden.signals.bank.exchange import import_lines

    lines = read_text(file).splitlines()
    try:
        result = import_lines(_banks(db, create, False), lines, bank=bank)
    except RecursionError:
        raise InvalidInput(f"{file}: JSON nested too deeply", code="too_deep") from None
    echo_json(result)


@bank_app.command("scan")
def scan(since: Annotated[str, typer.Option("--since", help="How far back: 7d, 12h, 30m...")] = "7d",
         db: DbOption = None, create: CreateOption = False, policy: PolicyOption = None) -> None:
    """Check posts stored in the window again (against items added since), and enforce the policy."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from leakwarden.engine import Engine
    from leakwarden.model import utcnow
    from leakwarden.policy.schema import parse_duration

    try:
        window = timedelta(seconds=parse_duration(since))
    except ValueError as exc:
        raise InvalidInput(f"--since: {exc}", code="invalid_duration") from None
    engine = Engine(open_db(db, create), policy=policy)
    changed: list[str] = []
    with Progress(TextColumn("[bold]re-checking"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True)) as progress:
        task = progress.add_task("scan", total=None)
        for decision in engine.rescan(utcnow() - window,
                                      progress=lambda done, total: progress.update(task, completed=done, total=total)):
            if any(r.signal == "bank" for r in decision.reasons):
                changed.append(decision.post_id)
    typer.echo(f"{len(changed)} stored post(s) match known material: {', '.join(changed) or 'none'}")


def register(app: typer.Typer) -> None:
    """Mount ``bank`` on the main CLI."""
    app.add_typer(bank_app, name="bank")
