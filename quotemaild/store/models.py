"""SQLAlchemy 2.0 models. Schema changes go through Alembic (store/migrations), never create_all.

Relationships are `lazy="raise"`: every query says what it loads, so no hidden I/O happens in
code that thinks it holds plain values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Stable constraint names so migrations can drop/alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


PK = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements INTEGER PRIMARY KEY


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


class RawMessage(Base):
    """The exact bytes as received, with the envelope. Written before the 250, never changed after
    (except that `[retention] raw_days` may empty `data` of closed requests, see `purged_at`)."""

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
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # pending -> processed | failed; failed ones are kept and shown and can be re-processed
    state: Mapped[str] = mapped_column(String(10), default="pending")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    # Set by the retention task when `data` was emptied (request closed long enough); the row,
    # size and sha256 stay, so the message can still be shown and deduplicated.
    purged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (
        Index("ix_raw_messages_state", "state", "id"),
        Index("ix_raw_messages_tenant_sha", "tenant_id", "sha256"),
    )


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
# --- Workflow: users, contacts (prospects and customers) -------------------------------------


class User(Base):
    """A person of a tenant who works requests (seller, admin...)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))  # stored lower-cased
    role: Mapped[str] = mapped_column(String(40), default="seller")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),)


class Contact(Base):
    """A prospect or customer card; the fields of domain/contacts.py `Contact`.

    Revenue is not stored: it is the sum of the contact's invoices (`contact_invoices`).
    """

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="prospect")
    type: Mapped[str] = mapped_column(String(10), default="person")
    number: Mapped[str | None] = mapped_column(String(40), default=None)  # None until a customer
    name: Mapped[str] = mapped_column(String(200))
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    phone: Mapped[str] = mapped_column(String(40), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(12), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="BE")
    language: Mapped[str] = mapped_column(String(2), default="nl")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    vat_number: Mapped[str] = mapped_column(String(40), default="")
    vat_regime: Mapped[str] = mapped_column(String(20), default="standard")
    payment_term_days: Mapped[int | None] = mapped_column(Integer, default=None)
    discount_percent: Mapped[str] = mapped_column(String(10), default="0")  # Decimal as text
    document_emails: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    lead_source: Mapped[str] = mapped_column(String(200), default="")
    moments: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    internal_note: Mapped[str] = mapped_column(Text, default="")
    converted_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    persons: Mapped[list[ContactPersonRow]] = relationship(
        lazy="raise", order_by="ContactPersonRow.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_contacts_tenant_number"),
        Index("ix_contacts_tenant_name", "tenant_id", "name"),
        Index("ix_contacts_tenant_vat", "tenant_id", "vat_number"),
    )


class ContactPersonRow(Base):
    __tablename__ = "contact_persons"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    phone: Mapped[str] = mapped_column(String(40), default="")
    role: Mapped[str] = mapped_column(String(100), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(12), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="BE")


class ContactCustomFieldDef(Base):
    """A field a tenant adds to its contact cards."""

    __tablename__ = "contact_custom_field_defs"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="text")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    on_documents: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("tenant_id", "key", name="uq_contact_custom_field_defs_tenant_key"),)


class ContactAttachment(Base):
    """A file on a contact card (signed contract, photos, certificates)."""

    __tablename__ = "contact_attachments"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(320))


class ContactInvoice(Base):
    """An "invoiced" event fed in from outside; each invoice number counts once per tenant."""

    __tablename__ = "contact_invoices"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(60))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(320))

    __table_args__ = (
        UniqueConstraint("tenant_id", "invoice_number", name="uq_contact_invoices_tenant_invoice_number"),
    )


# --- Quotes ------------------------------------------------------------------------------------


class Quote(Base):
    """A quote made from a request, with the contact data copied at creation.

    Amounts are Decimal values stored as text ("1234.50"). `pdf` is the document as it was sent:
    written once, never re-rendered (a contact merge only changes `contact_id`).
    """

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("quote_requests.id", ondelete="SET NULL"), default=None, index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None, index=True
    )
    number: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft, sent, accepted, rejected
    language: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    issue_date: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_address: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_vat: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    total_excl: Mapped[str] = mapped_column(String(24))
    total_vat: Mapped[str] = mapped_column(String(24))
    total_incl: Mapped[str] = mapped_column(String(24))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (UniqueConstraint("tenant_id", "number", name="uq_quotes_tenant_number"),)


class QuoteLineRow(Base):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[str] = mapped_column(String(24))
    unit: Mapped[str] = mapped_column(String(20), default="")
    unit_price: Mapped[str] = mapped_column(String(24))
    vat_rate: Mapped[str] = mapped_column(String(8))
    discount_percent: Mapped[str] = mapped_column(String(8), default="0")
    line_total: Mapped[str] = mapped_column(String(24))
