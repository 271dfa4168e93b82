"""/me — the logged-in user's own account: who they are, and a new password. (An admin sets a
password for another user, one who forgot theirs, under /settings/users.)

Both call what `PUT /api/v1/users/{id}/password` and the CLI's `user set-password` call:
`identity.set_password`, then `end_user_sessions` (every open session of that user ends, this one
too when it is one's own: log in again with the new password). One's own change asks for the
current password first, so an unattended open browser cannot be used to take the account over.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from quotemaild.edges.http.deps import Ctx
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.sessions import clear_session_cookie
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.edges.http.web.render import N_
from quotemaild.errors import InvalidInput, NotAuthenticated, QuotemailError
from quotemaild.services import identity
from quotemaild.services.web_sessions import end_user_sessions
from quotemaild.store.models import Tenant, User


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(request: Request, status: int = 200, error: str | None = None, error_lead: bool = True) -> Response:
        return request.app.state.pages.render(request, "account.html", status, section="account", error=error,
                                              error_lead=error_lead)

    @r.get("/me")
    def account(request: Request, actor: PageActor) -> Response:
        return page(request)

    @r.post("/me/password")
    def own_password(request: Request, actor: PageActor, ctx: Ctx,
                     current: Annotated[str, Form(max_length=1024)] = "",
                     password: Annotated[str, Form(max_length=1024)] = "",
                     repeat: Annotated[str, Form(max_length=1024)] = "") -> Response:
        pages = request.app.state.pages
        if password != repeat:
            return page(request, 422, pages.gettext(request, N_("The two new passwords differ.")), False)
        try:
            with ctx.sessions.begin() as s:
                me = s.get_one(User, actor.user_id)
                tenant = s.get_one(Tenant, me.tenant_id)
                try:
                    identity.authenticate(s, me.email, current, tenant.slug)
                except NotAuthenticated:
                    raise InvalidInput("current", "the current password is not right") from None
                identity.set_password(s, me, password)
                end_user_sessions(s, me.id)
        except QuotemailError as exc:
            return page(request, from_error(exc).status, str(exc))
        response = see_other("/login?flash=password_changed")
        clear_session_cookie(response, ctx)
        return response

    return r
