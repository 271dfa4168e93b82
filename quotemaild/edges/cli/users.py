"""`quotemaild user ...`: the people of a tenant who work its requests."""

from __future__ import annotations

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.tables import Column, table
from quotemaild.services.tenants import get_tenant
from quotemaild.services.users import DEFAULT_ROLE, add_user, list_users, user_view


@click.group()
def user() -> None:
    """Manage the users (sellers) of a tenant."""


@user.command("add")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--role", default=DEFAULT_ROLE, show_default=True, help="Free word: seller, admin, ...")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def user_add(app: AppContext, tenant_slug: str, name: str, email: str, role: str, as_json: bool) -> None:
    """Add a user to a tenant."""
    with app.transaction() as session:
        view = user_view(add_user(session, get_tenant(session, tenant_slug), name, email, role, app.clock))
    emit(view, as_json, lambda v: f"user {v['id']} {v['email']} ({v['role']}) added")


@user.command("list")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def user_list(app: AppContext, tenant_slug: str, as_json: bool) -> None:
    """List a tenant's users."""
    with app.reading() as session:
        views = [user_view(u) for u in list_users(session, get_tenant(session, tenant_slug).id)]
    emit(views, as_json, lambda vs: table(vs, USER_COLUMNS, "(no users)"))


USER_COLUMNS = [
    Column("ID", lambda v: v["id"], right=True, width=5),
    Column("EMAIL", lambda v: v["email"]),
    Column("ROLE", lambda v: v["role"]),
    Column("NAME", lambda v: v["name"]),
]


def register(cli: click.Group) -> None:
    cli.add_command(user)
