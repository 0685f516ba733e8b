"""What every CLI command shares: options, opening the engine, reading input, failing cleanly."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from leakwarden.errors import InvalidInput
from leakwarden.store.db import Database, NoDatabase

DbOption = Annotated[str | None, typer.Option("--db", envvar="LEAKWARDEN_DATABASE_URL",
                                              help="Database URL or SQLite path (default: leakwarden.db)")]
CreateOption = Annotated[bool, typer.Option(
    "--create", help="Create the SQLite database if it does not exist (else run `leakwarden init` first)")]
PolicyOption = Annotated[str | None, typer.Option("--policy", envvar="LEAKWARDEN_POLICY",
                                                  help="Policy preset name or TOML/YAML file (default: strict)")]


def open_db(db: str | None, create: bool = False) -> Database:
    """The database named by ``--db``. A SQLite file that does not exist is refused (a mistyped
    path must not silently become a new, empty database) unless ``create``."""
    try:
        return Database(db, create=create)
    except NoDatabase as exc:
        raise InvalidInput(f"{exc.message}: create it with `leakwarden init --db {exc.path}` or add --create",
                           code=exc.code) from None


def read_text(source: str) -> str:
    """The contents of FILE, or of stdin for ``-``."""
    if source == "-":
        try:
            return sys.stdin.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read standard input ({exc.__class__.__name__})",
                               code="unreadable_input") from None
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{source}: no such file", code="file_not_found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{source}: cannot read it ({exc.__class__.__name__})", code="unreadable_file") from None


def read_bytes(source: str) -> bytes:
    """The raw contents of FILE, or of stdin for ``-`` (for input read line by line)."""
    try:
        if source == "-":
            return sys.stdin.buffer.read()
        return Path(source).read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{source}: no such file", code="file_not_found") from None
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read it ({exc.__class__.__name__})", code="unreadable_file") from None


def decode_line(raw: bytes, where: str, *, first: bool = False) -> str:
    """One line of a JSON Lines file as text; a byte-order mark is allowed on the first."""
    try:
        return raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{where}: not valid UTF-8 (byte {exc.start + 1})", code="invalid_utf8") from None


def parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                           code="malformed_json") from None
    except RecursionError:
        raise InvalidInput(f"{where}: JSON nested too deeply", code="too_deep") from None


def validation_message(exc: ValidationError, where: str) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {field}: {first['msg']}"


def echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
