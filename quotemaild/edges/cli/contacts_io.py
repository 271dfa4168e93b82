"""`quotemaild contact import|export|forget|merge|lookup-vat`: contacts in bulk, personal data, merging, VIES."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app, warn
from quotemaild.edges.cli.contacts import contact
from quotemaild.edges.vies import HttpVies
from quotemaild.errors import InvalidInput
from quotemaild.services.contacts import get_contact
from quotemaild.services.contacts_io import export_contacts, import_contacts
from quotemaild.services.merge import merge_contacts, preview_merge
from quotemaild.services.privacy import export_contact, forget_contact
from quotemaild.services.tenants import get_tenant
from quotemaild.services.vies import lookup_vat


@contact.command("import")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help="Store the contacts (default: a dry run that only checks).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_import(app: AppContext, tenant_slug: str, file: Path, commit: bool, as_json: bool) -> None:
    """Import contacts from a CSV file: a dry run listing every row error, then --commit.

    Nothing is stored when any row has an error. Exit code 4 when there are errors.
    """
    with app.transaction() as session:
        report = import_contacts(session, get_tenant(session, tenant_slug), file.read_bytes(), commit=commit,
                                 actor=app.actor, clock=app.clock)
    view = report.view()
    warn([{"message": f"row {w['row']}: {w['message']}"} for w in view["warnings"]])
    emit(view, as_json, _import_text)
    if report.errors:
        sys.exit(4)


def _import_text(v: dict[str, object]) -> str:
    lines = [f"row {e['row']}: {e['field']}{' (' + e['column'] + ')' if e['column'] else ''}: {e['problem']}"
             for e in v["errors"]]  # type: ignore[union-attr]
    if v["errors"]:
        lines.append(f"{len(v['errors'])} error(s); nothing stored")  # type: ignore[arg-type]
    elif v["committed"]:
        lines.append(f"{v['rows']} contact(s) imported")
    else:
        lines.append(f"{v['rows']} contact(s) ok; nothing stored yet: run again with --commit")
    return "\n".join(lines)


@contact.command("export")
@click.argument("contact_id", type=int, required=False)
@click.option("--tenant", "tenant_slug", metavar="SLUG", help="Export all contacts of a tenant (CSV/XLSX).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Tenant export format [default: csv].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default stdout).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="With CONTACT_ID: also write attachments and raw .eml copies into this directory.")
@pass_app
@handle_errors
def contact_export(app: AppContext, contact_id: int | None, tenant_slug: str | None, fmt: str | None,
                   output: Path | None, out_dir: Path | None) -> None:
    """Export a tenant's contacts to CSV (`;`, UTF-8 with BOM, for Excel) or XLSX; or, with
    CONTACT_ID, everything held about one contact as JSON (data subject access request)."""
    if contact_id is not None:
        for name, value in (("--tenant", tenant_slug), ("--format", fmt), ("--output", output)):
            if value is not None:
                raise InvalidInput(name, "not allowed with CONTACT_ID (a contact export is JSON on stdout)")
        _export_one(app, contact_id, out_dir)
        return
    if tenant_slug is None:
        raise InvalidInput("--tenant", "give --tenant SLUG, or a CONTACT_ID")
    if out_dir is not None:
        raise InvalidInput("--out", "only with CONTACT_ID; use -o FILE for a tenant export")
    with app.reading() as session:
        data = export_contacts(session, get_tenant(session, tenant_slug), fmt or "csv", app.clock)
    if output is not None:
        output.write_bytes(data)
        click.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _export_one(app: AppContext, contact_id: int, out_dir: Path | None) -> None:
    with app.reading() as session:
        export = export_contact(session, contact_id, with_files=out_dir is not None)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, data in export.files.items():
            (out_dir / name).write_bytes(data)
        (out_dir / f"contact-{contact_id}.json").write_text(
            json.dumps(export.view, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        click.echo(f"wrote {len(export.files) + 1} file(s) to {out_dir}", err=True)
    emit(export.view, True)


@contact.command("forget")
@click.argument("contact_id", type=int)
@click.option("--yes", is_flag=True, help="Confirm: the erasure cannot be undone.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_forget(app: AppContext, contact_id: int, yes: bool, as_json: bool) -> None:
    """Erase a contact's personal data and the messages of that person (GDPR), irreversibly.

    Requests linked to the contact or asked from its addresses go with their messages,
    attachments, raw copies and timeline. Invoices are kept for accounting: the card then stays
    as an anonymised stub. An audit record keeps counts, ids and sha256 digests of the addresses.
    """
    if not yes:
        with app.reading() as session:
            get_contact(session, contact_id)
        raise InvalidInput("--yes", f"forgetting contact {contact_id} erases its card, requests and messages "
                                    "for good; add --yes to erase")
    with app.transaction() as session:
        detail = forget_contact(session, contact_id, app.actor, app.clock)
    emit(detail, as_json, lambda d: f"contact {contact_id} forgotten ({d['card']}); erased: "
         + ", ".join(f"{v} {k}" for k, v in d["counts"].items() if v))


@contact.command("merge")
@click.argument("source_id", type=int)
@click.argument("target_id", type=int)
@click.option("--yes", is_flag=True, help="Confirm: the merge cannot be undone.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_merge(app: AppContext, source_id: int, target_id: int, yes: bool, as_json: bool) -> None:
    """Merge contact SOURCE into TARGET, irreversibly.

    Requests, notes, attachments and invoices move to TARGET and SOURCE is deleted. TARGET's
    fields are NOT filled in from SOURCE, even empty ones; rendered documents are not changed.
    """
    if not yes:
        with app.reading() as session:
            plan = preview_merge(session, source_id, target_id)
        lost = ", ".join(plan.not_copied) or "nothing"
        raise InvalidInput("--yes", f"merging contact {source_id} into {target_id} cannot be undone; "
                                    f"{len(plan.moves)} document(s) would move, not copied: {lost}. "
                                    "Add --yes to merge")
    with app.transaction() as session:
        plan = merge_contacts(session, source_id, target_id, app.actor, app.clock)
    detail = plan.audit_detail()
    warn([{"message": w} for w in plan.warnings])
    emit({"id": target_id, **detail, "warnings": list(plan.warnings)}, as_json,
         lambda d: f"contact {source_id} merged into {target_id}; moved: "
                   + (", ".join(f"{len(v)} {k}(s)" for k, v in d["moved"].items()) or "nothing"))


@contact.command("lookup-vat")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def contact_lookup_vat(app: AppContext, number: str, as_json: bool) -> None:
    """Look up company data for a VAT number in the EU VIES service. Exit 7 when unreachable."""
    client = HttpVies(app.config.vies.url, app.config.vies.timeout)
    view = lookup_vat(client, number).view()
    emit(view, as_json, lambda v: (
        f"{v['vat_number']}: {'valid' if v['valid'] else 'NOT valid'}\n{v['name']}\n{v['address']}".rstrip()))


def register(cli: click.Group) -> None:
    """The commands attach to the `contact` group of contacts.py, which registers it."""
