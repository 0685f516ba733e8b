"""``leakwarden users``: create (password from stdin or a prompt), list, passwd, disable."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from leakwarden.cli import console
from leakwarden.errors import LeakwardenError
from leakwarden.service.console import users
from leakwarden.store.db import Database

pytestmark = pytest.mark.usefixtures("cheap_argon2")


@pytest.fixture(autouse=True)
def _database(db_url: str) -> None:
    """The CLI opens only a database that exists (``leakwarden init``)."""
    Database(db_url).dispose()


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    console.register(app)
    return app


def test_create_list_login_disable(app: typer.Typer, db_url: str) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["users", "create", "alice", "--role", "moderator", "--password-stdin", "--db", db_url],
                         input="a long password\n")
    assert made.exit_code == 0, made.output
    listed = runner.invoke(app, ["users", "list", "--db", db_url])
    assert json.loads(listed.output)[0] | {"created_at": ""} == {"name": "alice", "role": "moderator",
                                                                   "created_at": "", "disabled": False}
    _, session = users.log_in(Database(db_url), "alice", "a long password")
    assert session.principal.role == "moderator"
    prompted = runner.invoke(app, ["users", "passwd", "alice", "--db", db_url],
                             input="another long one\nanother long one\n")
    assert prompted.exit_code == 0, prompted.output
    users.log_in(Database(db_url), "alice", "another long one")
    assert runner.invoke(app, ["users", "disable", "alice", "--db", db_url]).exit_code == 0
    with pytest.raises(LeakwardenError):
        users.log_in(Database(db_url), "alice", "another long one")


@pytest.mark.parametrize("args,stdin,code", [
    (["alice", "--role", "viewer"], "a long password\n", "invalid_role"),
    (["alice"], "short\n", "weak_password"),
    (["alice"], "\n", "weak_password"),
    (["al/ice"], "a long password\n", "invalid_user"),
])
def test_bad_input_is_a_clear_error(app: typer.Typer, db_url: str, args: list[str], stdin: str, code: str) -> None:
    result = CliRunner().invoke(app, ["users", "create", *args, "--password-stdin", "--db", db_url], input=stdin)
    assert isinstance(result.exception, LeakwardenError) and result.exception.code == code


def test_a_name_is_taken_once(app: typer.Typer, db_url: str) -> None:
    runner = CliRunner()
    args = ["users", "create", "bob", "--password-stdin", "--db", db_url]
    assert runner.invoke(app, args, input="a long password\n").exit_code == 0
    again = runner.invoke(app, args, input="a long password\n")
    assert isinstance(again.exception, LeakwardenError) and again.exception.code == "user_exists"
