"""SQLAlchemy 2.0 models. Schema changes go through Alembic (store/migrations), never create_all.

Relationships are `lazy="raise"`: every query says what it loads, so no hidden I/O happens in
code that thinks it holds plain values.
"""

from quotemaild.store.models.base import NAMING, PK, Base, UtcDateTime
from quotemaild.store.models.contacts import (
    Contact,
    ContactAttachment,
    ContactCustomFieldDef,
    ContactInvoice,
    ContactPersonRow,
    ContactReminder,
    User,
)
from quotemaild.store.models.counts import ReadCount, RequestCount
from quotemaild.store.models.identity import ApiToken, ChangeEvent, LoginThrottle, RequestRead, WebSession
from quotemaild.store.models.outbound import AckLog, BouncedAddress, OutboxMessage, TenantTemplate
from quotemaild.store.models.quotes import Quote, QuoteLineRow
from quotemaild.store.models.requests import (
    Attachment,
    AuditRecord,
    Message,
    MessageRef,
    QuoteRequest,
    RawData,
    RawMessage,
    Tenant,
    TimelineEvent,
)
from quotemaild.store.models.sources import ImapSource

__all__ = [
    "NAMING",
    "PK",
    "Base",
    "UtcDateTime",
    "Tenant",
    "RawData",
    "RawMessage",
    "QuoteRequest",
    "Message",
    "MessageRef",
    "Attachment",
    "TimelineEvent",
    "AuditRecord",
    "OutboxMessage",
    "TenantTemplate",
    "AckLog",
    "BouncedAddress",
    "ImapSource",
    "User",
    "Contact",
    "ContactPersonRow",
    "ContactCustomFieldDef",
    "ContactAttachment",
    "ContactInvoice",
    "ContactReminder",
    "Quote",
    "QuoteLineRow",
    "ApiToken",
    "WebSession",
    "RequestRead",
    "ReadCount",
    "RequestCount",
    "LoginThrottle",
    "ChangeEvent",
]
