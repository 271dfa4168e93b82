"""`quotemaild quote list|line|update|new-version|duplicate|delete`: quotes as managed documents.

The commands attach to the `quote` group of quotes.py. Every change is recorded on the request's
timeline as `--actor`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.quotes import quote, show_quote
from quotemaild.edges.cli.tables import Column, table
from quotemaild.errors import InvalidInput
from quotemaild.services import quote_manage as qm
from quotemaild.services.quotes import quote_summary
from quotemaild.services.tenants import get_tenant
from quotemaild.store.models import Tenant

STATES = ("draft", "sent", "accepted", "rejected", "expired", "superseded")

COLUMNS = [
    Column("ID", lambda r: r["id"], right=True, width=6),
    Column("NUMBER", lambda r: r["number"]),
    Column("STATE", lambda r: r["status_label"]),
    Column("ISSUED", lambda r: r["issue_date"]),
    Column("VALID UNTIL", lambda r: r["valid_until"]),
    Column("REQUEST", lambda r: r["request_id"], right=True),
    Column("TOTAL", lambda r: f"{r['total_incl']} {r['currency']}", right=True),
    Column("CONTACT", lambda r: r["contact_name"]),
]


@quote.command("list")
@click.option("--tenant", "tenant_slug", metavar="SLUG", help="Only this tenant's quotes.")
@click.option("--request", "request_id", type=int, metavar="ID")
@click.option("--contact", "contact_id", type=int, metavar="ID")
@click.option("--state", type=click.Choice(STATES))
@click.option("--number", metavar="TEXT", help="A part of the quote number.")
@click.option("--from", "issued_from", type=click.DateTime(["%Y-%m-%d"]), help="Issued on or after (YYYY-MM-DD).")
@click.option("--to", "issued_to", type=click.DateTime(["%Y-%m-%d"]), help="Issued on or before (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def quote_list(app: AppContext, tenant_slug: str | None, request_id: int | None, contact_id: int | None,
               state: str | None, number: str | None, issued_from: dt.datetime | None,
               issued_to: dt.datetime | None, limit: int, as_json: bool) -> None:
    """List quotes, newest first. Sent quotes whose validity passed are marked expired first."""
    with app.transaction() as session:
        tenant_id = get_tenant(session, tenant_slug).id if tenant_slug else None
        qm.expire_due(session, app.clock, tenant_id)
        found = qm.list_quotes(session, qm.QuoteFilter(
            tenant_id=tenant_id, request_id=request_id, contact_id=contact_id, state=state, number=number,
            issued_from=issued_from.date() if issued_from else None,
            issued_to=issued_to.date() if issued_to else None, limit=limit))
        slugs = {t.id: t.slug for t in session.query(Tenant)}
        rows = [quote_summary(q, slugs[q.tenant_id]) for q in found]
    emit(rows, as_json, lambda rs: table(rs, COLUMNS, "(no quotes)",
                                         tenant=None if tenant_slug else (lambda r: r["tenant"])))


@quote.group("line")
def quote_line() -> None:
    """Edit the lines of a draft quote (positions count from 1)."""


SPEC_HELP = '"description;quantity;unit price;vat%[;unit[;discount%]]"'


def _line_command(name: str, doc: str):  # type: ignore[no-untyped-def]
    def decorate(fn):  # type: ignore[no-untyped-def]
        fn.__doc__ = doc
        return quote_line.command(name)(click.option("--json", "as_json", is_flag=True)(
            pass_app(handle_errors(fn))))
    return decorate


@_line_command("add", f"Add a line {SPEC_HELP} to draft QUOTE_ID, at the end or --at N.")
@click.argument("quote_id", type=int)
@click.argument("spec")
@click.option("--at", type=int, metavar="N", help="Insert at this position.")
def line_add(app: AppContext, quote_id: int, spec: str, at: int | None, as_json: bool) -> None:
    with app.transaction() as session:
        qm.add_line(session, quote_id, spec, app.actor, app.clock, at)
    show_quote(app, quote_id, as_json)


@_line_command("change", f"Replace line N of draft QUOTE_ID with {SPEC_HELP}.")
@click.argument("quote_id", type=int)
@click.argument("position", type=int)
@click.argument("spec")
def line_change(app: AppContext, quote_id: int, position: int, spec: str, as_json: bool) -> None:
    with app.transaction() as session:
        qm.change_line(session, quote_id, position, spec, app.actor, app.clock)
    show_quote(app, quote_id, as_json)


@_line_command("remove", "Remove line N of draft QUOTE_ID.")
@click.argument("quote_id", type=int)
@click.argument("position", type=int)
def line_remove(app: AppContext, quote_id: int, position: int, as_json: bool) -> None:
    with app.transaction() as session:
        qm.delete_line(session, quote_id, position, app.actor, app.clock)
    show_quote(app, quote_id, as_json)


@_line_command("move", "Move line N of draft QUOTE_ID to position --to M.")
@click.argument("quote_id", type=int)
@click.argument("position", type=int)
@click.option("--to", "to", type=int, required=True, metavar="M")
def line_move(app: AppContext, quote_id: int, position: int, to: int, as_json: bool) -> None:
    with app.transaction() as session:
        qm.reorder_line(session, quote_id, position, to, app.actor, app.clock)
    show_quote(app, quote_id, as_json)


@quote.command("update")
@click.argument("quote_id", type=int)
@click.option("--notes", help="Text printed under the lines ('' clears it).")
@click.option("--notes-file", type=click.File("r", encoding="utf-8"), help="The notes from a file.")
@click.option("--valid-until", metavar="YYYY-MM-DD")
@click.option("--validity-days", type=int, metavar="N", help="Valid N days from the issue date.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def quote_update(app: AppContext, quote_id: int, notes: str | None, notes_file: Any, valid_until: str | None,
                 validity_days: int | None, as_json: bool) -> None:
    """Change a draft's notes or validity."""
    if notes is not None and notes_file is not None:
        raise InvalidInput("--notes", "give --notes or --notes-file, not both")
    if notes_file is not None:
        notes = notes_file.read()
    if notes is None and valid_until is None and validity_days is None:
        raise InvalidInput("quote", "nothing to change: give --notes, --valid-until or --validity-days")
    with app.transaction() as session:
        if notes is not None:
            qm.set_notes(session, quote_id, notes, app.actor, app.clock)
        if valid_until is not None or validity_days is not None:
            qm.set_validity(session, quote_id, app.actor, app.clock, days=validity_days, until=valid_until)
    show_quote(app, quote_id, as_json)


