"""`quotemaild contact ...`: prospects and customers, their cards, invoices and attachments.

VAT problems are warnings: printed on stderr and, with --json, listed under "warnings".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from quotemaild.domain.contacts import ContactKind, CustomFieldDef, CustomFieldKind
from quotemaild.domain.parsing import parse_email
from quotemaild.edges.cli.contact_options import card_input, card_options
from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app, warn
from quotemaild.edges.cli.tables import Column, table
from quotemaild.services import contacts as svc
from quotemaild.services.contact_detail import contact_detail
from quotemaild.services.contact_rows import contact_view
from quotemaild.services.invoices import record_invoice
from quotemaild.errors import InvalidInput
from quotemaild.services.tenants import get_tenant

KINDS = tuple(k.value for k in ContactKind)

@click.group()
def contact() -> None:
    """Manage contacts: prospects and customers (companies with contact persons, or persons)."""

def _saved(app: AppContext, saved: svc.Saved, as_json: bool, done: str) -> None:
    with app.reading() as session:
        view = contact_detail(session, saved.row.id)
    view["warnings"] = svc.warnings_view(saved.warnings)
    warn(view["warnings"])
    emit(view, as_json, lambda v: f"contact {v['id']} {v['name']} ({_kind(v)}) {done}")

def _kind(v: dict[str, Any]) -> str:
    return f"{v['kind']} {v['number']}" if v["number"] else v["kind"]

@contact.command("add")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--name", help="Company or person name (required unless in --data).")
@click.option("--kind", type=click.Choice(KINDS), help="Default: prospect. A customer gets a number.")
@card_options
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_add(app: AppContext, tenant_slug: str, name: str | None, kind: str | None, as_json: bool,
                **options: Any) -> None:
    """Add a prospect or customer."""
    data = card_input(options)
    if name is not None:
        data["name"] = name
    if kind is not None:
        data["kind"] = kind
    with app.transaction() as session:
        saved = svc.add_contact(session, get_tenant(session, tenant_slug), data, app.actor, app.clock)
    _saved(app, saved, as_json, "added")

@contact.command("update")
@click.argument("contact_id", type=int)
@click.option("--name")
@card_options
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_update(app: AppContext, contact_id: int, name: str | None, as_json: bool, **options: Any) -> None:
    """Change fields of a contact card; fields left out keep their value."""
    data = card_input(options)
    if name is not None:
        data["name"] = name
    with app.transaction() as session:
        saved = svc.update_contact(session, contact_id, data, app.actor, app.clock)
    _saved(app, saved, as_json, "updated")

@contact.command("show")
@click.argument("contact_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_show(app: AppContext, contact_id: int, as_json: bool) -> None:
    """Show a contact card with persons, attachments, invoices and linked requests."""
    with app.reading() as session:
        view = contact_detail(session, contact_id)
    emit(view, as_json, _card_text)

def _card_text(v: dict[str, Any]) -> str:
    a = v["address"]
    lines = [
        f"Contact {v['id']}: {v['name']} [{_kind(v)}] ({v['type']})",
        f"E-mail: {', '.join(v['emails']) or '-'}   Phone: {v['phone'] or '-'}",
        "Address: " + " ".join(x for x in (a["street"], a["postal_code"], a["city"], a["country"]) if x),
        f"VAT: {v['vat_number'] or '-'} ({v['vat_regime']})   Language: {v['language']}   Revenue: {v['revenue']}",
    ]
    if v["groups"]:
        lines.append("Groups: " + ", ".join(v["groups"]))
    for key, value in v["custom"].items():
        lines.append(f"{key}: {value}")
    if v["internal_note"]:
        lines.append("Note: " + v["internal_note"])
    lines += [f"  person: {p['name']} {', '.join(p['emails'])} {p['phone']} {p['role']}".rstrip() for p in v["persons"]]
    lines += [f"  attachment {x['id']}: {x['filename']} ({x['size']} bytes)" for x in v["attachments"]]
    lines += [f"  invoice {x['invoice_number']}: {x['amount']}" for x in v["invoices"]]
    lines += [f"  request {x['id']} [{x['status']}] {x['subject']}" for x in v["requests"]]
    return "\n".join(lines)

@contact.command("list")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--active/--inactive", "active", default=None,
              help="Only prospects that are active (one of their requests was worked) / not yet active.")
@click.option("--search", metavar="TEXT", help="Text in the name, number or VAT number.")
@click.option("--email", metavar="ADDR", help="Contacts with this address (card, person or document), in any spelling.")
@click.option("--limit", type=click.IntRange(1, 100000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_list(app: AppContext, tenant_slug: str, kind: str | None, active: bool | None, search: str | None,
                 email: str | None, limit: int, as_json: bool) -> None:
    """List a tenant's contacts by name."""
    with app.reading() as session:
        tenant_id = get_tenant(session, tenant_slug).id
        if email is None:
            rows = svc.list_contacts(session, tenant_id, kind, search, limit, active=active)
        elif search is not None:
            raise InvalidInput("email", "give --email or --search, not both")
        else:
            found = svc.contacts_with_address(session, tenant_id, parse_email(email, "email"))
            rows = [r for r in found if (kind is None or r.kind == kind)
                    and (active is None or (r.kind == "prospect" and bool(r.active) == active))][:limit]
        totals = svc.revenues(session, [r.id for r in rows])
        views = [contact_view(r, totals[r.id], persons=False) for r in rows]
    emit(views, as_json, lambda vs: table(vs, CONTACT_COLUMNS, "(no contacts)"))

