"""Tenants, the raw copies of mail, quote requests, their messages and timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quotemaild.store.models.base import PK, Base, UtcDateTime


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    auto_reply: Mapped[bool] = mapped_column(Boolean, default=True)
    sender_mode: Mapped[str] = mapped_column(String(10), default="tenant")
    own_addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    own_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    customer_number_format: Mapped[str] = mapped_column(
        String(60), default="C{year}{seq:04}", server_default="C{year}{seq:04}"
    )
    quote_number_format: Mapped[str] = mapped_column(
        String(60), default="OF-{year}-{seq:04}", server_default="OF-{year}-{seq:04}"
    )
    quote_validity_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # The seller's company as printed on documents (domain/tenant_profile.py lists the keys).
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    logo_type: Mapped[str] = mapped_column(String(40), default="", server_default="")


class RawMessage(Base):
    """The envelope of a message as received; its exact bytes are in `RawData`. Written before
    the 250; only the processing state changes after (and `[retention] raw_days` may delete the
    bytes of closed requests, see `purged_at`)."""

    __tablename__ = "raw_messages"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    channel: Mapped[str] = mapped_column(String(8), default="smtp")  # smtp, lmtp, imap, cli
    mail_from: Mapped[str] = mapped_column(String(512))
    rcpt_to: Mapped[list[str]] = mapped_column(JSON)
    peer: Mapped[str] = mapped_column(String(200), default="")
    helo: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # pending -> processed | failed; failed ones are kept and shown and can be re-processed
    state: Mapped[str] = mapped_column(String(10), default="pending")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    # Set by the retention task when `data` was emptied (request closed long enough); the row,
    # size and sha256 stay, so the message can still be shown and deduplicated.
    purged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)

    content: Mapped[RawData | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        Index("ix_raw_messages_state", "state", "id"),
        # IMAP dedupe only (`services.sources.known_sha256`): a refetched folder has the same bytes,
        # while SMTP copies never match an IMAP copy byte for byte. Indexing every SMTP insert put
        # a write on a random leaf of an index as big as the store into each commit.
        Index("ix_raw_messages_imap_sha", "tenant_id", "sha256", sqlite_where=text("channel = 'imap'"),
              postgresql_where=text("channel = 'imap'")),
    )

    @property
    def data(self) -> bytes:
        """The bytes (empty once purged), loaded on access; processing reads them with
        `store.blobs.read_big` instead, which does not copy a big message twice."""
        return self.content.data if self.content is not None else b""

    @data.setter
    def data(self, value: bytes) -> None:
        self.content = RawData(data=value)


class RawData(Base):
    """The exact bytes of a raw message, in a table of their own: processing updates the state of
    every raw message, and on SQLite an UPDATE rewrites the whole row, so a 47 MiB message was read
    and written again just to be marked processed. Purging deletes this row."""

    __tablename__ = "raw_message_data"

    raw_id: Mapped[int] = mapped_column(PK, ForeignKey("raw_messages.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class QuoteRequest(Base):
    __tablename__ = "quote_requests"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="received")
    subject: Mapped[str] = mapped_column(String(998), default="")
    requester_email: Mapped[str | None] = mapped_column(String(320), default=None)
    requester_name: Mapped[str | None] = mapped_column(String(200), default=None)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    # set when outgoing mail failed for good or bounced; cleared by a user
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    assignee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None, index=True
    )
    previous_status: Mapped[str | None] = mapped_column(String(20), default=None)  # before a cancel

    tenant: Mapped[Tenant] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_quote_requests_tenant_updated", "tenant_id", "updated_at", "id"),
        Index("ix_quote_requests_tenant_status_updated", "tenant_id", "status", "updated_at", "id"),
        Index("ix_quote_requests_tenant_id", "tenant_id", "id"),  # previous/next on the request page
    )


class Message(Base):
    """A parsed message of a conversation, inbound or outbound."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("quote_requests.id", ondelete="CASCADE"), default=None
    )
    raw_id: Mapped[int | None] = mapped_column(ForeignKey("raw_messages.id", ondelete="SET NULL"), default=None)
    direction: Mapped[str] = mapped_column(String(3))  # in, out
    message_id: Mapped[str] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998), default=None)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    from_name: Mapped[str | None] = mapped_column(String(200), default=None)
    from_email: Mapped[str | None] = mapped_column(String(320), default=None)
    to: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    cc: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    reply_to: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text, default=None)
    provenance: Mapped[str] = mapped_column(String(20), default="direct")
    forwarded_by: Mapped[str | None] = mapped_column(String(320), default=None)
    requester_confidence: Mapped[float | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(20), default="human")  # human, bounce, auto_reply, ...
    defects: Mapped[list[str]] = mapped_column(JSON, default=list)
    # what understanding found: bounce recipients/status, system-mail code/link/hint, quoted text,
    # the forwarder's preamble, reasons for kind and provenance
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    attachments: Mapped[list[Attachment]] = relationship(lazy="raise", order_by="Attachment.id")

    __table_args__ = (
        Index("ix_messages_request", "request_id", "id"),
        Index("ix_messages_tenant_from", "tenant_id", "from_email", "created_at"),
    )


class MessageRef(Base):
    """Every Message-ID under which a stored message is known to this tenant.

    One row for the message's own id; outbound messages add the ids a provider gave them later.
    Dedupe (threading step 1) and In-Reply-To/References lookups (step 3) both use this table.
    """

    __tablename__ = "message_refs"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(998))
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("tenant_id", "value", name="uq_message_refs_tenant_value"),)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(500), default="")
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    content_id: Mapped[str | None] = mapped_column(String(500), default=None)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class TimelineEvent(Base):
    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("quote_requests.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(320))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_timeline_events_request", "request_id", "id"),)


class AuditRecord(Base):
    """Survives the deletion of what it speaks of (a deleted request, a merged contact)."""

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"), default=None)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
