"""What the demo prints: nothing cut at 80 columns, and commands that can be pasted as printed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table

from leakwarden.demo.replay import PLATFORMS, Row, command_name, decisions_table
from leakwarden.demo.story import steps

CLAUSES = "hacked-material, source-of-hacked-material, dossier"


def rows() -> list[Row]:
    return [Row(step, {p: "remove" for p in PLATFORMS}, {p: CLAUSES for p in PLATFORMS}) for step in steps(8080)]


def render(table: Table, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width).print(table)
    return out.getvalue()


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_decisions_table_is_not_cut(width: int) -> None:
    text = render(decisions_table(rows()), width)
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= width
    # before: the same table without folding cut its cells ("hacked-mat…") at 80 columns
    plain = Table()
    for column in decisions_table([]).columns:
        plain.add_column(str(column.header))
    for row in rows():
        plain.add_row(row.step.note, str(row.step.post.get("id", "")),
                      *[x for p in PLATFORMS for x in (row.verdicts[p], row.clauses[p])])
    if width <= 80:
        assert render(plain, width).count("…") > 0


def test_command_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    script = venv / "leakwarden"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    table = [
        ("/usr/lib/python3/site-packages/leakwarden/__main__.py", "", "leakwarden"),  # python -m leakwarden
        (str(script), "", ".venv/bin/leakwarden"),  # make demo: not on the PATH
        (".venv/bin/leakwarden", "", ".venv/bin/leakwarden"),
        (str(script), str(venv), "leakwarden"),  # an activated venv
    ]
    for argv0, path, expected in table:
        monkeypatch.setenv("PATH", path)
        assert command_name(argv0) == expected, (argv0, path)
