"""Quotes: the list (/quotes), the editor of a new quote on a request, a quote (/quotes/{id}) with
its PDF preview, and sending it through the request (the standard mail text, the PDF attached).

The editor's rows are plain form fields (`lines-N-description`, `-quantity`, `-unit`,
`-unit_price`, `-vat_rate`, `-discount`); the server turns each filled row into the CLI's line
spec and the quote service checks and totals them — the totals the script shows while typing
are only a preview of what the service computes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quotemaild.edges.http.deps import Ctx, owned_contact, owned_quote, owned_request
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.web import quote_actions
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.errors import QuotemailError
from quotemaild.mail.templates import RenderedMail
from quotemaild.services import quote_manage, quote_send, quotes
from quotemaild.services.contact_quotes import quote_for_contact
from quotemaild.store.models import Contact, QuoteRequest, Tenant

LINE_FIELD = re.compile(r"lines-(\d{1,3})-(description|quantity|unit|unit_price|vat_rate|discount)")
FIELDS = ("description", "quantity", "unit_price", "vat_rate", "unit", "discount")
BLANK_ROWS = 4
VAT_RATES = ("21", "12", "6", "0")
LIST_SIZE = 200
LIST_STATES = ("draft", "queued", "sent", "accepted", "rejected", "expired", "superseded")


def lines_from_form(form: Any) -> tuple[list[dict[str, str]], list[str]]:
    """The filled rows of the editor, and each as a line spec `desc;qty;price;vat;unit;discount`."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.multi_items():
        if match := LINE_FIELD.fullmatch(key):
            rows.setdefault(int(match[1]), {})[match[2]] = str(value).strip()
    filled = [rows[i] for i in sorted(rows) if rows[i].get("description") or rows[i].get("unit_price")]
    specs = [";".join(r.get(f, "").replace(";", "\\;") for f in FIELDS) for r in filled]
    return filled, specs


