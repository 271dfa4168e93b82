"""What a seller does with a quote after building it: record the customer's answer given by phone
or mail (accept, reject), make a new version of a sent quote, copy a quote, delete a draft.

Each is a form POST calling the service its JSON twin calls (`POST /api/v1/quotes/{id}/accept`,
`/reject`, `/versions`, `/duplicate`, `DELETE /api/v1/quotes/{id}`), answering 303 with a flash
code; a refused action renders the quote page again with the reason and nothing stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from quotemaild.edges.http.deps import Ctx, owned_quote
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.errors import InvalidInput, QuotemailError
from quotemaild.services import quote_manage
from quotemaild.services.identity import Actor
from quotemaild.services.quotes import decide_quote, get_quote

# Which buttons the quote page offers in which state (the services decide; this only hides
# buttons that would certainly be refused).
DECIDABLE = ("queued", "sent", "expired")
VERSIONABLE = ("sent", "expired", "rejected")


def router(show_quote: Callable[..., Response]) -> APIRouter:
    """`show_quote(request, session, quote_id, status, error)` renders the quote page."""
    r = APIRouter(include_in_schema=False)

    def act(request: Request, ctx: Ctx, actor: Actor, quote_id: int, work: Callable[[Session], str]) -> Response:
        owned_quote(quote_id, actor, ctx)
        try:
            with ctx.sessions.begin() as s:
                to = work(s)
        except QuotemailError as exc:
            with ctx.readers() as s:
                return show_quote(request, s, quote_id, from_error(exc).status, str(exc))
        if ctx.feed is not None:
            ctx.feed.wake()
        return see_other(to)

    @r.post("/quotes/{quote_id}/accept")
    def accept(request: Request, quote_id: int, actor: PageActor, ctx: Ctx) -> Response:
        def work(s: Session) -> str:
            decide_quote(s, quote_id, "accept", actor.label, ctx.clock, actor.tenant_id)
            return f"/quotes/{quote_id}?flash=quote_accepted"

        return act(request, ctx, actor, quote_id, work)

    @r.post("/quotes/{quote_id}/reject")
    def reject(request: Request, quote_id: int, actor: PageActor, ctx: Ctx) -> Response:
        def work(s: Session) -> str:
            decide_quote(s, quote_id, "reject", actor.label, ctx.clock, actor.tenant_id)
            return f"/quotes/{quote_id}?flash=quote_rejected"

        return act(request, ctx, actor, quote_id, work)

    @r.post("/quotes/{quote_id}/versions")
    def new_version(request: Request, quote_id: int, actor: PageActor, ctx: Ctx) -> Response:
        def work(s: Session) -> str:
            copy = quote_manage.new_version(s, quote_id, actor.label, ctx.clock)
            return f"/quotes/{copy.id}/edit?flash=quote_copied"

        return act(request, ctx, actor, quote_id, work)

    @r.post("/quotes/{quote_id}/duplicate")
    def duplicate(request: Request, quote_id: int, actor: PageActor, ctx: Ctx) -> Response:
        def work(s: Session) -> str:
            copy = quote_manage.duplicate(s, quote_id, actor.label, ctx.clock)
            return f"/quotes/{copy.id}/edit?flash=quote_copied"

        return act(request, ctx, actor, quote_id, work)

    @r.post("/quotes/{quote_id}/delete")
    def delete(request: Request, quote_id: int, actor: PageActor, ctx: Ctx,
               confirm: Annotated[str, Form()] = "") -> Response:
        def work(s: Session) -> str:
            if confirm != "yes":
                raise InvalidInput("confirm", "tick the box: deleting a draft cannot be undone")
            request_id = get_quote(s, quote_id).request_id
            quote_manage.delete_draft(s, quote_id, actor.label, ctx.clock)
            return f"/requests/{request_id}?flash=quote_deleted" if request_id else "/quotes?flash=quote_deleted"

        return act(request, ctx, actor, quote_id, work)

    return r
