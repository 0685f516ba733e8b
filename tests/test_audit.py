"""The audit log is hash-chained, persisted, and any edit is caught."""

from __future__ import annotations

from sqlalchemy import delete, update

from leakwarden.audit import log as audit
from leakwarden.engine import Engine
from leakwarden.model import Post
from leakwarden.store.tables import AuditEventRow


def busy_engine(url: str) -> Engine:
    engine = Engine(url, detectors=[])
    engine.rules.add("domain", "newsletter.example", "block", "source", "mod", source=True)
    for i in range(3):
        engine.ingest(Post(id=f"p{i}", author="a", text=f"https://newsletter.example/{i}"))
    return engine


def test_chain_verifies_after_real_work(any_db_url: str) -> None:
    engine = busy_engine(any_db_url)
    with engine.db.session() as s:
        result = audit.verify(s)
        kinds = {e.kind for e in audit.events(s)}
    assert result.ok and result.checked > 10
    assert {"policy.loaded", "rule.added", "decision", "action.applied"} <= kinds


def test_an_edited_row_is_caught(any_db_url: str) -> None:
    engine = busy_engine(any_db_url)
    with engine.db.session() as s:
        s.execute(update(AuditEventRow).where(AuditEventRow.seq == 5).values(actor="someone-else"))
    with engine.db.session() as s:
        result = audit.verify(s)
    assert not result.ok and result.first_broken == 5 and "content" in (result.problem or "")


def test_a_deleted_row_is_caught(any_db_url: str) -> None:
    engine = busy_engine(any_db_url)
    with engine.db.session() as s:
        s.execute(delete(AuditEventRow).where(AuditEventRow.seq == 4))
    with engine.db.session() as s:
        result = audit.verify(s)
    assert not result.ok and result.first_broken == 4


def test_a_truncated_tail_is_caught(db_url: str) -> None:
    engine = busy_engine(db_url)
    with engine.db.session() as s:
        last = max(e.seq for e in audit.events(s))
        s.execute(delete(AuditEventRow).where(AuditEventRow.seq == last))
    with engine.db.session() as s:
        assert not audit.verify(s).ok


def test_the_log_survives_reopening(db_url: str) -> None:
    busy_engine(db_url).db.dispose()
    reopened = Engine(db_url, detectors=[])
    with reopened.db.session() as s:
        assert audit.verify(s).ok
        assert sum(1 for e in audit.events(s, kind="decision")) == 3
