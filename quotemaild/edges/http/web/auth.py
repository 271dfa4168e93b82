"""Who is looking at a page: the session cookie -> the user, their language and CSRF token.

Pages need a different answer than the API when nobody is logged in: a redirect to /login (with
the page to come back to), not a 401 problem. The session itself is the API's (`web_sessions`):
the same cookie works for the pages and for the JSON the pages' scripts fetch.

Also the routes of the login form, logout and the language picker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from quotemaild.edges.http.deps import SAFE_METHODS, Ctx, check_csrf, cookie
from quotemaild.edges.http.sessions import clear_session_cookie, do_login, do_logout, set_session_cookie
from quotemaild.edges.http.web.i18n import LANGUAGES, pick_language
from quotemaild.edges.http.web.render import N_
from quotemaild.errors import InvalidInput, NotAuthenticated, Throttled
from quotemaild.services import web_sessions
from quotemaild.services.identity import Actor
from quotemaild.store.models import Tenant, User

SEE_OTHER = 303


class LoginRequired(Exception):
    """No valid session on a page: answered with a redirect to /login?next=<page>."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True)
class WebUser:
    """What the layout shows of the user (name, tenant) and what the pages decide on (role)."""

    id: int
    name: str
    email: str
    language: str | None
    tenant_id: int
    tenant_name: str
    tenant_slug: str
    tenant_language: str
    is_admin: bool


def safe_next(value: str | None) -> str:
    """Only a path on this site: no scheme, no host, no `//evil` (an open redirect otherwise)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=SEE_OTHER)


async def page_actor(request: Request, ctx: Ctx, sid: Annotated[str | None, Depends(cookie)]) -> Actor:
    """The logged-in user of a page; CSRF checked on every POST (form field `csrf`)."""
    found = None
    if sid:
        with ctx.readers() as s:
            found = web_sessions.resolve(s, ctx.cookies, sid, ctx.clock)
            if found is not None:
                user, tenant = s.execute(
                    select(User, Tenant).join(Tenant, Tenant.id == User.tenant_id).where(User.id == found[1].user_id)
                ).one()
                request.state.web_user = WebUser(
                    user.id, user.name, user.email, user.language, tenant.id, tenant.name, tenant.slug,
                    tenant.language, found[1].is_admin,
                )
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method in SAFE_METHODS else "/")
    web, actor = found
    request.state.actor = actor
    request.state.csrf = web.csrf
    request.state.lang = pick_language(request.state.web_user.language, request.headers.get("accept-language"))
    if request.method not in SAFE_METHODS:
        await check_csrf(request, web.csrf)
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


def browser_language(request: Request) -> str:
    chosen = request.query_params.get("lang")
    return pick_language(chosen if chosen in LANGUAGES else None, request.headers.get("accept-language"))


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/login")
    def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the form's field
        request.state.lang = browser_language(request)
        return request.app.state.pages.render(request, "login.html", next=safe_next(next))

    @r.post("/login")
    def login_submit(
        request: Request, ctx: Ctx,
        email: Annotated[str, Form(max_length=320)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
    ) -> Response:
        request.state.lang = browser_language(request)
        pages = request.app.state.pages
        try:
            opened = do_login(ctx, request, email, password, None)
        except Throttled as exc:
            return pages.render(request, "login.html", 429, next=safe_next(next), email=email, error_lead=False,
                                error=pages.gettext(request, N_("Too many failed attempts. Try again in %(s)s seconds."),
                                                    s=exc.retry_after))
        except (NotAuthenticated, InvalidInput):
            return pages.render(request, "login.html", 401, next=safe_next(next), email=email, error_lead=False,
                                error=pages.gettext(request, N_("Wrong e-mail address or password.")))
        response = see_other(safe_next(next))
        set_session_cookie(response, ctx, opened)
        return response

    @r.post("/logout")
    def logout(actor: PageActor, ctx: Ctx, sid: Annotated[str | None, Depends(cookie)]) -> Response:
        do_logout(ctx, sid)
        response = see_other("/login?flash=logged_out")
        clear_session_cookie(response, ctx)
        return response

    @r.post("/me/language")
    def set_language(
        request: Request, actor: PageActor, ctx: Ctx,
        language: Annotated[str, Form()], next: Annotated[str, Form()] = "/",  # noqa: A002
    ) -> Response:
        if language not in LANGUAGES:
            raise InvalidInput("language", f"one of {', '.join(LANGUAGES)}")
        with ctx.sessions.begin() as s:
            s.get_one(User, actor.user_id).language = language
        return see_other(safe_next(next))

    return r


def login_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return see_other("/login?next=" + quote(exc.next_url, safe="/"))
