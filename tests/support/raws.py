"""A pending raw message written straight to the store, as the commit writer would have."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import Connection

from sqlalchemy.orm import Session

from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN


def add_pending_raw(session: Session, tenant_id: int, raw: bytes, mail_from: str = "k@example.org") -> int:
    row = RawMessage(
        tenant_id=tenant_id, received_at=dt.datetime.now(dt.UTC), channel="smtp", mail_from=mail_from,
        rcpt_to=[f"acme@{DOMAIN}"], peer="127.0.0.1:1", helo="x", size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(), data=raw, state="pending", attempts=0,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def sqlite_foreign_keys(conn: Connection) -> tuple[list[Any], int]:
    """(rows breaking a foreign key, whether foreign keys are enforced) after a migration.

    SQLite checks foreign keys only when asked (and a table copy runs with them off); PostgreSQL
    always enforces them, so nothing there can dangle."""
    if conn.dialect.name != "sqlite":
        return [], 1
    return list(conn.exec_driver_sql("PRAGMA foreign_key_check").all()), conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