CONTACT_COLUMNS = [
    Column("ID", lambda v: v["id"], right=True, width=6),
    Column("KIND", lambda v: v["kind"] + (" (active)" if v["active"] else "")),
    Column("NUMBER", lambda v: v["number"]),
    Column("NAME", lambda v: v["name"][:40]),
    Column("VAT", lambda v: v["vat_number"]),
]

@contact.command("convert")
@click.argument("contact_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_convert(app: AppContext, contact_id: int, as_json: bool) -> None:
    """Make a prospect a customer, with the next customer number."""
    with app.transaction() as session:
        row = svc.convert_contact(session, contact_id, app.actor, app.clock)
    _saved(app, svc.Saved(row, ()), as_json, "is now a customer")

@contact.command("invoiced")
@click.argument("contact_id", type=int)
@click.option("--invoice-number", required=True, metavar="N")
@click.option("--amount", required=True, metavar="X", help="Invoiced amount excl. VAT; negative for a credit note.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_invoiced(app: AppContext, contact_id: int, invoice_number: str, amount: str, as_json: bool) -> None:
    """Record an invoice: revenue grows, a prospect becomes a customer. Each number counts once."""
    with app.transaction() as session:
        out = record_invoice(session, contact_id, invoice_number, amount, app.actor, app.clock)
        view = {"id": out.contact.id, "kind": out.contact.kind, "number": out.contact.number,
                "invoice_number": out.invoice_number, "amount": str(out.amount), "recorded": out.recorded,
                "converted": out.converted, "revenue": str(out.revenue)}
    emit(view, as_json, lambda v: (
        f"invoice {v['invoice_number']} {'recorded' if v['recorded'] else 'was already recorded'}; "
        f"contact {v['id']} {v['kind']} {v['number']}, revenue {v['revenue']}"))

@contact.command("attach")
@click.argument("contact_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_attach(app: AppContext, contact_id: int, file: Path, as_json: bool) -> None:
    """Attach a file (contract, photo, certificate) to a contact."""
    with app.transaction() as session:
        a = svc.attach_file(session, contact_id, file.name, file.read_bytes(), app.actor, app.clock)
        view = {"id": a.id, "contact_id": a.contact_id, "filename": a.filename, "content_type": a.content_type,
                "size": a.size, "sha256": a.sha256}
    emit(view, as_json, lambda v: f"attachment {v['id']} {v['filename']} added to contact {contact_id}")

@contact.group("field")
def contact_field() -> None:
    """Custom fields a tenant adds to its contact cards."""

@contact_field.command("add")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--key", required=True, help="Name used in --custom KEY=VALUE and CSV columns.")
@click.option("--label", required=True, help="What users and documents show.")
@click.option("--kind", type=click.Choice([k.value for k in CustomFieldKind]), default="text", show_default=True)
@click.option("--required", is_flag=True)
@click.option("--on-documents", is_flag=True, help="Print the value on quotes.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def field_add(app: AppContext, tenant_slug: str, key: str, label: str, kind: str, required: bool,
              on_documents: bool, as_json: bool) -> None:
    """Define a custom contact field."""
    with app.transaction() as session:
        row = svc.add_custom_field(session, get_tenant(session, tenant_slug),
                                   CustomFieldDef(key, label, CustomFieldKind(kind), required, on_documents))
        view = _field_view(row.key, row.label, row.kind, row.required, row.on_documents)
    emit(view, as_json, lambda v: f"custom field {v['key']} added")

@contact_field.command("list")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def field_list(app: AppContext, tenant_slug: str, as_json: bool) -> None:
    """List the custom contact fields of a tenant."""
    with app.reading() as session:
        defs = svc.custom_field_defs(session, get_tenant(session, tenant_slug).id)
    views = [_field_view(d.key, d.label, d.kind.value, d.required, d.on_documents) for d in defs]
    emit(views, as_json, lambda vs: table(vs, FIELD_COLUMNS, "(no custom fields)"))


FIELD_COLUMNS = [
    Column("KEY", lambda v: v["key"]),
    Column("KIND", lambda v: v["kind"]),
    Column("REQUIRED", lambda v: "yes" if v["required"] else "no"),
    Column("ON DOCUMENTS", lambda v: "yes" if v["on_documents"] else "no"),
    Column("LABEL", lambda v: v["label"]),
]

def _field_view(key: str, label: str, kind: str, required: bool, on_documents: bool) -> dict[str, Any]:
    return {"key": key, "label": label, "kind": kind, "required": required, "on_documents": on_documents}

def register(cli: click.Group) -> None:
    from quotemaild.edges.cli import contact_extra  # noqa: F401  (attaches assign, reminders, attachments)

    cli.add_command(contact)
