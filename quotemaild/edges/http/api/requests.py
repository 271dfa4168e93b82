"""/requests: list, open, create, and every workflow action on one request (the CLI's `request ...`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.edges.http.api.schemas import (
    CONFLICT,
    FORBIDDEN,
    AssignIn,
    ContactDetailOut,
    DeletedOut,
    LinkIn,
    NewRequestIn,
    NoteIn,
    ReplyOut,
    RequestDetailOut,
    RequestPageOut,
    RequesterIn,
    StatusIn,
    _problem,
)
from quotemaild.edges.http.deps import AdminActor, Ctx, CurrentActor, OwnedRequest, Reader, UoW
from quotemaild.edges.http.problems import Problem
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.mail.compose import OutboundAttachment
from quotemaild.services import inbox, request_contacts, requests
from quotemaild.services.contact_rows import contact_view
from quotemaild.services.contacts import warnings_view
from quotemaild.services.delivery import delivery_view
from quotemaild.services.identity import Actor
from quotemaild.services.outbox import outbox_view
from quotemaild.services.reply import reply_to_request
from quotemaild.store.models import Contact, OutboxMessage, Tenant

router = APIRouter(tags=["requests"])


def _detail(db: Session, actor: Actor, request_id: int) -> dict[str, Any]:
    return inbox.open_request(db, actor, request_id)


@router.get("/requests", response_model=RequestPageOut)
def list_requests(
    actor: CurrentActor, db: Reader,
    status: Annotated[str | None, Query(max_length=20, examples=["received"])] = None,
    assignee: Annotated[str | None, Query(max_length=320, description="An e-mail, `me` or `none`")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in subject, requester, contact name or "
                                   "mail text (case-insensitive substring), or a request number")] = None,
    since: Annotated[dt.datetime | None, Query(description="Updated at or after (ISO 8601)")] = None,
    until: Annotated[dt.datetime | None, Query(description="Updated before (ISO 8601)")] = None,
    unread: bool | None = None,
    needs_attention: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=inbox.MAX_LIMIT)] = 50,
) -> dict[str, Any]:
    """Requests of the caller's tenant, most recently updated first, with counts per status."""
    flt = inbox.InboxFilter(status, assignee, q, _aware(since, "since"), _aware(until, "until"), unread,
                            needs_attention)
    return inbox.list_requests(db, actor, flt, cursor, limit).view()


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    """Naive times are UTC; a time that cannot be put in UTC (year 9999 at +14:00) is refused."""
    if value is None:
        return None
    try:
        return (value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value).astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise InvalidInput(name, "out of range") from exc


