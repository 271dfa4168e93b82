"""A pending raw message written straight to the store, as the commit writer would have."""

from __future__ import annotations

import datetime as dt
import hashlib

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
