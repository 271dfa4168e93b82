"""/requests/{id}: one request's conversation, facts, timeline, and the seller's actions on it.

GET renders the page from a read session; marking the request read for this user is written
after the response is sent (`read_marks.py`). Each action is a form POST
that calls the one service the JSON API's twin route calls and answers 303 back to the page
with a flash code; a refused action (bad input, a move the workflow forbids) renders the page
again with the reason, and nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from quotemaild.domain.status import Status, event_for_target
from quotemaild.edges.http.deps import Ctx, owned_request
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.web import views
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.edges.http.web.read_marks import ReadMarks
from quotemaild.edges.http.web.render import human_size
from quotemaild.errors import InvalidInput, NotFound, QuotemailError
from quotemaild.mail.compose import OutboundAttachment
from quotemaild.services import inbox, outbox, reply, request_contacts, requests, robot_answers
from quotemaild.services.request_neighbours import neighbours
from quotemaild.services.conversation_view import message_extras
from quotemaild.services.identity import Actor
from quotemaild.services.users import list_users
from quotemaild.store.models import Message

MAX_FILES = 20


def allowed_moves(status: str, previous: str | None) -> list[str]:
    """The statuses a seller may pick by hand from here, as the workflow rules say."""
    out = []
    for target in Status:
        if target.value in (status, Status.CANCELLED.value):
            continue
        try:
            event_for_target(status, target.value, previous)
        except QuotemailError:
            continue
        out.append(target.value)
    return out


def page_context(request: Request, session: Session, actor: Actor, request_id: int,
                 detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the request page shows (`detail`: the request as opened, if done already)."""
    pages = request.app.state.pages
    if detail is None:
        detail = inbox.open_request(session, actor, request_id)
    api = request.app.state.api
    extras = message_extras(session, request_id, api.config is not None and api.config.outbound.smarthost is not None)
    for message in detail["messages"]:
        message.update(extras.get(message["id"], {}))
    gettext: views.Gettext = lambda message, **kw: pages.gettext(request, message, **kw)  # noqa: E731
    env = pages.env
    status_name = lambda code: env.globals["status_name"]({"lang": request.state.lang}, code)  # noqa: E731
    conversation = views.conversation(detail, gettext)
    me = request.state.web_user
    users = list_users(session, actor.tenant_id)
    detail["assignee_name"] = next((u.name for u in users if u.email == detail.get("assignee")), None)
    return {
        "section": "inbox",
        "req": detail,
        "conversation": conversation,
        "first_in": views.first_inbound(conversation),
        "timeline": [{**e, "text": views.timeline_text(e, gettext, status_name)} for e in detail["timeline"]],
        "contact": detail.get("contact"),
        "contacts": [] if detail.get("contact") else request_contacts.link_choices(session, actor.tenant_id),
        "users": users,
        "quotes": [{**q, "state": q["status"], "total": q["total_incl"]} for q in detail.get("quotes", [])],
        "moves": allowed_moves(detail["status"], detail.get("previous_status")),
        "reply_text": views.reply_text(me.tenant_language, detail.get("requester_name")),
        "nav": neighbours(session, actor.tenant_id, request_id),
        "others": request.app.state.presence.others(actor.tenant_id, request_id, me.id, dt.datetime.now(dt.UTC)),
    }


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/requests/{request_id}")
    def request_view(request: Request, request_id: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_request(request_id, actor, ctx)
        me = request.state.web_user
        request.app.state.presence.ping(actor.tenant_id, request_id, me.id, me.name, dt.datetime.now(dt.UTC))
        with ctx.readers() as s:  # no write here: the read mark follows the response
            detail, mark = inbox.open_request_deferred(s, actor, request_id)
            context = page_context(request, s, actor, request_id, detail)
        response = request.app.state.pages.render(request, "request.html", **context)
        if mark is not None:
            marks: ReadMarks = request.app.state.read_marks
            response.background = BackgroundTask(marks.record, ctx.sessions, ctx.clock, mark, marks.schedule(mark))
        return response

    def act(request: Request, ctx: Ctx, actor: Actor, request_id: int, flash: str,
            work: Callable[[Session], object], open_form: str = "", to: str | None = None) -> Response:
        owned_request(request_id, actor, ctx)
        try:
            with ctx.sessions.begin() as s:
                work(s)
        except QuotemailError as exc:
            with ctx.readers() as s:
                context = page_context(request, s, actor, request_id)
            status = from_error(exc).status  # the API's table: 403, 404, 409, 422...
            return request.app.state.pages.render(request, "request.html", status,
                                                  error=request.app.state.pages.explain(request, exc),
                                                  open_form=open_form, **context)
        if ctx.feed is not None:
            ctx.feed.wake()
        return see_other(to or f"/requests/{request_id}?flash={flash}")

    @r.post("/requests/{request_id}/presence")
    def presence(request: Request, request_id: int, actor: PageActor, ctx: Ctx,
                 typing: Annotated[bool, Form()] = False) -> JSONResponse:
        """The page's script says "still here" (and whether its reply box is being typed in);
        the answer names the other users on this request."""
        owned_request(request_id, actor, ctx)
        me = request.state.web_user
        now = dt.datetime.now(dt.UTC)
        request.app.state.presence.ping(actor.tenant_id, request_id, me.id, me.name, now, typing)
        return JSONResponse(request.app.state.presence.others(actor.tenant_id, request_id, me.id, now))

    @r.post("/requests/{request_id}/notes")
    def note(request: Request, request_id: int, actor: PageActor, ctx: Ctx,
             body: Annotated[str, Form(max_length=20000)] = "") -> Response:
        return act(request, ctx, actor, request_id, "note_added",
                   lambda s: requests.add_note(s, request_id, body, actor.label, ctx.clock), "note")

    @r.post("/requests/{request_id}/reply")
    async def reply_post(request: Request, request_id: int, actor: PageActor, ctx: Ctx,
                         body: Annotated[str, Form(max_length=200_000)] = "",
                         files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
        attachments = []
        total = 0
        for upload in (files or [])[:MAX_FILES]:
            if not upload.filename:
                continue  # the empty file input of a form without attachments
            data = await upload.read(ctx.max_upload + 1)
            total += len(data)
            if total > ctx.max_upload:
                raise InvalidInput("files", f"the attachments together exceed {ctx.max_upload} bytes",
                                   code="file_too_big", params={"max": human_size(ctx.max_upload)})
            attachments.append(OutboundAttachment(upload.filename, upload.content_type or "application/octet-stream",
                                                  data))
        queued: list[Any] = []

        def work(s: Session) -> None:
            queued.append(reply.reply_to_request(s, ctx.send, request_id, body, attachments, actor.label, ctx.clock))

        # Honest flash: without a smarthost the reply waits in the outbox (the page says why).
        flash = "reply_sent" if ctx.config is None or ctx.config.outbound.smarthost else "reply_queued"
        return await anyio.to_thread.run_sync(
            lambda: act(request, ctx, actor, request_id, flash, work, "reply"))

    @r.post("/requests/{request_id}/assign")
    def assign(request: Request, request_id: int, actor: PageActor, ctx: Ctx,
               assignee: Annotated[str, Form(max_length=320)] = "") -> Response:
        return act(request, ctx, actor, request_id, "assigned",
                   lambda s: requests.assign(s, request_id, assignee or None, actor.label, ctx.clock))

    @r.post("/requests/{request_id}/status")
    def status(request: Request, request_id: int, actor: PageActor, ctx: Ctx,
               status: Annotated[str, Form(max_length=40)] = "") -> Response:
        return act(request, ctx, actor, request_id, "status_changed",
                   lambda s: requests.set_status(s, request_id, status, actor.label, ctx.clock))

    @r.post("/requests/{request_id}/requester")
    def requester(request: Request, request_id: int, actor: PageActor, ctx: Ctx,
                  email: Annotated[str, Form(max_length=320)] = "",
                  name: Annotated[str, Form(max_length=200)] = "") -> Response:
        return act(request, ctx, actor, request_id, "requester_changed",
                   lambda s: requests.set_requester(s, request_id, email, name or None, actor.label, ctx.clock))

    @r.post("/requests/{request_id}/contact")
    def link(request: Request, request_id: int, actor: PageActor, ctx: Ctx,
             contact_id: Annotated[int, Form(ge=1)]) -> Response:
        def work(s: Session) -> None:
            requests.get_request(s, request_id)
            request_contacts.link_contact(s, request_id, contact_id, actor.label, ctx.clock)

        return act(request, ctx, actor, request_id, "contact_linked", work)

    @r.post("/requests/{request_id}/prospect")
    def prospect(request: Request, request_id: int, actor: PageActor, ctx: Ctx) -> Response:
        return act(request, ctx, actor, request_id, "prospect_created",
                   lambda s: request_contacts.create_prospect(s, request_id, actor.label, ctx.clock))

    @r.post("/requests/{request_id}/messages/{message_id}/verdict")
    def verdict(request: Request, request_id: int, message_id: int, actor: PageActor, ctx: Ctx,
                verdict: Annotated[str, Form(max_length=10)] = "") -> Response:
        """A customer's mail taken for an automatic answer, or the other way round
        (`POST /api/v1/messages/{id}/verdict`, the CLI's `message verdict`)."""
        def work(s: Session) -> None:
            message = s.get(Message, message_id)
            if message is None or message.request_id != request_id:
                raise NotFound("message", str(message_id))
            robot_answers.correct_verdict(s, message_id, verdict, actor.label, ctx.clock.now())

        return act(request, ctx, actor, request_id, "verdict_corrected", work)

    @r.post("/requests/{request_id}/outbox/{outbox_id}/retry")
    def send_again(request: Request, request_id: int, outbox_id: int, actor: PageActor, ctx: Ctx) -> Response:
        """Our mail that failed (or waits after a failed attempt) gets an attempt now."""
        return act(request, ctx, actor, request_id, "sent_again",
                   lambda s: outbox.retry_on_request(s, request_id, outbox_id, ctx.clock.now()))

    @r.post("/requests/{request_id}/unread")
    def unread(request: Request, request_id: int, actor: PageActor, ctx: Ctx) -> Response:
        if actor.user_id is not None:  # a read mark of this page still on its way must not win
            request.app.state.read_marks.cancel(actor.user_id, request_id)
        return act(request, ctx, actor, request_id, "marked_unread",
                   lambda s: inbox.mark_unread(s, actor, request_id), to="/?flash=marked_unread")

    @r.post("/requests/{request_id}/delete")
    def delete(request: Request, request_id: int, actor: PageActor, ctx: Ctx,
               confirm: Annotated[str, Form()] = "") -> Response:
        def work(s: Session) -> None:
            actor.require_admin("delete a request")
            if confirm != "yes":
                raise InvalidInput("confirm", "tick the box: deleting cannot be undone", code="delete_confirm")
            requests.delete_request(s, request_id, actor.label, ctx.clock)

        return act(request, ctx, actor, request_id, "deleted", work, to="/?flash=deleted")

    return r
