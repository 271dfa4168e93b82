"""`quotemaild contact assign|reminders|attachments|attachment`: a card's seller, its reminders and
its files. The commands attach to the `contact` group of contacts.py."""

from __future__ import annotations


import click

from quotemaild.edges.cli.contacts import contact
from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.files_out import add_file_commands
from quotemaild.edges.cli.tables import Column, table
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.services.attachments_out import contact_attachment, contact_attachments
from quotemaild.services.contact_rows import contact_view
from quotemaild.services.contacts import revenue
from quotemaild.services.reminders import assign_seller, list_reminders
from quotemaild.services.tenants import get_tenant

REMINDER_COLUMNS = [
    Column("ID", lambda r: r["id"], right=True, width=6),
    Column("DUE (UTC)", lambda r: r["due_at"][:16].replace("T", " ")),
    Column("KIND", lambda r: r["kind"]),
    Column("STATE", lambda r: r["state"]),
    Column("TO", lambda r: r["recipient"]),
    Column("CONTACT", lambda r: f"{r['contact_id']} {r['contact_name']}"),
]


@contact.command("assign")
@click.argument("contact_id", type=int)
@click.argument("email", required=False)
@click.option("--none", "clear", is_flag=True, help="Remove the card's own seller.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_assign(app: AppContext, contact_id: int, email: str | None, clear: bool, as_json: bool) -> None:
    """The seller (a user, by e-mail) who gets this card's appointment and call-back reminders.

    Without one, reminders go to the assignee of the card's newest request.
    """
    if bool(email) == clear:
        raise InvalidInput("EMAIL", "give a user's e-mail or --none (one of them)")
    with app.transaction() as session:
        try:
            row = assign_seller(session, contact_id, email)
        except NotFound as exc:
            if exc.what == "user":
                raise NotFound("user", f"{email} (add one with: quotemaild user add --tenant SLUG "
                                       f"--name NAME --email {email})") from None
            raise
        view = contact_view(row, revenue(session, row.id), persons=False)
    emit(view, as_json, lambda v: f"contact {v['id']}: seller {email or 'removed'}")


@contact.command("reminders")
@click.option("--tenant", "tenant_slug", metavar="SLUG")
@click.option("--state", type=click.Choice(["pending", "sent", "skipped"]))
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_reminders(app: AppContext, tenant_slug: str | None, state: str | None, limit: int, as_json: bool) -> None:
    """Appointment and call-back reminders, soonest first (mailed to the seller by the daemon)."""
    with app.reading() as session:
        tenant_id = get_tenant(session, tenant_slug).id if tenant_slug else None
        rows = list_reminders(session, tenant_id, state, limit)
    emit(rows, as_json, lambda rs: table(rs, REMINDER_COLUMNS, "(no reminders)",
                                         tenant=None if tenant_slug else (lambda r: r["tenant"])))


add_file_commands(contact, "contact", contact_attachments, contact_attachment,
                  "List the files on a card, numbered for `contact attachment ID N`.",
                  "Write file N of a card (as listed by `contact attachments`).")
