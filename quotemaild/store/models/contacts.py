"""Users of a tenant, and contacts (customers, prospects) with persons, fields, files, invoices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quotemaild.store.models.base import PK, Base, UtcDateTime


class User(Base):
    """A person of a tenant who works requests (seller, admin...)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(2), default=None)  # web app; None: the browser's
    email: Mapped[str] = mapped_column(String(320))  # stored lower-cased
    role: Mapped[str] = mapped_column(String(40), default="seller")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # argon2id (PHC string); None: the user cannot log in (assignment only)
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)

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
    # A prospect becomes active once one of its requests leaves `received` (domain/prospects.py).
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The seller who gets this card's reminders (else the assignee of its newest request).
    seller_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)

    persons: Mapped[list[ContactPersonRow]] = relationship(
        lazy="raise", order_by="ContactPersonRow.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_contacts_tenant_number"),
        Index("ix_contacts_tenant_name", "tenant_id", "name"),
        Index("ix_contacts_tenant_vat", "tenant_id", "vat_number"),
    )


class ContactReminder(Base):
    """The reminder of a card's appointment or call-back: due at its date and time, sent once.

    Kept in step with the card's `moments` when the card is saved (services/reminders.py); a
    changed date makes it pending again, an unchanged one keeps it sent.
    """

    __tablename__ = "contact_reminders"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # appointment, call_back
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, skipped
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    recipient: Mapped[str] = mapped_column(String(320), default="")
    outbox_id: Mapped[int | None] = mapped_column(PK, default=None)
    detail: Mapped[str] = mapped_column(Text, default="")  # why it was skipped

    __table_args__ = (
        UniqueConstraint("contact_id", "kind", name="uq_contact_reminders_contact_kind"),
        Index("ix_contact_reminders_state_due", "state", "due_at"),
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