@quote.command("new-version")
@click.argument("quote_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def quote_new_version(app: AppContext, quote_id: int, as_json: bool) -> None:
    """A new draft version of a sent quote (OF-2026-0007-2); the old one is kept, superseded."""
    with app.transaction() as session:
        new_id = qm.new_version(session, quote_id, app.actor, app.clock).id
    show_quote(app, new_id, as_json)


@quote.command("duplicate")
@click.argument("quote_id", type=int)
@click.option("--request", "request_id", type=int, metavar="ID", help="Put the copy on this request.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def quote_duplicate(app: AppContext, quote_id: int, request_id: int | None, as_json: bool) -> None:
    """Copy a quote as a new draft with the next number."""
    with app.transaction() as session:
        new_id = qm.duplicate(session, quote_id, app.actor, app.clock, request_id).id
    show_quote(app, new_id, as_json)


@quote.command("delete")
@click.argument("quote_id", type=int)
@click.option("--yes", is_flag=True, help="Confirm: the draft is deleted for good.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def quote_delete(app: AppContext, quote_id: int, yes: bool, as_json: bool) -> None:
    """Delete a draft quote (sent quotes are kept)."""
    if not yes:
        raise InvalidInput("--yes", f"deleting quote {quote_id} cannot be undone; add --yes to confirm")
    with app.transaction() as session:
        detail = qm.delete_draft(session, quote_id, app.actor, app.clock)
    emit({**detail, "deleted": True}, as_json, lambda d: f"quote {d['number']} deleted")
