"""`quotemaild request ...` workflow commands: create, note, assign, status, link, delete.

Every change is recorded on the request's timeline as `--actor` (default "cli").
"""

from __future__ import annotations

from decimal import Decimal

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app, warn
from quotemaild.edges.cli.requests import STATUSES, request
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.services import request_contacts, requests
from quotemaild.services.contact_rows import contact_view
from quotemaild.services.contacts import warnings_view
from quotemaild.services.tenants import get_tenant
from quotemaild.store.models import Tenant
from quotemaild.store.queries import request_detail


def _show(app: AppContext, request_id: int, as_json: bool, done: str) -> None:
    with app.reading() as session:
        detail = request_detail(session, request_id)
    emit(detail, as_json, lambda d: f"request {d['id']}: {done} [{d['status_label']}]")


@request.command("create")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--contact", "contact_id", type=int, metavar="ID", help="An existing customer or prospect.")
@click.option("--customer-name", metavar="NAME", help="The name of a new contact, to turn into one later.")
@click.option("--subject", required=True)
@click.option("--body", required=True, help="What was asked (e.g. notes of the phone call).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_create(
    app: AppContext, tenant_slug: str, contact_id: int | None, customer_name: str | None, subject: str,
    body: str, as_json: bool,
) -> None:
    """Create a request by hand (after a phone call)."""
    with app.transaction() as session:
        created = request_contacts.create_manual(
            session, get_tenant(session, tenant_slug), subject=subject, body=body, contact_id=contact_id,
            customer_name=customer_name, actor=app.actor, clock=app.clock, domain=app.config.mail.domain,
        )
        request_id = created.id
    _show(app, request_id, as_json, "created")


@request.command("note")
@click.argument("request_id", type=int)
@click.option("--body", required=True, help="The note; stored on the request, never sent.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_note(app: AppContext, request_id: int, body: str, as_json: bool) -> None:
    """Add an internal note to a request's timeline (never sent)."""
    with app.transaction() as session:
        requests.add_note(session, request_id, body, app.actor, app.clock)
    _show(app, request_id, as_json, "note added")


@request.command("set-requester")
@click.argument("request_id", type=int)
@click.argument("email")
@click.option("--name", help="The requester's name.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_set_requester(app: AppContext, request_id: int, email: str, name: str | None, as_json: bool) -> None:
    """Correct who asked for this request (recorded on the timeline)."""
    with app.transaction() as session:
        requests.set_requester(session, request_id, email, name, app.actor, app.clock)
    _show(app, request_id, as_json, "requester changed")


@request.command("assign")
@click.argument("request_id", type=int)
@click.argument("email", required=False)
@click.option("--none", "clear", is_flag=True, help="Remove the assignment.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_assign(app: AppContext, request_id: int, email: str | None, clear: bool, as_json: bool) -> None:
    """Assign the user with EMAIL (of the request's tenant) as seller, or --none."""
    if bool(email) == clear:
        raise InvalidInput("EMAIL", "give a user's e-mail or --none (one of them)")
    with app.transaction() as session:
        try:
            requests.assign(session, request_id, email, app.actor, app.clock)
        except NotFound as exc:
            if exc.what != "user":
                raise
            slug = session.get_one(Tenant, requests.get_request(session, request_id).tenant_id).slug
            raise NotFound("user", f"{email} in tenant {slug} (add one with: quotemaild user add --tenant {slug} "
                                   f"--name NAME --email {email})") from None
    _show(app, request_id, as_json, f"assigned to {email}" if email else "unassigned")


@request.command("status")
@click.argument("request_id", type=int)
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_status(app: AppContext, request_id: int, status: str, as_json: bool) -> None:
    """Set the status by hand; only changes the workflow allows and its quotes agree with (exit 4 otherwise;
    cancelled keeps the request)."""
    with app.transaction() as session:
        requests.set_status(session, request_id, status, app.actor, app.clock)
    _show(app, request_id, as_json, "status changed")


@request.command("link")
@click.argument("request_id", type=int)
@click.option("--contact", "contact_id", type=int, required=True, metavar="CID")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_link(app: AppContext, request_id: int, contact_id: int, as_json: bool) -> None:
    """Link an existing customer or prospect to the request."""
    with app.transaction() as session:
        request_contacts.link_contact(session, request_id, contact_id, app.actor, app.clock)
    _show(app, request_id, as_json, f"linked to contact {contact_id}")


@request.command("create-prospect")
@click.argument("request_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_create_prospect(app: AppContext, request_id: int, as_json: bool) -> None:
    """Create a prospect from the requester (name and e-mail prefilled) and link it."""
    with app.transaction() as session:
        saved = request_contacts.create_prospect(session, request_id, app.actor, app.clock)
        view = contact_view(saved.row, revenue=Decimal("0.00"))
        view["warnings"] = warnings_view(saved.warnings)
        view["request_id"] = request_id
    warn(view["warnings"])
    emit(view, as_json, lambda v: f"prospect {v['id']} ({v['name']}) created and linked to request {request_id}")


@request.command("delete")
@click.argument("request_id", type=int)
@click.option("--yes", is_flag=True, help="Confirm: the request, its messages and raw copies are deleted for good.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_delete(app: AppContext, request_id: int, yes: bool, as_json: bool) -> None:
    """Delete a request for good (messages, attachments, raw copies); an audit record remains.

    To keep the request but close it, use `request status ID cancelled`.
    """
    if not yes:
        raise InvalidInput("--yes", f"deleting request {request_id} cannot be undone; "
                                    "add --yes to confirm (or cancel it: request status ID cancelled)")
    with app.transaction() as session:
        detail = requests.delete_request(session, request_id, app.actor, app.clock)
    emit({"id": request_id, "deleted": True, **detail}, as_json,
         lambda d: f"request {request_id} deleted ({d['messages']} message(s))")


def register(cli: click.Group) -> None:
    """The commands attach to the `request` group of requests.py, which registers it."""
