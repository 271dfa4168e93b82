"""The requests just before and after one request, for "previous/next" on the request page.

Without the list the seller came from (the page's script remembers that one), the order is the
request number: "next" is the next older request of the same tenant, "previous" the next newer
one. A number keeps its place when the request changes, so replying and then going to "next"
continues where the seller was instead of jumping back to the top of the inbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quotemaild.store.models import QuoteRequest


@dataclass(frozen=True)
class Neighbours:
    newer: int | None
    older: int | None


def neighbours(session: Session, tenant_id: int, request_id: int) -> Neighbours:
    same_tenant = QuoteRequest.tenant_id == tenant_id
    newer = session.scalar(select(func.min(QuoteRequest.id)).where(same_tenant, QuoteRequest.id > request_id))
    older = session.scalar(select(func.max(QuoteRequest.id)).where(same_tenant, QuoteRequest.id < request_id))
    return Neighbours(newer=newer, older=older)
