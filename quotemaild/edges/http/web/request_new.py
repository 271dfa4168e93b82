"""/requests/new — a request typed in by hand, e.g. after a phone call (seed 000, method 2:
"+ Offerteaanvraag toevoegen"): a subject, what the customer asked, and either an existing
contact or just the customer's name (to turn into a prospect or customer later).

The form posts to /requests, which calls `request_contacts.create_manual` like the JSON API's
`POST /api/v1/requests` and the CLI's `request create`, then answers 303 to the new request.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from quotemaild.edges.http.deps import Ctx
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.errors import QuotemailError
from quotemaild.services import request_contacts
from quotemaild.services.contacts import list_contacts
from quotemaild.store.models import Tenant

MAX_CONTACTS = 500  # the choice list; a longer book is searched on the contacts page


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def form(request: Request, ctx: Ctx, tenant_id: int, status: int = 200, error: str | None = None,
             **typed: object) -> Response:
        with ctx.readers() as s:
            contacts = list_contacts(s, tenant_id, limit=MAX_CONTACTS)
        return request.app.state.pages.render(request, "request_new.html", status, section="inbox",
                                              contacts=contacts, error=error, typed=typed)

    @r.get("/requests/new")
    def new_request(request: Request, actor: PageActor, ctx: Ctx) -> Response:
        return form(request, ctx, actor.tenant_id)

    @r.post("/requests")
    async def create(request: Request, actor: PageActor, ctx: Ctx,
                     subject: Annotated[str, Form(max_length=998)] = "",
                     body: Annotated[str, Form(max_length=100_000)] = "",
                     contact_id: Annotated[str, Form(max_length=20)] = "",
                     customer_name: Annotated[str, Form(max_length=200)] = "") -> Response:
        chosen = int(contact_id) if contact_id.strip().isdigit() else None
        name = customer_name.strip() or None
        if chosen is not None:
            name = None  # a chosen contact wins over a typed name (the form offers both)

        def work() -> Response:
            try:
                with ctx.sessions.begin() as s:
                    created = request_contacts.create_manual(
                        s, s.get_one(Tenant, actor.tenant_id), subject=subject, body=body, contact_id=chosen,
                        customer_name=name, actor=actor.label, clock=ctx.clock, domain=ctx.send.domain)
                    new_id = created.id
            except QuotemailError as exc:
                return form(request, ctx, actor.tenant_id, from_error(exc).status, str(exc), subject=subject,
                            body=body, contact_id=chosen, customer_name=customer_name)
            if ctx.feed is not None:
                ctx.feed.wake()
            return see_other(f"/requests/{new_id}?flash=request_created")

        return await anyio.to_thread.run_sync(work)

    return r
