"""The bundled scenario, end to end: post → page → PDF, two platforms, two stances."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from leakwarden.demo.replay import replay
from leakwarden.enforcement.standing import standing_of
from leakwarden.model import StandingState
from leakwarden.store.db import Database


def test_demo_tells_the_story(tmp_path: Path) -> None:
    console = Console(file=open(tmp_path / "out.txt", "w"), width=200)  # noqa: SIM115
    rows = replay(tmp_path / "demo.db", console)
    by_post = {str(r.step.post.get("id")): r for r in rows if r.step.kind == "post"}
    assert by_post["a1"].verdicts == {"A": "allow", "B": "allow"}
    # the journalist's link leads to a page that leads to the PDF dossier: found through the chain
    assert by_post["a2"].verdicts == {"A": "remove", "B": "restrict"}
    assert "dossier" in by_post["a2"].clauses["A"]
    assert by_post["a3"].verdicts["A"] == "remove"  # through the shortener
    for post_id in ("a4", "a5", "a6"):  # quote, Arabic translation, rewrite
        assert "hacked-material" in by_post[post_id].clauses["A"], post_id
    assert by_post["a8"].verdicts == {"A": "allow", "B": "allow"}
    with Database(str(tmp_path / "demo.db")).session() as a, \
            Database(str(tmp_path / "demo-share-block.db")).session() as b:
        assert standing_of(a, "journo_mike").state is StandingState.BANNED
        assert standing_of(a, "early_bird").state is StandingState.GOOD  # reinstated by a moderator
        assert standing_of(a, "doxxer").state is StandingState.SUSPENDED
        assert all(standing_of(b, acc).state is StandingState.GOOD for acc in ("journo_mike", "doxxer"))
    text = (tmp_path / "out.txt").read_text()
    assert "audit log intact" in text and "BROKEN" not in text
