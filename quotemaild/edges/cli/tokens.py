"""`quotemaild token ...`: API tokens of a tenant (shown once, stored hashed, revocable)."""

from __future__ import annotations

import click
from sqlalchemy import select

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.tables import Column, table
from quotemaild.services.identity import ROLES, create_token, list_tokens, revoke_token, token_view
from quotemaild.services.tenants import get_tenant
from quotemaild.store.models import Tenant


@click.group()
def token() -> None:
    """Manage API tokens (Authorization: Bearer <token>)."""


@token.command("create")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--name", required=True, help="What uses the token (e.g. invoicing).")
@click.option("--role", type=click.Choice(ROLES), default="seller", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def token_create(app: AppContext, tenant_slug: str, name: str, role: str, as_json: bool) -> None:
    """Create a token; its secret is printed once and cannot be shown again."""
    with app.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        row, secret = create_token(session, tenant, name, role, app.actor, app.clock)
        view = {**token_view(row, tenant.slug), "token": secret}
    emit(view, as_json, lambda v: f"token {v['id']} ({v['name']}, {v['role']}) for {v['tenant']}:\n{v['token']}\n"
                                  "(store it now: it is not shown again)")


@token.command("list")
@click.option("--tenant", "tenant_slug", metavar="SLUG")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def token_list(app: AppContext, tenant_slug: str | None, as_json: bool) -> None:
    """List tokens (never their secrets)."""
    with app.reading() as session:
        tenant_id = get_tenant(session, tenant_slug).id if tenant_slug else None
        slugs = {tid: slug for tid, slug in session.execute(select(Tenant.id, Tenant.slug))}
        views = [token_view(t, slugs.get(t.tenant_id)) for t in list_tokens(session, tenant_id)]
    emit(views, as_json, lambda vs: table(vs, TOKEN_COLUMNS, "(no tokens)",
                                          tenant=None if tenant_slug else (lambda v: v["tenant"])))


TOKEN_COLUMNS = [
    Column("ID", lambda v: v["id"], right=True, width=5),
    Column("NAME", lambda v: v["name"]),
    Column("ROLE", lambda v: v["role"]),
    Column("PREFIX", lambda v: f"{v['prefix']}…"),
    Column("STATE", lambda v: f"revoked {v['revoked_at']}" if v["revoked_at"]
           else f"last used {v['last_used_at'] or 'never'}"),
]


@token.command("revoke")
@click.argument("token_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def token_revoke(app: AppContext, token_id: int, as_json: bool) -> None:
    """Revoke a token: it stops working at once."""
    with app.transaction() as session:
        view = token_view(revoke_token(session, token_id, app.clock))
    emit(view, as_json, lambda v: f"token {v['id']} ({v['name']}) revoked")


def register(cli: click.Group) -> None:
    cli.add_command(token)
