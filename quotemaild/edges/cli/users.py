"""`quotemaild user ...`: the people of a tenant who work its requests."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.tables import Column, table
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.mail.addresses import folded_email
from quotemaild.store.models import User
from quotemaild.services.identity import check_password_rules, set_password
from quotemaild.services.tenants import get_tenant
from quotemaild.services.users import DEFAULT_ROLE, add_user, find_user, list_users, user_view
from quotemaild.services.web_sessions import end_user_sessions


def read_password_file(path: str) -> str:
    """The password is the file's content without its trailing newline (never an argument: argv is
    visible to every local user in ps)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return check_password_rules(fh.read().rstrip("\r\n"))
    except OSError as exc:
        raise InvalidInput("--password-file", f"{path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput("--password-file", f"{path}: not UTF-8 text") from exc


@click.group()
def user() -> None:
    """Manage the users (sellers) of a tenant."""


@user.command("add")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--role", default=DEFAULT_ROLE, show_default=True,
              help="seller or admin (admin: settings, users, tokens, delete, merge); other words act as seller.")
@click.option("--password-file", metavar="FILE", help="Lets the user log in (web app, API); the file holds the password.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def user_add(
    app: AppContext, tenant_slug: str, name: str, email: str, role: str, password_file: str | None, as_json: bool
) -> None:
    """Add a user to a tenant."""
    password = read_password_file(password_file) if password_file else None
    with app.transaction() as session:
        created = add_user(session, get_tenant(session, tenant_slug), name, email, role, app.clock)
        if password is not None:
            set_password(session, created, password)
        view = user_view(created)
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


@user.command("set-password")
@click.argument("email")
@click.option("--tenant", "tenant_slug", metavar="SLUG", help="Needed when EMAIL is a user of several tenants.")
@click.option("--password-file", required=True, metavar="FILE", help="A file holding the new password.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def user_set_password(app: AppContext, email: str, tenant_slug: str | None, password_file: str, as_json: bool) -> None:
    """Set a user's password; the user's open browser sessions end."""
    password = read_password_file(password_file)
    with app.transaction() as session:
        found = _user_by_email(session, email, tenant_slug)
        set_password(session, found, password)
        ended = end_user_sessions(session, found.id)
        view = {**user_view(found), "sessions_ended": ended}
    emit(view, as_json, lambda v: f"password of {v['email']} set ({v['sessions_ended']} session(s) ended)")


def _user_by_email(session: Session, email: str, tenant_slug: str | None) -> User:
    if tenant_slug:
        return find_user(session, get_tenant(session, tenant_slug).id, email)
    found = session.scalars(select(User).where(User.email == folded_email(email))).all()
    if not found:
        raise NotFound("user", email)
    if len(found) > 1:
        raise InvalidInput("--tenant", f"{email} is a user of several tenants: give --tenant")
    return found[0]


def register(cli: click.Group) -> None:
    cli.add_command(user)
