"""/settings (admin): the proposals address with forwarding help, the Gmail confirmation code,
sender mode, auto-reply, the standard e-mail texts per language with a preview, users, API
tokens and IMAP sources. Every change goes through the service the CLI's `tenant update`,
`template set` and `token create/revoke` use.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.edges.http.deps import Ctx
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.edges.http.web.i18n import LANGUAGES
from quotemaild.errors import InvalidInput, NotFound, QuotemailError
from quotemaild.mail.templates import KINDS, default_template, render_mail, sample_context, validate_template
from quotemaild.services import identity
from quotemaild.services.identity import Actor
from quotemaild.services.sources import list_sources, source_view
from quotemaild.services.templates import set_template
from quotemaild.services.tenants import TenantUpdate, update_tenant
from quotemaild.services.users import add_user, list_users
from quotemaild.services.web_sessions import end_user_sessions
from quotemaild.store.models import Tenant, TenantTemplate, User
from quotemaild.store.queries import list_messages


def _templates(session: Session, tenant_id: int) -> dict[tuple[str, str], str]:
    rows = session.scalars(select(TenantTemplate).where(TenantTemplate.tenant_id == tenant_id))
    return {(row.kind, row.language): row.text for row in rows}


def context(session: Session, actor: Actor, domain: str, kind: str, lang: str,
            draft: str | None = None) -> dict[str, Any]:
    tenant = session.get_one(Tenant, actor.tenant_id)
    overrides = _templates(session, tenant.id)
    text = draft if draft is not None else overrides.get((kind, lang)) or default_template(kind, lang)
    try:
        preview, preview_error = render_mail(kind, lang, sample_context(kind), override=text), None
    except QuotemailError as exc:
        preview, preview_error = None, str(exc)
    system = [m for m in list_messages(session, tenant.slug, kind="system", limit=10) if m["info"].get("system")]
    return {
        "section": "settings", "tenant": tenant, "address": f"{tenant.slug}@{domain}",
        "system_mail": system, "users": list_users(session, tenant.id),
        "tokens": identity.list_tokens(session, tenant.id),
        "sources": [source_view(src, slug) for src, slug in list_sources(session) if src.tenant_id == tenant.id],
        "kinds": KINDS, "kind": kind, "tlang": lang, "template_text": text, "customised": (kind, lang) in overrides,
        "preview": preview, "preview_error": preview_error, "template_languages": LANGUAGES,
    }


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(request: Request, ctx: Ctx, actor: Actor, status: int = 200, **extra: Any) -> Response:
        kind = extra.pop("kind", None) or request.query_params.get("kind", "ack")
        lang = extra.pop("tlang", None) or request.query_params.get("tlang") or request.state.web_user.tenant_language
        kind = kind if kind in KINDS else "ack"
        lang = lang if lang in LANGUAGES else "en"
        with ctx.readers() as s:
            data = context(s, actor, ctx.send.domain, kind, lang, extra.pop("draft", None))
        return request.app.state.pages.render(request, "settings.html", status, **data, **extra)

    @r.get("/settings")
    def settings(request: Request, actor: PageActor, ctx: Ctx) -> Response:
        actor.require_admin("settings")
        return page(request, ctx, actor)

    @r.post("/settings")
    def save(request: Request, actor: PageActor, ctx: Ctx,
             sender_mode: Annotated[str, Form()] = "tenant", auto_reply: Annotated[str, Form()] = "off",
             language: Annotated[str, Form()] = "nl",
             own_address: Annotated[str, Form(max_length=320)] = "") -> Response:
        actor.require_admin("settings")
        changes = TenantUpdate(language=language, auto_reply=auto_reply, sender_mode=sender_mode,
                               own_address=(own_address,) if own_address.strip() else ())
        try:
            with ctx.sessions.begin() as s:
                update_tenant(s, actor.tenant_slug, changes)
        except QuotemailError as exc:
            said = request.app.state.pages.explain(request, exc)
            return page(request, ctx, actor, from_error(exc).status, error=said)
        return see_other("/settings?flash=saved")

    @r.post("/settings/templates")
    def save_template(request: Request, actor: PageActor, ctx: Ctx,
                      kind: Annotated[str, Form()], tlang: Annotated[str, Form()],
                      text: Annotated[str, Form(max_length=20000)], action: Annotated[str, Form()] = "save") -> Response:
        actor.require_admin("settings")
        if action == "preview":
            return page(request, ctx, actor, kind=kind, tlang=tlang, draft=text)
        try:
            validate_template(kind, text)
            with ctx.sessions.begin() as s:
                set_template(s, s.get_one(Tenant, actor.tenant_id), kind, tlang, text, ctx.clock.now())
        except QuotemailError as exc:
            said = request.app.state.pages.explain(request, exc)
            return page(request, ctx, actor, 422, kind=kind, tlang=tlang, draft=text, error=said)
        return see_other(f"/settings?kind={kind}&tlang={tlang}&flash=saved#texts")

    @r.post("/settings/users")
    def add_seller(request: Request, actor: PageActor, ctx: Ctx,
                   name: Annotated[str, Form(max_length=200)], email: Annotated[str, Form(max_length=320)],
                   password: Annotated[str, Form(max_length=1024)], role: Annotated[str, Form()] = "seller") -> Response:
        """A new user who can log in (the CLI's `user add --password-file`)."""
        actor.require_admin("users")
        try:
            with ctx.sessions.begin() as s:
                user = add_user(s, s.get_one(Tenant, actor.tenant_id), name, email,
                                "admin" if role == "admin" else "seller", ctx.clock)
                identity.set_password(s, user, password)
        except QuotemailError as exc:
            said = request.app.state.pages.explain(request, exc)
            return page(request, ctx, actor, from_error(exc).status, error=said)
        return see_other("/settings?flash=saved#users")

    @r.post("/settings/users/{user_id}/password")
    def user_password(request: Request, user_id: int, actor: PageActor, ctx: Ctx,
                      password: Annotated[str, Form(max_length=1024)] = "") -> Response:
        """A new password for a user who forgot theirs (`PUT /api/v1/users/{id}/password`); their
        open sessions end."""
        actor.require_admin("setting another user's password")
        try:
            with ctx.sessions.begin() as s:
                user = s.get(User, user_id)
                if user is None or user.tenant_id != actor.tenant_id:
                    raise NotFound("user", user_id)
                identity.set_password(s, user, password)
                end_user_sessions(s, user.id)
        except InvalidInput as exc:
            return page(request, ctx, actor, 422, error=str(exc))
        return see_other("/settings?flash=password_set#users")

    @r.post("/settings/tokens")
    def create_token(request: Request, actor: PageActor, ctx: Ctx,
                     name: Annotated[str, Form(max_length=100)], role: Annotated[str, Form()] = "seller") -> Response:
        actor.require_admin("API tokens")
        try:
            with ctx.sessions.begin() as s:
                _, secret = identity.create_token(s, s.get_one(Tenant, actor.tenant_id), name, role, actor.label,
                                                  ctx.clock)
        except QuotemailError as exc:
            return page(request, ctx, actor, 422, error=request.app.state.pages.explain(request, exc))
        return page(request, ctx, actor, new_token=secret)  # shown once, never stored in clear

    @r.post("/settings/tokens/{token_id}/revoke")
    def revoke(request: Request, token_id: int, actor: PageActor, ctx: Ctx) -> Response:
        actor.require_admin("API tokens")
        with ctx.sessions.begin() as s:
            identity.revoke_token(s, token_id, ctx.clock, tenant_id=actor.tenant_id)
        return see_other("/settings?flash=saved#tokens")

    return r
