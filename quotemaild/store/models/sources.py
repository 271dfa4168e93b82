"""IMAP sources that mail is fetched from, with their progress."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from quotemaild.store.models.base import PK, Base, UtcDateTime


class ImapSource(Base):
    """A mailbox folder polled over IMAP for one tenant, with its progress and health.

    No secret is stored here: `password_file` names a file read at connect time, and `token_command`
    is a command printing an OAuth2 access token (XOAUTH2). Progress is (uidvalidity, last_uid):
    `last_uid` only moves after the messages up to it are durably stored.
    """

    __tablename__ = "imap_sources"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    tls: Mapped[str] = mapped_column(String(10))  # none, starttls, ssl
    username: Mapped[str] = mapped_column(String(320))
    auth: Mapped[str] = mapped_column(String(10), default="password")  # password, xoauth2
    password_file: Mapped[str | None] = mapped_column(String(1000), default=None)
    token_command: Mapped[str | None] = mapped_column(String(2000), default=None)
    folder: Mapped[str] = mapped_column(String(500), default="INBOX")
    move_to: Mapped[str | None] = mapped_column(String(500), default=None)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    # new, connecting, idle, polling, error, stopped
    state: Mapped[str] = mapped_column(String(12), default="new")
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # duplicates seen and not imported again
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive errors
    backoff_seconds: Mapped[float] = mapped_column(default=0.0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # The instance polling this source and until when (services/source_leases.py).
    lease_holder: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
# --- Workflow: users, contacts (prospects and customers) -------------------------------------
