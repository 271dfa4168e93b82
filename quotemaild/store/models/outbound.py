"""What we send: the outbox, tenant templates, the acknowledgement log, hard-bounced addresses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from quotemaild.store.models.base import PK, Base, UtcDateTime


class OutboxMessage(Base):
    """One outgoing mail, written in the same transaction as the change that caused it.

    The delivery worker moves it queued -> sent, or back to queued with a later `next_attempt_at`
    after a temporary failure, or to failed (permanent failure or give-up).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("quote_requests.id", ondelete="SET NULL"), default=None)
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), default=None)
    kind: Mapped[str] = mapped_column(String(10))  # ack, reply, quote
    envelope_from: Mapped[str] = mapped_column(String(320), default="")  # "" = null reverse path
    rcpt_to: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(10), default="queued")  # queued, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    smtp_reply: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    # The lease of the sender that claimed the row (None: not claimed). `next_attempt_at` holds
    # the same time while claimed, but also a retry's backoff: only this says "being sent".
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    # A workflow move held back until the mail has left (no smarthost when it was queued):
    # {"event": "reply_sent"} or {"event": "quote_sent", "quote": ID}; applied by `record_sent`.
    on_sent: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)

    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)


class TenantTemplate(Base):
    """A tenant's own text for a mail template (kind x language), validated before it is saved."""

    __tablename__ = "tenant_templates"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("tenant_id", "kind", "language", name="uq_tenant_templates_kind_lang"),)


class AckLog(Base):
    """When a tenant acknowledged a sender: the 24 h per-sender rate limit reads this."""

    __tablename__ = "ack_log"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_ack_log_tenant_address", "tenant_id", "address", "at"),)


class BouncedAddress(Base):
    """An address that hard-bounced our mail: never acknowledged automatically again."""

    __tablename__ = "bounced_addresses"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("tenant_id", "address", name="uq_bounced_addresses_tenant_address"),)
