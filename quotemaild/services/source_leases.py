"""Which instance polls an IMAP source: a lease per source, renewed by its holder.

Several instances share one database and each runs an IMAP supervisor. Two pollers on one folder
would fetch the same mail twice and fight over `last_uid`, so a source is polled only by the
instance whose lease on it is current. The holder renews the lease on every rescan
(`imap.rescan`, well inside `LEASE`); an instance that dies stops renewing, its lease runs out,
and the next rescan of another instance takes the source over (within LEASE + one rescan,
under a minute). A holder that stops cleanly gives its leases back for an immediate takeover.

Every step is one conditional UPDATE, so two instances can never both believe they hold a source,
on PostgreSQL and on SQLite alike. Lease times are the instances' clocks: keep them in sync (NTP).
The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from quotemaild.store.models import ImapSource

LEASE = dt.timedelta(seconds=30)


def take_or_renew(session: Session, source_id: int, holder: str, now: dt.datetime, lease: dt.timedelta = LEASE) -> bool:
    """Hold `source_id` until now + lease if it is free, ours, or its lease ran out."""
    done = session.execute(
        update(ImapSource)
        .where(
            ImapSource.id == source_id,
            or_(ImapSource.lease_holder.is_(None), ImapSource.lease_holder == holder, ImapSource.lease_until < now),
        )
        .values(lease_holder=holder, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0) == 1)


def release(session: Session, holder: str, source_ids: list[int] | None = None) -> None:
    """Give back the leases of `holder` (all of them, or those of `source_ids`)."""
    query = update(ImapSource).where(ImapSource.lease_holder == holder)
    if source_ids is not None:
        query = query.where(ImapSource.id.in_(source_ids))
    session.execute(query.values(lease_holder=None, lease_until=None).execution_options(synchronize_session=False))


def release_all(session: Session) -> None:
    """Forget every lease (SQLite: the one daemon starting on the file is the only poller)."""
    session.execute(update(ImapSource).values(lease_holder=None, lease_until=None).execution_options(synchronize_session=False))
