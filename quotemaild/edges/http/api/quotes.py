"""/quotes: list per request or contact, create from a request, show, PDF, send via the request,
accept/reject. The CLI's `quote ...` services; quote rules (numbering, totals, decisions) live there."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from quotemaild.edges.http.api.schemas import CONFLICT, DeliveryOut, Out, QuoteSummaryOut
from quotemaild.edges.http.deps import MAX_ID, Ctx, CurrentActor, OwnedContact, OwnedQuote, Reader, UoW
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.services.delivery import delivery_view
from quotemaild.services.outbox import outbox_view
from quotemaild.services.quote_send import render_pdf_for, send_quote
from quotemaild.services import quote_manage as qm
from quotemaild.services.contact_quotes import quote_for_contact
from quotemaild.services.quotes import create_quote, decide_quote, get_quote, quote_summary, quote_view
from quotemaild.store.models import OutboxMessage, QuoteRequest, Tenant

router = APIRouter(tags=["quotes"])


class QuoteIn(BaseModel):
    request_id: int = Field(ge=1, le=MAX_ID)
    lines: list[Annotated[str, Field(max_length=2000)]] = Field(
        min_length=1, max_length=200, examples=[["PVC raam 120x100;12;245.50;21", "Plaatsing;1;350;6;forfait"]],
        description='As `quote create --line`: "description;quantity;unit price;vat%[;unit[;discount%]]"')


class ContactQuoteIn(BaseModel):
    lines: list[Annotated[str, Field(max_length=2000)]] = Field(
        min_length=1, max_length=200, examples=[["PVC raam 120x100;12;245.50;21"]],
        description='As `quote create --line`: "description;quantity;unit price;vat%[;unit[;discount%]]"')
    subject: str = Field(default="", max_length=998, description="The request made for it; default: the contact's name")
    note: str = Field(default="", max_length=100_000,
                      description="What the customer asked (the request's first message)")


class QuoteOut(Out):
    id: int
    number: str = Field(examples=["OF-2026-0001"])
    status: str = Field(examples=["draft"])
    request_id: int | None
    lines: list[dict[str, Any]]
    totals: dict[str, Any]


class SendIn(BaseModel):
    to: str | None = Field(default=None, max_length=320, description="Default: the contact's quote address")
    subject: str | None = Field(default=None, max_length=998, description="Default: the standard quote mail subject")
    body: str | None = Field(default=None, max_length=100_000, description="Default: the standard quote mail text")


class SentOut(BaseModel):
    quote_id: int
    message_id: int
    outbox_id: int
    loops_back: bool
    warnings: list[str]
    not_sent: str | None
    delivery: DeliveryOut


@router.get("/quotes", response_model=list[QuoteSummaryOut])
def list_quotes(actor: CurrentActor, db: Reader,
                request_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                state: Annotated[str | None, Query(max_length=20, examples=["draft"])] = None,
                number: Annotated[str | None, Query(max_length=60, description="A part of the number")] = None,
                issued_from: Annotated[dt.date | None, Query(alias="from")] = None,
                issued_to: Annotated[dt.date | None, Query(alias="to")] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """Quotes of the tenant, newest first (as `quote list --json`)."""
    found = qm.list_quotes(db, qm.QuoteFilter(actor.tenant_id, request_id, contact_id, state, number,
                                              issued_from, issued_to, limit))
    return [quote_summary(q, actor.tenant_slug) for q in found]


@router.post("/quotes", status_code=201, response_model=QuoteOut)
def create(body: QuoteIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """A draft quote on a request; the contact's data is copied onto it."""
    owner = db.get(QuoteRequest, body.request_id)
    if owner is None or owner.tenant_id != actor.tenant_id:
        raise NotFound("request", body.request_id)
    return quote_view(db, create_quote(db, body.request_id, body.lines, actor.label, ctx.clock))


@router.post("/contacts/{contact_id}/quotes", status_code=201, response_model=QuoteOut)
def create_for_contact(contact_id: OwnedContact, body: ContactQuoteIn, actor: CurrentActor, db: UoW,
                       ctx: Ctx) -> dict[str, Any]:
    """A draft quote for a contact without a mail request: a request is made by hand for it (the
    quote is then sent, decided and listed like any other)."""
    quote = quote_for_contact(db, db.get_one(Tenant, actor.tenant_id), contact_id, body.lines, actor.label,
                              ctx.clock, ctx.send.domain, subject=body.subject, note=body.note)
    return quote_view(db, quote)


@router.get("/quotes/{quote_id}", response_model=QuoteOut)
def show(quote_id: OwnedQuote, actor: CurrentActor, db: Reader) -> dict[str, Any]:
    """Copied contact data, lines, totals per VAT rate."""
    return quote_view(db, get_quote(db, quote_id))


@router.get("/quotes/{quote_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The PDF"}})
def pdf(quote_id: OwnedQuote, actor: CurrentActor, db: Reader, ctx: Ctx) -> Response:
    """The quote as PDF (the one that was sent, once it was sent)."""
    quote = get_quote(db, quote_id)
    data = render_pdf_for(db, quote, ctx.send.domain)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{quote.number}.pdf"'})


@router.post("/quotes/{quote_id}/send", response_model=SentOut)
def send(quote_id: OwnedQuote, actor: CurrentActor, db: UoW, ctx: Ctx, body: SendIn | None = None) -> dict[str, Any]:
    """Mail the quote via its request (PDF attached, accept/reject links); see `delivery` for its state."""
    queued = send_quote(db, ctx.send, quote_id, actor.label, ctx.clock, to=body.to if body else None,
                        subject=body.subject if body else None, body=body.body if body else None)
    row = outbox_view(db.get_one(OutboxMessage, queued.outbox_id))
    return {"quote_id": quote_id, "message_id": queued.message_pk, "outbox_id": queued.outbox_id,
            "loops_back": queued.loops_back, "warnings": list(queued.warnings), "not_sent": queued.held,
            "delivery": delivery_view(row, ctx.config.outbound.smarthost is not None)}


