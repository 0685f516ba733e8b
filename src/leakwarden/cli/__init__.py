"""The ``leakwarden`` command: the same core as the library and the HTTP API.

Errors a user can cause end with one readable line on stderr and exit code 2; nothing else may end
in a traceback.
"""

from __future__ import annotations

import logging
import sys

import typer
from pydantic import ValidationError

from leakwarden.cli import bank, console, core, links, manage, pii
from leakwarden.cli.common import validation_message
from leakwarden.errors import LeakwardenError

app = typer.Typer(name="leakwarden", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="Check posts, follow links, match leaked material, find private information, "
                       "enforce a written policy, and account for it.")
for _module in (core, links, pii, bank, manage, console):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
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
    except Exception as exc:  # click's usage errors, and anything unforeseen: one line, no traceback
        import click

        if isinstance(exc, click.ClickException):
            typer.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        typer.echo(f"error: unexpected {type(exc).__name__} (see the logs)", err=True)
        sys.exit(1)
