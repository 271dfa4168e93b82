"""/quotes: list per request or contact, create from a request, show, PDF, send via the request,
accept/reject. The CLI's `quote ...` services; quote rules (numbering, totals, decisions) live there."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import true

from quotemaild.edges.http.api.schemas import CONFLICT, DeliveryOut, Out, QuoteSummaryOut
from quotemaild.edges.http.deps import MAX_ID, Ctx, CurrentActor, OwnedQuote, Reader, UoW
from quotemaild.errors import NotFound
from quotemaild.services.delivery import delivery_view
from quotemaild.services.outbox import outbox_view
from quotemaild.services.quote_send import render_pdf_for, send_quote
from quotemaild.services.quotes import create_quote, decide_quote, get_quote, quote_view
from quotemaild.store.models import OutboxMessage, Quote, QuoteRequest
from quotemaild.store.queries import quote_summaries

router = APIRouter(tags=["quotes"])


class QuoteIn(BaseModel):
    request_id: int = Field(ge=1, le=MAX_ID)
    lines: list[Annotated[str, Field(max_length=2000)]] = Field(
        min_length=1, max_length=200, examples=[["PVC raam 120x100;12;245.50;21", "Plaatsing;1;350;6;forfait"]],
        description='As `quote create --line`: "description;quantity;unit price;vat%[;unit[;discount%]]"')


class QuoteOut(Out):
    id: int
    number: str = Field(examples=["OF-2026-0001"])
    status: str = Field(examples=["draft"])
    request_id: int | None
    lines: list[dict[str, Any]]
    totals: dict[str, Any]


class SendIn(BaseModel):
    to: str | None = Field(default=None, max_length=320, description="Default: the contact's quote address")


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
                contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> list[dict[str, Any]]:
    """Quotes of the tenant, oldest first; filter by request or contact."""
    where = Quote.tenant_id == actor.tenant_id
    where &= Quote.request_id == request_id if request_id is not None else true()
    where &= Quote.contact_id == contact_id if contact_id is not None else true()
    return quote_summaries(db, where)


@router.post("/quotes", status_code=201, response_model=QuoteOut)
def create(body: QuoteIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """A draft quote on a request; the contact's data is copied onto it."""
    owner = db.get(QuoteRequest, body.request_id)
    if owner is None or owner.tenant_id != actor.tenant_id:
        raise NotFound("request", body.request_id)
    return quote_view(db, create_quote(db, body.request_id, body.lines, actor.label, ctx.clock))


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
    queued = send_quote(db, ctx.send, quote_id, actor.label, ctx.clock, to=body.to if body else None)
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