def editor_rows(filled: list[dict[str, str]]) -> list[dict[str, str]]:
    blank = {"description": "", "quantity": "1", "unit": "", "unit_price": "", "vat_rate": "21", "discount": ""}
    return [*filled, *([blank] * BLANK_ROWS)] if filled else [dict(blank) for _ in range(BLANK_ROWS)]


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/quotes")
    def quote_list(request: Request, actor: PageActor, ctx: Ctx,
                   state: Annotated[str | None, Query(max_length=20)] = None,
                   number: Annotated[str | None, Query(max_length=60)] = None) -> Response:
        """The tenant's quotes, newest first, by state and a part of the number (`GET /api/v1/quotes`)."""
        error = None
        with ctx.readers() as s:
            try:
                rows = quote_manage.list_quotes(s, quote_manage.QuoteFilter(
                    actor.tenant_id, state=state or None, number=(number or "").strip() or None, limit=LIST_SIZE))
            except QuotemailError as exc:  # an unknown state in a hand-typed address
                rows, error = [], str(exc)
        return request.app.state.pages.render(request, "quotes.html", 422 if error else 200, section="quotes",
                                              quotes=rows, states=LIST_STATES, state=state or "",
                                              number=number or "", error=error, limit=LIST_SIZE)

    def editor(request: Request, s: Session, request_id: int | None, filled: list[dict[str, str]], status: int = 200,
               error: str | None = None, quote: dict[str, Any] | None = None, contact_id: int | None = None,
               typed: dict[str, str] | None = None) -> Response:
        req = s.get_one(QuoteRequest, request_id) if request_id else None
        contact = s.get_one(Contact, contact_id) if contact_id else None
        return request.app.state.pages.render(
            request, "quote_new.html", status, section="quotes", req=req, rows=editor_rows(filled),
            vat_rates=VAT_RATES, error=error, quote=quote, contact=contact, typed=typed or {},
        )

    def rows_of(view: dict[str, Any]) -> list[dict[str, str]]:
        def plain(value: str) -> str:
            return format(Decimal(value).normalize(), "f")

        return [{"description": line["description"], "quantity": plain(line["quantity"]), "unit": line["unit"],
                 "unit_price": plain(line["unit_price"]), "vat_rate": plain(line["vat_rate"]),
                 "discount": "" if Decimal(line["discount_percent"]) == 0 else plain(line["discount_percent"])}
                for line in view["lines"]]

    @r.get("/quotes/{quote_id}/edit")
    def edit(request: Request, quote_id: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_quote(quote_id, actor, ctx)
        with ctx.readers() as s:
            view = quotes.quote_view(s, quotes.get_quote(s, quote_id))
            return editor(request, s, view["request_id"], rows_of(view), quote=view)

    @r.post("/quotes/{quote_id}/lines")
    async def save_lines(request: Request, quote_id: int, actor: PageActor, ctx: Ctx) -> Response:
        """A draft's lines, all at once (the service numbers and totals them again)."""
        owned_quote(quote_id, actor, ctx)
        form = await request.form()
        filled, specs = lines_from_form(form)
        notes, until = form.get("notes"), str(form.get("valid_until") or "").strip()

        def work() -> Response:
            try:
                with ctx.sessions.begin() as s:
                    quote = quote_manage.replace_lines(s, quote_id, specs, actor.label, ctx.clock)
                    # Notes and validity as `PATCH /api/v1/quotes/{id}` sets them; only what changed.
                    if isinstance(notes, str) and notes.strip() != (quote.notes or "").strip():
                        quote_manage.set_notes(s, quote_id, notes, actor.label, ctx.clock)
                    if until and until != quote.valid_until.isoformat():
                        quote_manage.set_validity(s, quote_id, actor.label, ctx.clock, until=until)
            except QuotemailError as exc:
                with ctx.readers() as s:
                    view = quotes.quote_view(s, quotes.get_quote(s, quote_id))
                    return editor(request, s, view["request_id"], filled, from_error(exc).status,
                                  request.app.state.pages.explain(request, exc), view)
            if ctx.feed is not None:
                ctx.feed.wake()
            return see_other(f"/quotes/{quote_id}?flash=quote_saved")

        return await anyio.to_thread.run_sync(work)

    @r.get("/requests/{request_id}/quotes/new")
    def new_quote(request: Request, request_id: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_request(request_id, actor, ctx)
        with ctx.readers() as s:
            return editor(request, s, request_id, [])

    @r.post("/requests/{request_id}/quotes")
    async def create(request: Request, request_id: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_request(request_id, actor, ctx)
        filled, specs = lines_from_form(await request.form())

        def work() -> Response:
            try:
                with ctx.sessions.begin() as s:
                    quote = quotes.create_quote(s, request_id, specs, actor.label, ctx.clock)
                    quote_id = quote.id
            except QuotemailError as exc:
                with ctx.readers() as s:
                    return editor(request, s, request_id, filled, 422, request.app.state.pages.explain(request, exc))
            if ctx.feed is not None:
                ctx.feed.wake()
            return see_other(f"/quotes/{quote_id}?flash=quote_created")

        return await anyio.to_thread.run_sync(work)

    @r.get("/contacts/{contact_id}/quotes/new")
    def new_contact_quote(request: Request, contact_id: int, actor: PageActor, ctx: Ctx) -> Response:
        """The editor for a quote made from the contact card (no mail request needed)."""
        owned_contact(contact_id, actor, ctx)
        with ctx.readers() as s:
            return editor(request, s, None, [], contact_id=contact_id)

    @r.post("/contacts/{contact_id}/quotes")
    async def create_for_contact(request: Request, contact_id: int, actor: PageActor, ctx: Ctx) -> Response:
        """`POST /api/v1/contacts/{id}/quotes`'s service: a request made by hand for the contact, the quote on it."""
        owned_contact(contact_id, actor, ctx)
        form = await request.form()
        filled, specs = lines_from_form(form)
        typed = {k: str(form.get(k) or "") for k in ("subject", "note")}

        def work() -> Response:
            try:
                with ctx.sessions.begin() as s:
                    quote = quote_for_contact(s, s.get_one(Tenant, actor.tenant_id), contact_id, specs, actor.label,
                                              ctx.clock, ctx.send.domain, **typed)
                    quote_id = quote.id
            except QuotemailError as exc:
                with ctx.readers() as s:
                    return editor(request, s, None, filled, from_error(exc).status,
                                  request.app.state.pages.explain(request, exc), contact_id=contact_id, typed=typed)
            if ctx.feed is not None:
                ctx.feed.wake()
            return see_other(f"/quotes/{quote_id}?flash=quote_created")

        return await anyio.to_thread.run_sync(work)

    def quote_page(request: Request, s: Session, quote_id: int, status: int = 200,
                   error: str | None = None, typed: tuple[str, str] | None = None) -> Response:
        quote = quotes.get_quote(s, quote_id)
        view = quotes.quote_view(s, quote)
        mail = None
        if quote.status == "draft" and quote.request_id is not None:
            tenant = s.get_one(Tenant, quote.tenant_id)
            req = s.get_one(QuoteRequest, quote.request_id)
            try:
                mail = quote_send.quote_mail(s, _ctx(request).send, quote, tenant, req,
                                             request.state.web_user.name)
            except QuotemailError as exc:
                error = error or request.app.state.pages.explain(request, exc)
            if mail is not None and typed is not None:  # a refused sending keeps what was typed
                mail = RenderedMail(typed[0] or mail.subject, typed[1] or mail.text)
        return request.app.state.pages.render(request, "quote.html", status, section="quotes", quote=view,
                                              mail=mail, error=error, decidable=quote_actions.DECIDABLE,
                                              versionable=quote_actions.VERSIONABLE)

    r.include_router(quote_actions.router(quote_page))

    @r.get("/quotes/{quote_id}")
    def quote_view(request: Request, quote_id: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_quote(quote_id, actor, ctx)
        with ctx.readers() as s:
            return quote_page(request, s, quote_id)

    @r.get("/quotes/{quote_id}/pdf")
    def quote_pdf(request: Request, quote_id: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_quote(quote_id, actor, ctx)
        with ctx.readers() as s:
            quote = quotes.get_quote(s, quote_id)
            pdf = quote_send.render_pdf_for(s, quote, ctx.send.domain)
            name = quote.number
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})

    @r.post("/quotes/{quote_id}/send")
    async def send(request: Request, quote_id: int, actor: PageActor, ctx: Ctx) -> Response:
        """The standard text as the sender edited it for this sending (the template stays as it is)."""
        owned_quote(quote_id, actor, ctx)
        form = await request.form()
        subject, body = str(form.get("subject") or ""), str(form.get("body") or "")

        def work() -> Response:
            try:
                with ctx.sessions.begin() as s:
                    quote_send.send_quote(s, ctx.send, quote_id, actor.label, ctx.clock, subject=subject, body=body)
            except QuotemailError as exc:
                with ctx.readers() as s:
                    return quote_page(request, s, quote_id, from_error(exc).status, request.app.state.pages.explain(request, exc),
                                      typed=(subject, body))
            if ctx.feed is not None:
                ctx.feed.wake()
            return see_other(f"/quotes/{quote_id}?flash=quote_sent")

        return await anyio.to_thread.run_sync(work)

    return r


def _ctx(request: Request) -> Any:
    return request.app.state.api
