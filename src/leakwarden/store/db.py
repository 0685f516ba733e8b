"""The database: SQLite by default, PostgreSQL by URL. Schema changes go through Alembic.

Each module owns its tables (``store.tables`` for the core; ``signals.bank.tables`` for banks...),
all on one ``Base.metadata``. Migrations live in ``store/migrations/versions``; each module's
migrations form their own Alembic branch, and :meth:`Database.migrate` upgrades to all heads.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, bindparam, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from leakwarden.blocking import may_block
from leakwarden.errors import InvalidInput, NotFound

DEFAULT_URL = "sqlite:///leakwarden.db"
MIGRATIONS = Path(__file__).parent / "migrations"
POSTGRES_EXTRA = "pip install 'leakwarden[postgres]'"
_MIGRATION_LOCK = 0x6C6B7764  # a PostgreSQL advisory lock: one process migrates at a time


class Base(DeclarativeBase):
    pass


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``LEAKWARDEN_DATABASE_URL``, else ``leakwarden.db``.

    A plain path (``var/x.db``) means a SQLite file; ``postgresql://`` uses psycopg 3.
    """
    url = url or os.environ.get("LEAKWARDEN_DATABASE_URL") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for anything else (PostgreSQL, in-memory, ``file:`` URIs)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


class NoDatabase(NotFound):
    """A SQLite file that does not exist, where creating one was not asked for."""

    code = "no_database"

    def __init__(self, path: Path) -> None:
        super().__init__(f"no database at {path}", path=str(path))
        self.path = path


def insert_or_keep(session: Session, table: Any, rows: list[dict[str, Any]], key: str) -> None:
    """Insert ``rows`` into ``table`` (a mapped class or a Table), each row with the same keys; a row
    whose ``key`` is stored already (or is inserted by a concurrent writer) is kept as it is, without
    an error. One prepared statement, built once per table (a statement with the rows' values in it
    is compiled anew each time: 0.8 ms of an Akismet comment-check)."""
    if rows:
        session.execute(_insert_or_keep(session.get_bind().dialect.name, getattr(table, "__table__", table), key,
                                        tuple(rows[0])), rows)


@functools.lru_cache(maxsize=64)
def _insert_or_keep(dialect: str, table: Table, key: str, columns: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values({c: bindparam(c) for c in columns}).on_conflict_do_nothing(index_elements=[key])


def _short(exc: BaseException) -> str:
    """The first line of a driver's message (it names what failed; never the password)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return (lines[0] if lines else type(orig).__name__)[:300]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """An engine and a session factory. ``with db.session() as s:`` commits or rolls back whole."""

    def __init__(self, url: str | None = None, *, migrate: bool = True, create: bool = True) -> None:
        """``create=False`` refuses a SQLite file that does not exist yet (:class:`NoDatabase`)
        instead of creating it and its folders. Errors a user can cause (a missing driver, a URL
        nobody can open) are :class:`~leakwarden.errors.InvalidInput` with one readable line."""
        self.url = database_url(url)
        try:
            parsed = make_url(self.url)
        except (ArgumentError, ValueError):
            raise InvalidInput("the database URL is not valid (expected a SQLite path or postgresql://...)",
                               code="invalid_database_url") from None
        shown = parsed.render_as_string(hide_password=True)
        kwargs: dict[str, Any] = {"future": True}
        path = sqlite_file(self.url)
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False}
            if path is not None and not path.exists():
                if not create:
                    raise NoDatabase(path)
                path.parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(self.url, **kwargs)
        except ImportError as exc:
            if parsed.get_backend_name() == "postgresql":
                raise InvalidInput(f"PostgreSQL needs the postgres extra: {POSTGRES_EXTRA}",
                                   code="missing_extra") from None
            raise InvalidInput(f"no driver for {parsed.drivername} ({exc.name or exc})",
                               code="invalid_database_url") from None
        except ArgumentError:
            raise InvalidInput(f"unsupported database URL {shown!r}: use a SQLite path or postgresql://...",
                               code="invalid_database_url") from None
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            try:
                self.migrate()
            except DBAPIError as exc:
                self.engine.dispose()
                raise InvalidInput(f"cannot open the database {shown}: {_short(exc)}",
                                   code="database_unavailable") from None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest version of every module (``alembic upgrade heads``)."""
        from alembic import command
        from alembic.config import Config

        import leakwarden.store.tables  # noqa: F401  (register the models)

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("path_separator", "os")
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # processes starting together migrate in turn
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")

    @contextmanager
    def session(self) -> Iterator[Session]:
        may_block("database")  # a pool checkout can wait: never on an event loop
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
