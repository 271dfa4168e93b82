"""Log in and out with a session cookie (the web app), and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from quotemaild.edges.http.api.schemas import FORBIDDEN, LoginIn, LoginOut, MeOut, _problem
from quotemaild.edges.http.deps import Ctx, CurrentActor, cookie
from quotemaild.edges.http.sessions import clear_session_cookie, do_login, do_logout, set_session_cookie
from quotemaild.services.identity import Actor

router = APIRouter(prefix="/auth", tags=["auth"])


def _me(actor: Actor, csrf: str | None) -> dict[str, object]:
    return {"tenant_id": actor.tenant_id, "tenant": actor.tenant_slug, "role": actor.role, "user_id": actor.user_id,
            "token_id": actor.token_id, "label": actor.label, "email": actor.email, "csrf": csrf}


@router.post("/login", response_model=LoginOut, responses={429: _problem("Too many failed logins")})
def login(body: LoginIn, request: Request, response: Response, ctx: Ctx) -> dict[str, object]:
    """Check e-mail and password; set the session cookie (HttpOnly, SameSite=Lax) and return the CSRF token."""
    opened = do_login(ctx, request, body.email, body.password, body.tenant)
    set_session_cookie(response, ctx, opened)
    return {**_me(opened.actor, opened.csrf), "expires_at": opened.expires_at.isoformat()}


@router.post("/logout", status_code=204, responses=FORBIDDEN)
def logout(actor: CurrentActor, ctx: Ctx, sid: Annotated[str | None, Depends(cookie)]) -> Response:
    """End this browser session (the cookie stops working at once)."""
    do_logout(ctx, sid)
    response = Response(status_code=204)
    clear_session_cookie(response, ctx)
    return response


@router.get("/me", response_model=MeOut)
def me(actor: CurrentActor, request: Request) -> dict[str, object]:
    """Who the credentials belong to: tenant, role, user or token."""
    return _me(actor, getattr(request.state, "csrf", None))
