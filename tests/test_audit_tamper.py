"""Every tampering drill (``leakwarden.audit.drill``): caught with a checkpoint, always; by plain
``audit verify`` too, except the cases that say why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from leakwarden.audit import drill


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> drill.Scene:
    return drill.prepare(tmp_path_factory.mktemp("tamper"))


def test_the_untouched_database_verifies_both_ways(scene: drill.Scene, tmp_path: Path) -> None:
    outcome = drill.run(drill.Case("untouched", lambda conn, scene: None), scene, tmp_path)
    assert outcome.plain.ok and outcome.anchored.ok, (outcome.plain, outcome.anchored)
    assert outcome.anchored.checkpoint == scene.checkpoint.size


def test_at_least_the_issues_cases_are_drilled() -> None:
    assert len(drill.CASES) >= 22 and len({c.name for c in drill.CASES}) == len(drill.CASES)


@pytest.mark.parametrize("case", drill.CASES, ids=[c.name for c in drill.CASES])
def test_tampering_is_caught(case: drill.Case, scene: drill.Scene, tmp_path: Path) -> None:
    outcome = drill.run(case, scene, tmp_path)
    assert not outcome.anchored.ok and outcome.anchored.problem
    assert outcome.plain.ok is bool(case.plain_misses), outcome.plain.problem
