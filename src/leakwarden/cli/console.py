"""Console users: ``leakwarden users create NAME --role moderator`` (password prompted, or read
from stdin with ``--password-stdin``), ``users list``, ``users passwd``, ``users disable``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from leakwarden.cli.common import CreateOption, DbOption, echo_json, open_db
from leakwarden.errors import InvalidInput

users_app = typer.Typer(help="Reviewer console users (argon2 passwords, the API's roles).", no_args_is_help=True)
StdinOption = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin")]


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise InvalidInput("no password given", code="weak_password")
    return password


@users_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[str, typer.Option("--role", help="submitter, moderator or admin")] = "moderator",
    password_stdin: StdinOption = False,
    db: DbOption = None, create: CreateOption = False,
) -> None:
    """Create a console user."""
    from leakwarden.service.console import users

    users.create_user(open_db(db, create), name, role, _password(password_stdin))
    typer.echo(f"user {name} created with the {role} role")


@users_app.command("passwd")
def passwd(name: Annotated[str, typer.Argument(help="Login name")], password_stdin: StdinOption = False,
           db: DbOption = None, create: CreateOption = False) -> None:
    """Set a user's password (logs out their sessions)."""
    from leakwarden.service.console import users

    users.set_password(open_db(db, create), name, _password(password_stdin))
    typer.echo(f"password of {name} changed")


@users_app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="Login name")], db: DbOption = None,
            create: CreateOption = False) -> None:
    """Disable a user (logs out their sessions)."""
    from leakwarden.service.console import users

    users.disable_user(open_db(db, create), name)
    typer.echo(f"user {name} disabled")


@users_app.command("list")
def list_users(db: DbOption = None, create: CreateOption = False) -> None:
    """List console users."""
    from leakwarden.service.console import users

    echo_json(users.list_users(open_db(db, create)))