@router.post("/quotes/{quote_id}/accept", response_model=QuoteOut, responses=CONFLICT)
def accept(quote_id: OwnedQuote, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Record that the customer accepted (idempotent; the request moves if its status allows)."""
    return quote_view(db, decide_quote(db, quote_id, "accept", actor.label, ctx.clock, actor.tenant_id).quote)


@router.post("/quotes/{quote_id}/reject", response_model=QuoteOut, responses=CONFLICT)
def reject(quote_id: OwnedQuote, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Record that the customer rejected (idempotent)."""
    return quote_view(db, decide_quote(db, quote_id, "reject", actor.label, ctx.clock, actor.tenant_id).quote)


# Editing a draft, versions, copies: `services/quote_manage.py` (the CLI's `quote line ...`, `quote update`).
Spec = Annotated[str, Field(max_length=2000, examples=["PVC raam 120x100;12;245.50;21"])]
Position = Annotated[int, Path(ge=1, le=1000)]


class LinesIn(BaseModel):
    lines: list[Spec] = Field(min_length=1, max_length=200, description="All lines of the draft, in order")


class LineIn(BaseModel):
    spec: Spec
    at: int | None = Field(default=None, ge=1, le=1000, description="Position; default: at the end")


class ChangeLineIn(BaseModel):
    spec: Spec


class MoveIn(BaseModel):
    to: int = Field(ge=1, le=1000)


class DraftIn(BaseModel):
    notes: str | None = Field(default=None, max_length=10000, description="Printed under the lines; '' clears")
    valid_until: dt.date | None = None
    validity_days: int | None = Field(default=None, ge=0, le=3650)


class DuplicateIn(BaseModel):
    request_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Default: the same request")


@router.put("/quotes/{quote_id}/lines", response_model=QuoteOut, responses=CONFLICT)
def replace_lines(quote_id: OwnedQuote, body: LinesIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Replace all lines of a draft (an editor that saves the whole list)."""
    return quote_view(db, qm.replace_lines(db, quote_id, body.lines, actor.label, ctx.clock))


@router.post("/quotes/{quote_id}/lines", response_model=QuoteOut)
def add_line(quote_id: OwnedQuote, body: LineIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Add a line to a draft (`quote line add`)."""
    return quote_view(db, qm.add_line(db, quote_id, body.spec, actor.label, ctx.clock, at=body.at))


@router.put("/quotes/{quote_id}/lines/{position}", response_model=QuoteOut)
def change_line(quote_id: OwnedQuote, position: Position, body: ChangeLineIn, actor: CurrentActor, db: UoW,
                ctx: Ctx) -> dict[str, Any]:
    """Replace line N of a draft."""
    return quote_view(db, qm.change_line(db, quote_id, position, body.spec, actor.label, ctx.clock))


@router.delete("/quotes/{quote_id}/lines/{position}", response_model=QuoteOut)
def delete_line(quote_id: OwnedQuote, position: Position, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Remove line N of a draft."""
    return quote_view(db, qm.delete_line(db, quote_id, position, actor.label, ctx.clock))


@router.post("/quotes/{quote_id}/lines/{position}/move", response_model=QuoteOut)
def move_line(quote_id: OwnedQuote, position: Position, body: MoveIn, actor: CurrentActor, db: UoW,
              ctx: Ctx) -> dict[str, Any]:
    """Move line N of a draft to position `to`."""
    return quote_view(db, qm.reorder_line(db, quote_id, position, body.to, actor.label, ctx.clock))


@router.patch("/quotes/{quote_id}", response_model=QuoteOut)
def update_draft(quote_id: OwnedQuote, body: DraftIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """A draft's notes or validity (`quote update`)."""
    if body.notes is None and body.valid_until is None and body.validity_days is None:
        raise InvalidInput("quote", "nothing to change: give notes, valid_until or validity_days")
    if body.notes is not None:
        qm.set_notes(db, quote_id, body.notes, actor.label, ctx.clock)
    if body.valid_until is not None or body.validity_days is not None:
        qm.set_validity(db, quote_id, actor.label, ctx.clock, days=body.validity_days,
                        until=body.valid_until.isoformat() if body.valid_until else None)
    return quote_view(db, get_quote(db, quote_id))


@router.post("/quotes/{quote_id}/versions", status_code=201, response_model=QuoteOut)
def new_version(quote_id: OwnedQuote, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """A new draft version of a sent, expired or rejected quote (`quote new-version`)."""
    return quote_view(db, qm.new_version(db, quote_id, actor.label, ctx.clock))


@router.post("/quotes/{quote_id}/duplicate", status_code=201, response_model=QuoteOut)
def duplicate(quote_id: OwnedQuote, actor: CurrentActor, db: UoW, ctx: Ctx,
              body: DuplicateIn | None = None) -> dict[str, Any]:
    """A copy as a new draft with the next number (`quote duplicate`)."""
    request_id = body.request_id if body else None
    if request_id is not None:
        owner = db.get(QuoteRequest, request_id)
        if owner is None or owner.tenant_id != actor.tenant_id:
            raise NotFound("request", request_id)
    return quote_view(db, qm.duplicate(db, quote_id, actor.label, ctx.clock, request_id=request_id))


@router.delete("/quotes/{quote_id}")
def delete_draft(quote_id: OwnedQuote, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Delete a draft (`quote delete`); sent quotes stay."""
    return {"id": quote_id, "deleted": True, **qm.delete_draft(db, quote_id, actor.label, ctx.clock)}
