"""Tenant settings, mail templates, users and API tokens. Reading settings is for everyone of the
tenant; changing anything here needs the admin role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from quotemaild.edges.http.api.schemas import FORBIDDEN, Out, SettingsOut, TemplateOut, UserOut
from quotemaild.edges.http.deps import AdminActor, Ctx, CurrentActor, OwnedToken, OwnedUser, Reader, UoW
from quotemaild.mail.templates import KINDS, LANGUAGES, default_template, validate_template
from quotemaild.services import identity
from quotemaild.services.send import template_override
from quotemaild.services.templates import set_template
from quotemaild.services.tenants import TenantUpdate, update_tenant
from quotemaild.services.users import add_user, list_users, user_view
from quotemaild.services.web_sessions import end_user_sessions
from quotemaild.store.models import Tenant, User
from quotemaild.store.queries import tenant_view

router = APIRouter(tags=["settings"], responses=FORBIDDEN)
Kind = Annotated[str, Path(pattern="^(" + "|".join(KINDS) + ")$")]
Lang = Annotated[str, Path(pattern="^(" + "|".join(LANGUAGES) + ")$")]


class SettingsIn(BaseModel):
    language: str | None = Field(default=None, max_length=2, examples=["nl"])
    auto_reply: bool | None = None
    sender_mode: str | None = Field(default=None, max_length=10, examples=["tenant"])
    own_addresses: list[Annotated[str, Field(max_length=320)]] | None = Field(
        default=None, max_length=50, description="Replaces the list")
    own_domains: list[Annotated[str, Field(max_length=253)]] | None = Field(default=None, max_length=50)
    customer_number_format: str | None = Field(default=None, max_length=60)
    quote_number_format: str | None = Field(default=None, max_length=60)
    quote_validity_days: int | None = Field(default=None, ge=0, le=365)


class TemplateIn(BaseModel):
    text: str = Field(max_length=100_000, description="First line `Subject: ...`, a blank line, then the body")


class UserIn(BaseModel):
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    role: str = Field(default="seller", pattern="^(seller|admin)$")
    password: str | None = Field(default=None, max_length=1024, description="Lets the user log in")


class PasswordIn(BaseModel):
    password: str = Field(max_length=1024)


class TokenIn(BaseModel):
    name: str = Field(max_length=100, examples=["invoicing"])
    role: str = Field(default="seller", pattern="^(seller|admin)$")


class TokenOut(Out):
    id: int
    name: str
    role: str
    prefix: str = Field(examples=["qmd_Xy3kP0aB"], description="The first characters, to tell tokens apart")
    last_used_at: str | None
    revoked_at: str | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret: in this answer only, never shown again")


def _settings(db: Any, actor: Any, ctx: Ctx) -> dict[str, Any]:
    return tenant_view(db.get_one(Tenant, actor.tenant_id), ctx.send.domain)


@router.get("/settings", response_model=SettingsOut)
def get_settings(actor: CurrentActor, db: Reader, ctx: Ctx) -> dict[str, Any]:
    """The tenant's settings (as `tenant show --json`)."""
    return _settings(db, actor, ctx)


@router.patch("/settings", response_model=SettingsOut)
def patch_settings(body: SettingsIn, actor: AdminActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Change settings (admin); fields left out stay as they are."""
    replace_own = body.own_addresses is not None or body.own_domains is not None
    tenant = db.get_one(Tenant, actor.tenant_id)
    update_tenant(db, actor.tenant_slug, TenantUpdate(
        language=body.language, customer_number_format=body.customer_number_format,
        auto_reply=None if body.auto_reply is None else ("on" if body.auto_reply else "off"),
        sender_mode=body.sender_mode,
        own_address=tuple(body.own_addresses if body.own_addresses is not None else tenant.own_addresses if replace_own else ()),
        own_domain=tuple(body.own_domains if body.own_domains is not None else tenant.own_domains if replace_own else ()),
        clear_own=replace_own, quote_number_format=body.quote_number_format,
        quote_validity_days=body.quote_validity_days))
    return _settings(db, actor, ctx)


@router.get("/templates/{kind}/{language}", response_model=TemplateOut)
def get_template(kind: Kind, language: Lang, actor: CurrentActor, db: Reader) -> dict[str, Any]:
    """The text in effect for KIND in LANGUAGE (the tenant's own, or the built-in one)."""
    override = template_override(db, actor.tenant_id, kind, language)
    return {"kind": kind, "language": language, "custom": override is not None,
            "text": override or default_template(kind, language)}


@router.put("/templates/{kind}/{language}", response_model=TemplateOut)
def put_template(kind: Kind, language: Lang, body: TemplateIn, actor: AdminActor, db: UoW,
                 ctx: Ctx) -> dict[str, Any]:
    """Save the tenant's own text (admin); it is checked before it is saved."""
    validate_template(kind, body.text)
    set_template(db, db.get_one(Tenant, actor.tenant_id), kind, language, body.text, ctx.clock.now())
    return {"kind": kind, "language": language, "custom": True, "text": body.text}


@router.get("/users", response_model=list[UserOut])
def users(actor: CurrentActor, db: Reader) -> list[dict[str, Any]]:
    """The tenant's users (sellers see them too: they assign requests to each other)."""
    return [{**user_view(u), "can_log_in": u.password_hash is not None} for u in list_users(db, actor.tenant_id)]


@router.post("/users", status_code=201, response_model=UserOut)
def create_user(body: UserIn, actor: AdminActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Add a user (admin); with a password the user can log in."""
    user = add_user(db, db.get_one(Tenant, actor.tenant_id), body.name, body.email, body.role, ctx.clock)
    if body.password is not None:
        identity.set_password(db, user, body.password)
    return {**user_view(user), "can_log_in": user.password_hash is not None}


@router.put("/users/{user_id}/password", status_code=204)
def set_password(user_id: OwnedUser, body: PasswordIn, actor: CurrentActor, db: UoW) -> Response:
    """Set a password (admin for anyone of the tenant, a user for themself); that user's sessions end."""
    user = db.get_one(User, user_id)
    if actor.user_id != user_id:
        actor.require_admin("setting another user's password")
    identity.set_password(db, user, body.password)
    end_user_sessions(db, user.id)
    return Response(status_code=204)


@router.get("/tokens", response_model=list[TokenOut])
def tokens(actor: AdminActor, db: Reader) -> list[dict[str, Any]]:
    """The tenant's API tokens (never their secrets)."""
    return [identity.token_view(t, actor.tenant_slug) for t in identity.list_tokens(db, actor.tenant_id)]


@router.post("/tokens", status_code=201, response_model=TokenCreatedOut)
def create_token(body: TokenIn, actor: AdminActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """A new token; its secret is in this answer only."""
    row, secret = identity.create_token(db, db.get_one(Tenant, actor.tenant_id), body.name, body.role,
                                        actor.label, ctx.clock)
    return {**identity.token_view(row, actor.tenant_slug), "token": secret}


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: OwnedToken, actor: AdminActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Revoke a token: it stops working at once."""
    return identity.token_view(identity.revoke_token(db, token_id, ctx.clock, actor.tenant_id), actor.tenant_slug)
