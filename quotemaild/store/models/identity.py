"""Who may use the API and the web app, what each user has read, and the change feed.

    api_tokens       named per-tenant tokens; only a SHA-256 of the secret is stored
    web_sessions     browser sessions, server side: expiry and the CSRF secret live here
    request_reads    one row per (user, request) the user has opened since its last inbound mail
    login_throttle   failed logins per account and per address, for the growing delay
    change_events    what changed, per tenant, in the transaction that changed it (the SSE feed)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quotemaild.store.models.base import PK, Base, UtcDateTime


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10), default="seller")  # seller, admin
    # SHA-256 (hex) of the secret: tokens are 256 random bits, so a fast hash is enough and lets
    # us find the row by its hash; the secret itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to tell tokens apart
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the cookie's session id
    csrf: Mapped[str] = mapped_column(String(64))  # the token forms and X-CSRF-Token must echo
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class RequestRead(Base):
    """The user opened the request and no inbound mail came after; no row means unread."""

    __tablename__ = "request_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("quote_requests.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LoginThrottle(Base):
    """Consecutive failed logins for one key (`account:<tenant>:<email>` or `address:<ip>`)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, default=None)


class ChangeEvent(Base):
    """One change a client may want to see at once (new mail, status, note...). Written in the
    transaction of the change, so a stream reader never sees an event whose data is not there."""

    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(PK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[int | None] = mapped_column(PK, default=None)  # no FK: a deleted request's event stays
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_change_events_tenant", "tenant_id", "id"),)
