"""An account's standing, computed from its sanctions and strikes (never stored, so it cannot drift).

A suspension lifts itself when its time comes: standing is read at a moment, and a suspension whose
``until`` has passed no longer counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leakwarden.model import Standing, StandingState, utcnow
from leakwarden.store.db import insert_or_keep
from leakwarden.store.tables import Account, Sanction, Strike


def aware(at: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; all stored times are UTC."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def ensure_account(session: Session, account: str, *, lock: bool = False) -> Account:
    """The account's row, made if new. ``lock``: hold its row lock (PostgreSQL) until commit, so
    that writers counting and adding the same account's strikes do so in turn."""
    row = session.get(Account, account, with_for_update=lock, populate_existing=lock)
    if row is None:
        row = Account(id=account, created_at=utcnow(), limited=False, cleared_evidence=[])
        session.add(row)
        session.flush()
    return row


def ensure_accounts(session: Session, accounts: Iterable[str]) -> None:
    """Make every account that is new, in two statements whatever their number. Writers racing to
    make the same account do not fail: the one that comes second finds it made. Rows are made in
    id order, so that two batches that make the same accounts wait for each other in turn."""
    wanted = sorted(set(accounts))
    if not wanted:
        return
    known = set(session.scalars(select(Account.id).where(Account.id.in_(wanted))))
    missing = [a for a in wanted if a not in known]
    if not missing:
        return
    now = utcnow()
    insert_or_keep(session, Account, [{"id": a, "created_at": now, "limited": False, "cleared_evidence": []}
                                      for a in missing], key="id")


def active_strikes(session: Session, account: str, now: datetime | None = None) -> int:
    now = now or utcnow()
    return int(session.scalar(
        select(func.count()).select_from(Strike).where(
            Strike.account == account, Strike.removed_at.is_(None), Strike.expires_at > now)
    ) or 0)


def active_sanctions(session: Session, account: str, now: datetime | None = None) -> list[Sanction]:
    now = now or utcnow()
    rows = session.scalars(select(Sanction).where(Sanction.account == account, Sanction.lifted_at.is_(None)))
    result = []
    for row in rows:
        until = aware(row.until)
        if row.kind == "ban" or (until is not None and until > now):
            result.append(row)
    return result


def standing_of(session: Session, account: str, now: datetime | None = None) -> Standing:
    now = now or utcnow()
    row = session.get(Account, account)
    strikes = active_strikes(session, account, now)
    sanctions = active_sanctions(session, account, now)
    reinstated = row is not None and row.reinstated_at is not None
    if any(s.kind == "ban" for s in sanctions):
        return Standing(account=account, state=StandingState.BANNED, active_strikes=strikes,
                        reinstated=reinstated)
    if sanctions:
        until = max(aware(s.until) or now for s in sanctions)
        return Standing(account=account, state=StandingState.SUSPENDED, until=until, active_strikes=strikes,
                        reinstated=reinstated)
    if row is not None and row.limited:
        return Standing(account=account, state=StandingState.LIMITED, active_strikes=strikes,
                        reinstated=reinstated)
    return Standing(account=account, state=StandingState.GOOD, active_strikes=strikes, reinstated=reinstated)
