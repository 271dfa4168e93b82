"""Quotes and their lines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Date,
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
    status: Mapped[str] = mapped_column(String(10), default="draft")  # domain/quote_states.py QuoteState
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
    # A new version of a sent quote is a new row (`OF-2026-0007-2`) pointing at the one it replaces.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id", ondelete="SET NULL"), default=None)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact_person: Mapped[str] = mapped_column(String(200), default="", server_default="")  # "attn." line
    # Who accepted or rejected, and from where (the online page records the name and the address).
    decided_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    decided_from: Mapped[str] = mapped_column(String(100), default="", server_default="")

    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_quotes_tenant_number"),
        Index("ix_quotes_tenant_issue_date", "tenant_id", "issue_date"),
    )


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
