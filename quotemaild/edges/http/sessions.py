"""Logging in and out from a browser: what the login page and `POST /api/v1/auth/login` share.

    do_login(ctx, email, password, ...)   -> Opened (cookie value, csrf token, actor)
                                             raises Throttled (429), NotAuthenticated (401),
                                             InvalidInput (422); failures are committed, so the
                                             throttle counts them
    set_session_cookie(response, ctx, opened)
    do_logout(ctx, cookie_value); clear_session_cookie(response, ctx)
"""

from __future__ import annotations

from fastapi import Request, Response

from quotemaild.edges.http.deps import ApiContext
from quotemaild.errors import InvalidInput, NotAuthenticated
from quotemaild.services import web_sessions
from quotemaild.services.web_sessions import COOKIE_NAME, Opened


def client_address(request: Request) -> str:
    """The peer address. Behind a reverse proxy this is the proxy: see README, threat model."""
    return request.client.host if request.client else ""


def do_login(ctx: ApiContext, request: Request, email: str, password: str, tenant: str | None) -> Opened:
    session = ctx.sessions()
    try:
        session.begin()
        try:
            opened = web_sessions.login(session, ctx.cookies, email, password, ctx.clock, tenant_slug=tenant,
                                        address=client_address(request),
                                        user_agent=request.headers.get("user-agent", ""))
        except (NotAuthenticated, InvalidInput):
            session.commit()  # keep the failure count
            raise
        session.commit()
        return opened
    finally:
        session.close()


def set_session_cookie(response: Response, ctx: ApiContext, opened: Opened) -> None:
    max_age = int((opened.expires_at - ctx.clock.now()).total_seconds())
    response.set_cookie(COOKIE_NAME, opened.cookie, max_age=max_age, httponly=True, samesite="lax",
                        secure=ctx.secure_cookies, path="/")


def do_logout(ctx: ApiContext, cookie_value: str | None) -> None:
    if not cookie_value:
        return
    with ctx.sessions.begin() as s:
        web_sessions.logout(s, ctx.cookies, cookie_value)


def clear_session_cookie(response: Response, ctx: ApiContext) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=ctx.secure_cookies)
