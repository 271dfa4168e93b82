"""What every route gets: the store (a read session or a unit of work), the actor, CSRF checks.

    ApiContext    built once by the daemon (sessions, clock, signer, send settings, event feed)
    Reader        a read-only session (never takes SQLite's write lock): for GETs
    UoW           a session in a transaction, committed when the route returns without error
    CurrentActor  from `Authorization: Bearer <token>`, else the session cookie; 401 otherwise.
                  Tenant scoping happens here, once: the actor carries the tenant, and the
                  `Owned*` ids below answer 404 for any id outside it (never 403: another
                  tenant's ids must not be distinguishable from ids that do not exist)
    AdminActor    the same, with role admin (403 otherwise)
    OptionalActor for pages: None when nobody is logged in (redirect to the login form)
    csrf          on a cookie request that changes state (not GET/HEAD/OPTIONS): the request must
                  not come from another site (Sec-Fetch-Site) and must echo the session's CSRF
                  token as `X-CSRF-Token` header or as a `csrf` form field. Bearer requests carry
                  no ambient authority and are not checked.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.edges.http.problems import Problem
from quotemaild.errors import NotAuthenticated, NotFound
from quotemaild.services import identity, web_sessions
from quotemaild.services.identity import Actor
from quotemaild.services.send import SendSettings
from quotemaild.services.web_sessions import COOKIE_NAME, CookieSigner
from quotemaild.store.models import ApiToken, Attachment, Contact, Message, OutboxMessage, Quote, QuoteRequest, User

MAX_ID = 2**53  # ids beyond this are not ours: 404 without asking the store (SQLite ints are 64-bit)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class ApiContext:
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]
    clock: Clock
    cookies: CookieSigner
    send: SendSettings
    max_upload: int  # bytes, all files of one request together
    secure_cookies: bool
    feed: Any = None  # edges.http.feed.EventFeed; Any to keep the import light
    config: Any = None


def get_ctx(request: Request) -> ApiContext:
    return request.app.state.api  # type: ignore[no-any-return]


Ctx = Annotated[ApiContext, Depends(get_ctx)]


def get_reader(ctx: Ctx) -> Iterator[Session]:
    with ctx.readers() as session:
        yield session


def get_uow(ctx: Ctx) -> Iterator[Session]:
    with ctx.sessions.begin() as session:
        yield session
    if ctx.feed is not None:
        ctx.feed.wake()  # committed: open event streams look now, not at their next poll


Reader = Annotated[Session, Depends(get_reader, scope="function")]
UoW = Annotated[Session, Depends(get_uow, scope="function")]

bearer = HTTPBearer(auto_error=False, description="An API token: `quotemaild token create`")
cookie = APIKeyCookie(name=COOKIE_NAME, auto_error=False, description="The web app's session cookie")


@dataclass(frozen=True)
class Resolved:
    actor: Actor
    csrf: str | None  # set when the actor came from a session cookie


def resolve_actor(
    ctx: Ctx,
    cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    sid: Annotated[str | None, Depends(cookie)],
) -> Resolved:
    """Token first, then cookie. Opens and closes its own sessions, so a stream may use it."""
    if cred is not None:
        with ctx.readers() as s:
            actor, stale = identity.verify_token(s, cred.credentials, ctx.clock)
        if stale:
            with ctx.sessions.begin() as s:
                identity.touch_token(s, actor.token_id or 0, ctx.clock.now())
        return Resolved(actor, None)
    if sid:
        with ctx.readers() as s:
            found = web_sessions.resolve(s, ctx.cookies, sid, ctx.clock)
        if found is not None:
            return Resolved(found[1], found[0].csrf)
    raise NotAuthenticated("log in, or send Authorization: Bearer <token>")


async def current_actor(request: Request, resolved: Annotated[Resolved, Depends(resolve_actor)]) -> Actor:
    request.state.actor = resolved.actor
    request.state.csrf = resolved.csrf
    if resolved.csrf is not None and request.method not in SAFE_METHODS:
        await check_csrf(request, resolved.csrf)
    return resolved.actor


async def check_csrf(request: Request, expected: str) -> None:
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise Problem(403, "cross-origin", "a request from another site may not use the session cookie")
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get("csrf") or "")  # Starlette keeps the parsed form for the route
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Problem(403, "csrf", "missing or wrong CSRF token (X-CSRF-Token header or csrf field)")


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def optional_actor(
    request: Request, ctx: Ctx,
    cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    sid: Annotated[str | None, Depends(cookie)],
) -> Actor | None:
    """For pages: None instead of a 401 when nobody is logged in (then redirect to the login
    form); a valid cookie gets the same CSRF check as `CurrentActor`."""
    if cred is None and not sid:
        return None
    try:
        resolved = await run_in_threadpool(resolve_actor, ctx, cred, sid)
    except NotAuthenticated:
        return None
    return await current_actor(request, resolved)


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


def admin_actor(actor: CurrentActor) -> Actor:
    actor.require_admin("this action")
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _owned(ctx: ApiContext, actor: Actor, what: str, key: int, query: Any) -> int:
    with ctx.readers() as s:
        tenant_id = s.scalar(query)
    if tenant_id != actor.tenant_id:
        raise NotFound(what, key)
    return key


def owned_request(request_id: Id, actor: CurrentActor, ctx: Ctx) -> int:
    return _owned(ctx, actor, "request", request_id,
                  select(QuoteRequest.tenant_id).where(QuoteRequest.id == request_id))


def owned_contact(contact_id: Id, actor: CurrentActor, ctx: Ctx) -> int:
    return _owned(ctx, actor, "contact", contact_id, select(Contact.tenant_id).where(Contact.id == contact_id))


def owned_quote(quote_id: Id, actor: CurrentActor, ctx: Ctx) -> int:
    return _owned(ctx, actor, "quote", quote_id, select(Quote.tenant_id).where(Quote.id == quote_id))


def owned_message(message_id: Id, actor: CurrentActor, ctx: Ctx) -> int:
    return _owned(ctx, actor, "message", message_id, select(Message.tenant_id).where(Message.id == message_id))


def owned_attachment(attachment_id: Id, actor: CurrentActor, ctx: Ctx) -> int:
    return _owned(ctx, actor, "attachment", attachment_id, select(Message.tenant_id)
                  .join(Attachment, Attachment.message_pk == Message.id).where(Attachment.id == attachment_id))


def owned_user(user_id: Id, actor: CurrentActor, ctx: Ctx) -> int:
    return _owned(ctx, actor, "user", user_id, select(User.tenant_id).where(User.id == user_id))


def owned_token(token_id: Id, actor: CurrentActor, ctx: Ctx) -> int:
    return _owned(ctx, actor, "token", token_id, select(ApiToken.tenant_id).where(ApiToken.id == token_id))


def owned_outbox(outbox_id: Id, actor: CurrentActor, ctx: Ctx) -> int:
    return _owned(ctx, actor, "outbox message", outbox_id,
                  select(OutboxMessage.tenant_id).where(OutboxMessage.id == outbox_id))


OwnedRequest = Annotated[int, Depends(owned_request)]
OwnedContact = Annotated[int, Depends(owned_contact)]
OwnedQuote = Annotated[int, Depends(owned_quote)]
OwnedMessage = Annotated[int, Depends(owned_message)]
OwnedAttachment = Annotated[int, Depends(owned_attachment)]
OwnedUser = Annotated[int, Depends(owned_user)]
OwnedToken = Annotated[int, Depends(owned_token)]
OwnedOutbox = Annotated[int, Depends(owned_outbox)]