@router.post("/requests", status_code=201, response_model=RequestDetailOut)
def create_request(body: NewRequestIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """A request typed in by hand (after a phone call), as `request create`."""
    created = request_contacts.create_manual(
        db, db.get_one(Tenant, actor.tenant_id), subject=body.subject, body=body.body, contact_id=body.contact_id,
        customer_name=body.customer_name, actor=actor.label, clock=ctx.clock, domain=ctx.send.domain)
    return _detail(db, actor, created.id)


@router.get("/requests/{request_id}", response_model=RequestDetailOut)
def show_request(request_id: OwnedRequest, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """The request with its messages, timeline, quotes and attachments; marks it read for a user."""
    return inbox.open_request(db, actor, request_id, ctx.clock)


@router.post("/requests/{request_id}/unread", status_code=204)
def mark_unread(request_id: OwnedRequest, actor: CurrentActor, db: UoW) -> Response:
    """Mark the request unread again for the logged-in user."""
    inbox.mark_unread(db, actor, request_id)
    return Response(status_code=204)


@router.delete("/requests/{request_id}/attention", response_model=RequestDetailOut)
def clear_attention(request_id: OwnedRequest, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Lower the needs-attention flag (recorded on the timeline)."""
    inbox.clear_attention(db, request_id, actor.label, ctx.clock)
    return _detail(db, actor, request_id)


@router.post("/requests/{request_id}/notes", status_code=201, response_model=RequestDetailOut)
def add_note(request_id: OwnedRequest, body: NoteIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """An internal note on the timeline (never sent)."""
    requests.add_note(db, request_id, body.body, actor.label, ctx.clock)
    return _detail(db, actor, request_id)


@router.post("/requests/{request_id}/replies", status_code=201, response_model=ReplyOut,
             responses={413: _problem("The attachments are over the upload limit")})
async def reply(
    request: Request, request_id: OwnedRequest, actor: CurrentActor, ctx: Ctx,
    body: Annotated[str, Form(max_length=100_000)],
    files: Annotated[list[UploadFile] | None, File(description="Attachments")] = None,
) -> dict[str, Any]:
    """Reply to the requester from the tenant's address; queued in the outbox (see `delivery`)."""
    attachments = []
    total = 0
    for f in files or []:
        data = await f.read(ctx.max_upload - total + 1)
        total += len(data)
        if total > ctx.max_upload:
            raise Problem(413, "too-large", f"attachments over {ctx.max_upload} bytes in total", field="files")
        attachments.append(OutboundAttachment(filename=(f.filename or "attachment")[:200],
                                              content_type=f.content_type or "application/octet-stream", data=data))
    return await asyncio.to_thread(_reply, ctx, actor, request_id, body, attachments)


def _reply(ctx: Any, actor: Actor, request_id: int, body: str, attachments: list[OutboundAttachment]) -> dict[str, Any]:
    with ctx.sessions.begin() as db:
        queued = reply_to_request(db, ctx.send, request_id, body, attachments, actor.label, ctx.clock)
        row = outbox_view(db.get_one(OutboxMessage, queued.outbox_id))
    ctx.feed.wake()
    return {"request_id": request_id, "message_id": queued.message_pk, "outbox_id": queued.outbox_id,
            "loops_back": queued.loops_back, "warnings": list(queued.warnings), "not_sent": queued.held,
            "delivery": delivery_view(row, ctx.config.outbound.smarthost is not None)}


@router.post("/requests/{request_id}/assign", response_model=RequestDetailOut)
def assign(request_id: OwnedRequest, body: AssignIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Assign a user of the tenant (by e-mail) as the seller; `null` unassigns."""
    requests.assign(db, request_id, body.email or None, actor.label, ctx.clock)
    return _detail(db, actor, request_id)


@router.post("/requests/{request_id}/status", response_model=RequestDetailOut, responses=CONFLICT)
def set_status(request_id: OwnedRequest, body: StatusIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Move the status by hand; only moves the workflow allows (409 otherwise)."""
    requests.set_status(db, request_id, body.status, actor.label, ctx.clock)
    return _detail(db, actor, request_id)


@router.post("/requests/{request_id}/cancel", response_model=RequestDetailOut, responses=CONFLICT)
def cancel(request_id: OwnedRequest, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Cancel the request (it stays, and can be reopened with status)."""
    requests.set_status(db, request_id, "cancelled", actor.label, ctx.clock)
    return _detail(db, actor, request_id)


@router.post("/requests/{request_id}/requester", response_model=RequestDetailOut)
def set_requester(request_id: OwnedRequest, body: RequesterIn, actor: CurrentActor, db: UoW,
                  ctx: Ctx) -> dict[str, Any]:
    """Correct who asked (the old value stays on the timeline)."""
    requests.set_requester(db, request_id, body.email, body.name, actor.label, ctx.clock)
    return _detail(db, actor, request_id)


@router.post("/requests/{request_id}/contact", response_model=RequestDetailOut)
def link_contact(request_id: OwnedRequest, body: LinkIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Link an existing customer or prospect of the tenant."""
    if db.scalar(select(Contact.tenant_id).where(Contact.id == body.contact_id)) != actor.tenant_id:
        raise NotFound("contact", body.contact_id)
    request_contacts.link_contact(db, request_id, body.contact_id, actor.label, ctx.clock)
    return _detail(db, actor, request_id)


@router.post("/requests/{request_id}/prospect", status_code=201, response_model=ContactDetailOut)
def create_prospect(request_id: OwnedRequest, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Create a prospect from the requester and link it (as `request create-prospect`)."""
    saved = request_contacts.create_prospect(db, request_id, actor.label, ctx.clock)
    view = contact_view(saved.row, revenue=Decimal("0.00"))
    view["warnings"] = warnings_view(saved.warnings)
    view["request_id"] = request_id
    return view


@router.delete("/requests/{request_id}", response_model=DeletedOut, responses=FORBIDDEN)
def delete_request(request_id: OwnedRequest, actor: AdminActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Delete for good (admin): messages, attachments, raw copies; an audit record stays."""
    detail = requests.delete_request(db, request_id, actor.label, ctx.clock)
    return {"id": request_id, "deleted": True, **detail}
