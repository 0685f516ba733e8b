"""What the intake tests share: an engine that blocks one domain, posts, dead letters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from leakwarden.engine import Engine
from leakwarden.intake.broker import DeadLetter, run_on
from leakwarden.model import Post

BLOCKED = "https://leaks.example/dump"


def blocking_engine(db_url: str, **kwargs: Any) -> Engine:
    engine = Engine(db_url, detectors=[], **kwargs)
    engine.rules.add("domain", "leaks.example", "block", "hacked material", "test", source=True, check_host=False)
    return engine


def posts(n: int, prefix: str = "p") -> list[Post]:
    """Every third post links to blocked material: removed, a strike for its author."""
    return [Post(id=f"{prefix}{i}", author=f"a{i % 7}",
                 text=f"post {i}" + (f" see {BLOCKED}/{i}" if i % 3 == 0 else "")) for i in range(n)]


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def dead_letters(url: str) -> list[DeadLetter]:
    return run_on(url, lambda broker: broker.dead_letters())
