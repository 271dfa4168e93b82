"""Tenant-editable mail templates (the text is validated by the caller before it gets here)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.store.models import Tenant, TenantTemplate


def set_template(session: Session, tenant: Tenant, kind: str, language: str, text: str, now: dt.datetime) -> TenantTemplate:
    row = session.scalar(
        select(TenantTemplate).where(
            TenantTemplate.tenant_id == tenant.id, TenantTemplate.kind == kind, TenantTemplate.language == language
        )
    )
    if row is None:
        row = TenantTemplate(tenant_id=tenant.id, kind=kind, language=language, text=text, updated_at=now)
        session.add(row)
    else:
        row.text = text
        row.updated_at = now
    session.flush()
    return row
