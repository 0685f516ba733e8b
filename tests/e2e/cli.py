"""Running the ``leakwarden`` command in the test's process: exit code, stdout, stderr."""

from __future__ import annotations

import pytest

from leakwarden.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
