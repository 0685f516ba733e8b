"""A story for the even-handedness report, built the way a platform builds it (the library, and the
CLI for rules and requests), over the casework stand-ins (``e2e.casework``):

- the same doxxing dossier (a home address and a partial SSN) posted by ``troll`` and ``troll2``;
  a moderator overturns the decision on ``troll2``'s post: like cases, unlike outcomes;
- two posts linking a blocked mirror, by ``blogger`` under the strict policy and by ``fan`` under the
  share-block policy: like cases (the same URL rule), unlike outcomes;
- ``journo`` links a newsletter; a campaign asks (3 hours earlier) to remove the links and ban the
  journalist; a moderator marks the newsletter as a source of hacked material and applies it to
  stored posts: the post is removed and ``journo`` suspended, not banned;
- afterwards a government asks for a post that is already removed to be removed.

Imported as ``e2e.consistency_story`` by tests/test_consistency*.py and tests/e2e/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from e2e.casework import casework_engine, doxx_post
from sqlalchemy import select

from leakwarden.audit import requests as outside
from leakwarden.cli import main
from leakwarden.enforcement import review
from leakwarden.engine import Engine
from leakwarden.model import Post, utcnow
from leakwarden.service.auth import Principal
from leakwarden.store.tables import CaseRow, Meta

NEWSLETTER = "https://substack.example/p/files"
OVERTURN_NOTE = "newsworthy: the address is the campaign's office"
ALICE = Principal("mod:alice", "moderator")

#: Runs one CLI command (``leakwarden ARGS --db URL``) and returns its exit code.
Cli = Callable[..., int]


def run_cli(db_url: str, *args: str) -> int:
    """``leakwarden ARGS --db URL`` in this process; its exit code."""
    try:
        main([*args, "--db", db_url])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def build_story(db_url: str, cli: Cli | None = None) -> Engine:
    """The story in a database (``cli``: how to run a CLI command; by default ``run_cli``)."""
    engine = casework_engine(db_url)
    cli = cli or (lambda *args: run_cli(db_url, *args))
    engine.ingest(doxx_post("p-doxx-1", "troll"))
    engine.ingest(doxx_post("p-doxx-2", "troll2"))
    assert cli("rules", "add", "--domain", "mirror.example", "--reason", "mirror of the dossier",
               "--by", "mod:alice") == 0
    engine.rules.refresh(force=True)  # another process added it: seen at once, not at the next poll
    engine.ingest(Post(id="p-mirror-1", author="blogger", text="files at https://mirror.example/files"))
    engine.with_policy("share-block").ingest(
        Post(id="p-mirror-2", author="fan", text="also https://mirror.example/files?page=2"))
    engine.ingest(Post(id="p-journo", author="journo", text=f"My newsletter: {NEWSLETTER}"))
    outside.record(engine.db, outside.OutsideRequest(
        kind="campaign", requester="Trump campaign",
        asked="Remove the links to the hacked files and ban the journalist who posted them",
        concerns=outside.Concerns(urls=[NEWSLETTER], accounts=["journo"]), outcome="rejected",
        done="the platform says it acted on its own", received_at=utcnow() - timedelta(hours=3)), "mod:bob")
    with engine.db.session() as s:
        version = s.get_one(Meta, "rules_version").value
    assert cli("rules", "add", "--domain", "substack.example", "--reason", "hosts the hacked dossier", "--source",
               "--by", "mod:bob") == 0
    redecided = list(engine.retro_rules(version))  # what `rules apply --retro` does, with the stand-ins
    assert [d.post_id for d in redecided] == ["p-journo"]
    with engine.db.session() as s:
        case = s.scalars(select(CaseRow.id).where(CaseRow.post_id == "p-doxx-2")).one()
        review.overturn(s, case, ALICE, OVERTURN_NOTE)
    assert cli("requests", "add", "--kind", "government", "--from", "Ministry of Interior",
               "--asked", "Take down post p-doxx-1", "--post", "p-doxx-1", "--outcome", "complied") == 0
    return engine
