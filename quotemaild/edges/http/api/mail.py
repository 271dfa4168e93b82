"""Attachments, sanitised HTML of a message, system mail (Gmail forwarding confirmations), the outbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from quotemaild.edges.http.api.files import file_response
from quotemaild.edges.http.api.schemas import DeliveryOut, HtmlOut, Out, OUTBOX_BUSY, SystemMailOut
from quotemaild.edges.http.deps import Ctx, CurrentActor, OwnedAttachment, OwnedMessage, OwnedOutbox, Reader, UoW
from quotemaild.mail.body import sanitize_html
from quotemaild.services.delivery import delivery_view
from quotemaild.services.outbox import list_outbox, outbox_view, retry
from quotemaild.store.models import Attachment, Message
from quotemaild.store.queries import list_messages

router = APIRouter(tags=["mail"])


@router.get("/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "The file"}})
def download(attachment_id: OwnedAttachment, actor: CurrentActor, db: Reader) -> Response:
    """The attachment's bytes, with its original filename and content type, always as a download."""
    att = db.get_one(Attachment, attachment_id)
    return file_response(att.data, att.filename or f"attachment-{att.id}", att.content_type)


@router.get("/messages/{message_id}/html", response_model=HtmlOut)
def message_html(message_id: OwnedMessage, actor: CurrentActor, db: Reader) -> dict[str, Any]:
    """The message's HTML body after nh3 sanitising (never the raw HTML)."""
    html = db.get_one(Message, message_id).html
    return {"message_id": message_id, "html": sanitize_html(html) if html is not None else None}


@router.get("/system-mail", response_model=list[SystemMailOut])
def system_mail(actor: CurrentActor, db: Reader,
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """Set-up mail shown to the tenant (e.g. Gmail's forwarding confirmation, with its code and link)."""
    return list_messages(db, actor.tenant_slug, kind="system", limit=limit)


class OutboxOut(Out):
    id: int
    request_id: int | None
    kind: str
    state: str
    to: list[str]
    attempts: int
    last_error: str | None
    delivery: DeliveryOut


@router.get("/outbox", response_model=list[OutboxOut])
def outbox(actor: CurrentActor, db: Reader, ctx: Ctx,
           state: Annotated[str | None, Query(pattern="^(queued|sent|failed)$")] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    """Our outgoing mail of this tenant, newest first; `delivery.reason` says why a mail is not out."""
    smarthost = ctx.config.outbound.smarthost is not None
    return [{**row, "delivery": delivery_view(row, smarthost)}
            for row in list_outbox(db, state, limit, tenant_id=actor.tenant_id)]




@router.post("/outbox/{outbox_id}/retry", response_model=OutboxOut,
             responses=OUTBOX_BUSY)
def outbox_retry(outbox_id: OwnedOutbox, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Queue a failed or waiting mail for an attempt now (`outbox retry`). 409 while a sender holds
    it; 422 once it was sent."""
    row = outbox_view(retry(db, outbox_id, ctx.clock.now()))
    return {**row, "delivery": delivery_view(row, ctx.config.outbound.smarthost is not None)}
