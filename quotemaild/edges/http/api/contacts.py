"""/contacts: list, search, show, create, update, convert, merge (with its warnings), invoiced events,
CSV import (dry run, then commit) and export. The CLI's `contact ...` services, the same JSON.

`POST /contacts/{id}/invoiced` is the hook an invoicing system calls: idempotent per invoice
number (the same number and amount again answers `recorded: false`, nothing changes).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Query, Response, UploadFile
from pydantic import BaseModel, Field

from quotemaild.edges.http.api.schemas import (
    FORBIDDEN,
    ContactDetailOut,
    ImportOut,
    MergeOut,
    Out,
    QuoteSummaryOut,
    _problem,
)
from quotemaild.edges.http.deps import MAX_ID, Ctx, CurrentActor, OwnedContact, Reader, UoW
from quotemaild.edges.http.problems import Problem
from quotemaild.domain.contacts import CustomFieldDef, CustomFieldKind
from quotemaild.edges.vies import client_for
from quotemaild.errors import NotFound
from quotemaild.services import contacts as svc
from quotemaild.services import quote_manage as qm
from quotemaild.services.contact_detail import contact_detail
from quotemaild.services.contact_rows import contact_view
from quotemaild.services.contacts_io import export_contacts, import_contacts
from quotemaild.services.invoices import record_invoice
from quotemaild.services.merge import merge_contacts, preview_merge
from quotemaild.services.quotes import quote_summary
from quotemaild.services.reminders import assign_seller
from quotemaild.services.vies import card_fields, lookup_vat
from quotemaild.store.models import Contact, Tenant

router = APIRouter(tags=["contacts"])

CARD_EXAMPLE = {"name": "Bakkerij Peeters", "kind": "prospect", "emails": ["info@peeters.example"],
                "vat_number": "BE0403019261", "address": {"city": "Gent", "country": "BE"}}
Card = Annotated[dict[str, Any], Body(examples=[CARD_EXAMPLE],
                                      description="Contact fields as in `contact add --data` / `contact show --json`")]


class ContactOut(Out):
    id: int
    kind: str = Field(examples=["prospect"])
    number: str | None
    name: str
    emails: list[str]


class InvoicedIn(BaseModel):
    invoice_number: str = Field(max_length=60, examples=["F2026-0042"])
    amount: str = Field(max_length=40, examples=["1250.00"], description="Excl. VAT; negative for a credit note")


class InvoicedOut(BaseModel):
    id: int
    kind: str
    number: str | None
    invoice_number: str
    amount: str
    recorded: bool = Field(description="False when this invoice number was already recorded (nothing changed)")
    converted: bool
    revenue: str


class MergeIn(BaseModel):
    target_id: int = Field(ge=1, le=MAX_ID)
    confirm: bool = Field(default=False, description="False: only show what would happen (with warnings)")


def _detail(db: Any, contact_id: int, warnings: Any = ()) -> dict[str, Any]:
    view = contact_detail(db, contact_id)
    view["warnings"] = svc.warnings_view(warnings)
    return view


@router.get("/contacts", response_model=list[ContactOut])
def list_contacts(actor: CurrentActor, db: Reader,
                  kind: Annotated[str | None, Query(pattern="^(prospect|customer)$")] = None,
                  q: Annotated[str | None, Query(max_length=200, description="Name, number or VAT number")] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                  group: Annotated[str | None, Query(max_length=200, description="Only this group (any case)")] = None,
                  ) -> list[dict[str, Any]]:
    """The tenant's contacts by name."""
    rows = svc.list_contacts(db, actor.tenant_id, kind, q, limit, group=group)
    totals = svc.revenues(db, [r.id for r in rows])
    return [contact_view(r, totals[r.id], persons=False) for r in rows]


