"""Running counts the inbox shows on every page, kept by the database itself.

    request_counts   requests per (tenant, status, needs_attention)
    read_counts      request_reads rows per user

Counting a tenant's 100k requests per status on each page view costs a scan of an index; on
SQLite triggers on `quote_requests` and `request_reads` (migration 0017) keep these rows in step
with every insert, update and delete in the same transaction, whoever writes (daemon, processing
child, CLI), so the counts are exact. Other engines count with an index-only scan and leave
these tables empty (`services/inbox.py` picks the source).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quotemaild.store.models.base import Base


class RequestCount(Base):
    __tablename__ = "request_counts"

    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    needs_attention: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ReadCount(Base):
    __tablename__ = "read_counts"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)
