"""The ``leakwarden`` command: the same core as the library and the HTTP API.

Errors a user can cause end with one readable line on stderr and exit code 2; nothing else may end
in a traceback.
"""

from __future__ import annotations

import logging
import sys

import typer
from pydantic import ValidationError

from leakwarden import logsetup
from leakwarden.cli import (
    bank,
    consistency,
    console,
    core,
    images,
    intake,
    links,
    manage,
    pii,
    policies,
    spam,
    webhooks,
)
from leakwarden.cli.common import validation_message
from leakwarden.errors import LeakwardenError

app = typer.Typer(name="leakwarden", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="Check posts, follow links, match leaked material, find private information, "
                       "enforce a written policy, and account for it.")
for _module in (core, links, pii, bank, images, manage, console, policies, webhooks, consistency, intake, spam):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    try:
        logsetup.configure()  # LEAKWARDEN_LOG_FORMAT=json: one JSON object per line
    except ValueError as exc:
        logging.basicConfig(level=logging.WARNING)
        typer.echo(f"error: LEAKWARDEN_LOG_FORMAT: {exc}", err=True)
        sys.exit(2)
    try:
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except LeakwardenError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    except ValidationError as exc:
        typer.echo(f"error: {validation_message(exc, 'input')}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except RecursionError:  # input nested deeper than any parser here follows (JSON, YAML, TOML)
        typer.echo("error: the input is nested too deeply", err=True)
        sys.exit(2)
    except Exception as exc:  # usage errors, and anything unforeseen: one line, no traceback
        message, exit_code = getattr(exc, "format_message", None), getattr(exc, "exit_code", None)
        if callable(message) and isinstance(exit_code, int):  # click's (or Typer's own copy of click's)
            text = " ".join(str(message()).split())
            if text:  # (the help shown for a bare command group has no message)
                typer.echo(f"error: {text}", err=True)
            sys.exit(exit_code)
        logging.getLogger("leakwarden.cli").error("unexpected %s", type(exc).__name__)
        typer.echo(f"error: unexpected {type(exc).__name__} (see the logs)", err=True)
        sys.exit(1)