@router.post("/contacts", status_code=201, response_model=ContactDetailOut)
def add_contact(body: Card, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """A new prospect or customer (VAT problems are `warnings`, never refusals)."""
    saved = svc.add_contact(db, db.get_one(Tenant, actor.tenant_id), body, actor.label, ctx.clock)
    return _detail(db, saved.row.id, saved.warnings)


@router.get("/contacts/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def export(actor: CurrentActor, db: Reader, ctx: Ctx,
           format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv") -> Response:
    """All contacts of the tenant as CSV (`;`, UTF-8 with BOM) or XLSX."""
    data = export_contacts(db, db.get_one(Tenant, actor.tenant_id), format, ctx.clock)
    media = "text/csv; charset=utf-8" if format == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="contacts-{actor.tenant_slug}.{format}"'})


@router.post("/contacts/import", response_model=ImportOut, responses={422: _problem("Row errors: nothing stored; `errors` lists them")})
async def import_csv(actor: CurrentActor, ctx: Ctx, file: Annotated[UploadFile, File()],
                     commit: bool = False) -> dict[str, Any]:
    """Check a CSV of contacts (dry run), or store it with `?commit=true`; nothing is stored on any error."""
    data = await file.read(ctx.max_upload + 1)
    if len(data) > ctx.max_upload:
        raise Problem(413, "too-large", f"the file is over {ctx.max_upload} bytes", field="file")
    def run() -> dict[str, Any]:
        with ctx.sessions.begin() as db:
            report = import_contacts(db, db.get_one(Tenant, actor.tenant_id), data, commit=commit,
                                     actor=actor.label, clock=ctx.clock)
            return report.view()

    view = await asyncio.to_thread(run)
    if not view["ok"]:
        raise Problem(422, "invalid", f"{len(view['errors'])} row error(s); nothing was stored", field="file",
                      report=view)
    return view


@router.get("/contacts/{contact_id}", response_model=ContactDetailOut)
def show_contact(contact_id: OwnedContact, actor: CurrentActor, db: Reader) -> dict[str, Any]:
    """The card with persons, attachments, invoices and linked requests."""
    return contact_detail(db, contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactDetailOut)
def update_contact(contact_id: OwnedContact, body: Card, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Change fields; fields left out keep their value (`kind` changes by convert or an invoice)."""
    saved = svc.update_contact(db, contact_id, body, actor.label, ctx.clock)
    return _detail(db, saved.row.id, saved.warnings)


@router.post("/contacts/{contact_id}/convert", response_model=ContactDetailOut)
def convert(contact_id: OwnedContact, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Make a prospect a customer, with the next customer number."""
    svc.convert_contact(db, contact_id, actor.label, ctx.clock)
    return _detail(db, contact_id)


@router.post("/contacts/{contact_id}/invoiced", response_model=InvoicedOut)
def invoiced(contact_id: OwnedContact, body: InvoicedIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Record an invoice (the invoicing system's hook): revenue grows, a prospect becomes a customer."""
    out = record_invoice(db, contact_id, body.invoice_number, body.amount, actor.label, ctx.clock)
    return {"id": out.contact.id, "kind": out.contact.kind, "number": out.contact.number,
            "invoice_number": out.invoice_number, "amount": str(out.amount), "recorded": out.recorded,
            "converted": out.converted, "revenue": str(out.revenue)}


@router.post("/contacts/{contact_id}/merge", response_model=MergeOut, responses=FORBIDDEN)
def merge(contact_id: OwnedContact, body: MergeIn, actor: CurrentActor, db: UoW, ctx: Ctx) -> dict[str, Any]:
    """Merge this contact into `target_id`, irreversibly (admin). Without `confirm` only the plan:
    what moves, what is NOT copied to the target, and the warnings."""
    if db.get(Contact, body.target_id) is None or db.get_one(Contact, body.target_id).tenant_id != actor.tenant_id:
        raise NotFound("contact", body.target_id)
    if not body.confirm:
        plan = preview_merge(db, contact_id, body.target_id)
        return {"id": body.target_id, "merged": False, **plan.audit_detail(), "warnings": list(plan.warnings)}
    actor.require_admin("merging contacts")
    plan = merge_contacts(db, contact_id, body.target_id, actor.label, ctx.clock)
    return {"id": body.target_id, "merged": True, **plan.audit_detail(), "warnings": list(plan.warnings)}


@router.get("/contacts/{contact_id}/quotes", response_model=list[QuoteSummaryOut])
def contact_quotes(contact_id: OwnedContact, actor: CurrentActor, db: Reader) -> list[dict[str, Any]]:
    """The contact's quotes, newest first (as `quote list --contact ID --json`)."""
    found = qm.list_quotes(db, qm.QuoteFilter(tenant_id=actor.tenant_id, contact_id=contact_id))
    return [quote_summary(q, actor.tenant_slug) for q in found]




class CustomFieldIn(BaseModel):
    key: str = Field(max_length=60, examples=["colour"])
    label: str = Field(max_length=200, examples=["Colour of the frames"])
    kind: Literal["text", "number", "date", "boolean"] = "text"
    required: bool = False
    on_documents: bool = Field(default=False, description="Print the value on quotes")


class CustomFieldOut(Out):
    key: str
    label: str
    kind: str
    required: bool
    on_documents: bool


def _field_view(d: Any) -> dict[str, Any]:
    return {"key": d.key, "label": d.label, "kind": str(d.kind), "required": d.required,
            "on_documents": d.on_documents}


@router.get("/contact-fields", response_model=list[CustomFieldOut])
def custom_fields(actor: CurrentActor, db: Reader) -> list[dict[str, Any]]:
    """The tenant's custom contact fields (as `contact field list`)."""
    return [_field_view(d) for d in svc.custom_field_defs(db, actor.tenant_id)]


@router.post("/contact-fields", status_code=201, response_model=CustomFieldOut, responses=FORBIDDEN)
def add_custom_field(body: CustomFieldIn, actor: CurrentActor, db: UoW) -> dict[str, Any]:
    """Define a custom contact field (admin), as `contact field add`."""
    actor.require_admin("define custom fields")
    row = svc.add_custom_field(db, db.get_one(Tenant, actor.tenant_id), CustomFieldDef(
        body.key, body.label, CustomFieldKind(body.kind), body.required, body.on_documents))
    return _field_view(row)


@router.get("/vat-lookup", responses={503: _problem("EU VIES cannot be reached or answers an error")})
def vat_lookup(actor: CurrentActor, ctx: Ctx,
               number: Annotated[str, Query(max_length=40, examples=["BE0477472701"])]) -> dict[str, Any]:
    """Company data for a VAT number from EU VIES (as `contact lookup-vat`), and the card fields it fills."""
    found = lookup_vat(client_for(ctx.config), number)
    return {**found.view(), "fields": card_fields(found)}


class SellerIn(BaseModel):
    email: str | None = Field(default=None, max_length=320, description="A user of the tenant; null: the request's assignee")


@router.put("/contacts/{contact_id}/seller", response_model=ContactDetailOut)
def set_seller(contact_id: OwnedContact, body: SellerIn, actor: CurrentActor, db: UoW) -> dict[str, Any]:
    """The seller who gets the card's appointment and call-back reminders (as `contact assign`)."""
    assign_seller(db, contact_id, (body.email or "").strip() or None)
    return _detail(db, contact_id)
