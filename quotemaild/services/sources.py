"""IMAP sources: add, list, remove, and the progress/health bookkeeping of the IMAP worker.

The caller owns the transaction. No secret is ever stored: a source names a password file (read
by the worker at connect time) or a command that prints an OAuth2 access token (XOAUTH2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.services.tenants import get_tenant
from quotemaild.store.models import ImapSource, MessageRef, RawMessage, Tenant

TLS_MODES = ("none", "starttls", "ssl")
AUTH_KINDS = ("password", "xoauth2")


@dataclass(frozen=True)
class NewImapSource:
    tenant_slug: str
    host: str
    port: int
    tls: str
    username: str
    password_file: str | None = None
    token_command: str | None = None
    folder: str = "INBOX"
    move_to: str | None = None


@dataclass(frozen=True)
class SourceSnapshot:
    """What a worker needs to connect, as plain values (no ORM object crosses threads)."""

    id: int
    tenant_id: int
    host: str
    port: int
    tls: str
    username: str
    auth: str
    password_file: str | None
    token_command: str | None
    folder: str
    move_to: str | None
    uidvalidity: int | None
    last_uid: int
    failures: int

    @property
    def label(self) -> str:
        return f"{self.username}@{self.host}:{self.port}/{self.folder}"


def add_imap_source(session: Session, new: NewImapSource, clock: Clock) -> ImapSource:
    tenant = get_tenant(session, new.tenant_slug)
    host = new.host.strip()
    if not host or any(c.isspace() for c in host):
        raise InvalidInput("host", f"must be a host name or address, got {new.host!r}")
    if not 0 < new.port < 65536:
        raise InvalidInput("port", f"must be 1-65535, got {new.port}")
    if new.tls not in TLS_MODES:
        raise InvalidInput("tls", f"must be one of {', '.join(TLS_MODES)}")
    if not new.username:
        raise InvalidInput("user", "must not be empty")
    if (new.password_file is None) == (new.token_command is None):
        raise InvalidInput("password-file", "give either --password-file or --token-command (one of them)")
    if new.password_file is not None and not Path(new.password_file).is_absolute():
        raise InvalidInput("password-file", f"must be an absolute path, got {new.password_file!r}")
    if new.token_command is not None and not new.token_command.strip():
        raise InvalidInput("token-command", "must not be empty")
    if not new.folder:
        raise InvalidInput("folder", "must not be empty")
    if new.move_to is not None and (not new.move_to or new.move_to == new.folder):
        raise InvalidInput("move-to", "must be a folder other than --folder")
    source = ImapSource(
        tenant_id=tenant.id,
        host=host,
        port=new.port,
        tls=new.tls,
        username=new.username,
        auth="password" if new.password_file is not None else "xoauth2",
        password_file=new.password_file,
        token_command=new.token_command,
        folder=new.folder,
        move_to=new.move_to,
        uidvalidity=None,
        last_uid=0,
        state="new",
        imported=0,
        skipped=0,
        failures=0,
        backoff_seconds=0.0,
        created_at=clock.now(),
    )
    session.add(source)
    session.flush()
    return source


def list_sources(session: Session) -> list[tuple[ImapSource, str]]:
    rows = session.execute(select(ImapSource, Tenant.slug).join(Tenant, Tenant.id == ImapSource.tenant_id).order_by(ImapSource.id))
    return [(row[0], row[1]) for row in rows]


def remove_source(session: Session, source_id: int) -> None:
    source = session.get(ImapSource, source_id)
    if source is None:
        raise NotFound("source", source_id)
    session.delete(source)
    session.flush()


def source_ids(session: Session) -> list[int]:
    return list(session.scalars(select(ImapSource.id).order_by(ImapSource.id)))


def snapshot(session: Session, source_id: int) -> SourceSnapshot | None:
    s = session.get(ImapSource, source_id)
    if s is None:
        return None
    return SourceSnapshot(
        id=s.id,
        tenant_id=s.tenant_id,
        host=s.host,
        port=s.port,
        tls=s.tls,
        username=s.username,
        auth=s.auth,
        password_file=s.password_file,
        token_command=s.token_command,
        folder=s.folder,
        move_to=s.move_to,
        uidvalidity=s.uidvalidity,
        last_uid=s.last_uid,
        failures=s.failures,
    )


def source_view(source: ImapSource, tenant_slug: str) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": source.id,
        "tenant": tenant_slug,
        "host": source.host,
        "port": source.port,
        "tls": source.tls,
        "user": source.username,
        "auth": source.auth,
        "password_file": source.password_file,
        "token_command": source.token_command,
        "folder": source.folder,
        "move_to": source.move_to,
        "state": source.state,
        "last_error": source.last_error,
        "last_error_at": iso(source.last_error_at),
        "last_success_at": iso(source.last_success_at),
        "imported": source.imported,
        "skipped": source.skipped,
        "failures": source.failures,
        "backoff_seconds": source.backoff_seconds,
        "next_attempt_at": iso(source.next_attempt_at),
        "uidvalidity": source.uidvalidity,
        "last_uid": source.last_uid,
        "created_at": iso(source.created_at),
    }


# --- dedupe --------------------------------------------------------------------------------------


def known_message_id(session: Session, tenant_id: int, message_id: str) -> bool:
    """Processing already stored a message with this (normalised) Message-ID for the tenant."""
    found = session.scalar(
        select(MessageRef.id).where(MessageRef.tenant_id == tenant_id, MessageRef.value == message_id).limit(1)
    )
    return found is not None


def known_sha256(session: Session, tenant_id: int, sha256: str) -> bool:
    """These exact bytes were already fetched over IMAP for the tenant (partial index
    ix_raw_messages_imap_sha; mail that came by SMTP or LMTP never has an IMAP copy's bytes)."""
    found = session.scalar(
        select(RawMessage.id)
        .where(RawMessage.tenant_id == tenant_id, RawMessage.sha256 == sha256, RawMessage.channel == "imap")
        .limit(1)
    )
    return found is not None


# --- worker bookkeeping (each returns False when the source was removed meanwhile) ----------------


def set_state(session: Session, source_id: int, state: str) -> bool:
    result = session.execute(update(ImapSource).where(ImapSource.id == source_id).values(state=state))
    return bool(result.rowcount)


def record_progress(
    session: Session,
    source_id: int,
    uidvalidity: int,
    last_uid: int,
    imported: int,
    skipped: int,
    now: dt.datetime,
) -> bool:
    """Called only after the messages up to `last_uid` are durably stored (or known duplicates)."""
    result = session.execute(
        update(ImapSource)
        .where(ImapSource.id == source_id)
        .values(
            uidvalidity=uidvalidity,
            last_uid=last_uid,
            imported=ImapSource.imported + imported,
            skipped=ImapSource.skipped + skipped,
            last_success_at=now,
        )
    )
    return bool(result.rowcount)


def record_healthy(session: Session, source_id: int, state: str, now: dt.datetime) -> bool:
    result = session.execute(
        update(ImapSource)
        .where(ImapSource.id == source_id)
        .values(state=state, failures=0, backoff_seconds=0.0, next_attempt_at=None, last_success_at=now)
    )
    return bool(result.rowcount)


def record_error(
    session: Session, source_id: int, error: str, failures: int, backoff: float, now: dt.datetime
) -> bool:
    result = session.execute(
        update(ImapSource)
        .where(ImapSource.id == source_id)
        .values(
            state="error",
            last_error=error[:2000],
            last_error_at=now,
            failures=failures,
            backoff_seconds=backoff,
            next_attempt_at=now + dt.timedelta(seconds=backoff),
        )
    )
    return bool(result.rowcount)


def record_note(session: Session, source_id: int, error: str, now: dt.datetime) -> bool:
    """A problem with one message that does not stop the source (e.g. over the size limit)."""
    result = session.execute(
        update(ImapSource).where(ImapSource.id == source_id).values(last_error=error[:2000], last_error_at=now)
    )
    return bool(result.rowcount)


def next_backoff(failures: int, initial: float, ceiling: float) -> float:
    """initial, 2x, 4x, ... capped at `ceiling` (failures counts from 1)."""
    return float(min(ceiling, initial * 2 ** min(max(failures - 1, 0), 32)))
