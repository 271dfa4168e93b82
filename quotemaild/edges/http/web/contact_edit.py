"""A contact card created or edited in the browser, and the card's files downloaded.

The form carries the scalar fields the API's `PATCH /contacts/{id}` accepts (persons, custom
fields and moments keep their value: they are not in this form). It goes through the same
`contacts.update_contact`, so the checks (VAT number, e-mail addresses, term, discount) are the
service's; a refused form comes back with what was typed and the error (422).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response

from quotemaild.domain.vat import VatRegime
from quotemaild.edges.http.deps import Ctx, owned_contact
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.edges.http.web.render import N_
from quotemaild.edges.vies import client_for
from quotemaild.errors import QuotemailError
from quotemaild.services import contacts, contacts_io
from quotemaild.services.attachments_out import contact_attachment
from quotemaild.services.contact_rows import row_to_input
from quotemaild.services.vies import card_fields, lookup_vat
from quotemaild.store.models import Tenant

TEXT_FIELDS = ("name", "type", "phone", "language", "currency", "vat_number", "vat_regime",
               "payment_term_days", "discount_percent", "lead_source", "internal_note",
               "quote_email", "invoice_email")  # the last two: other addresses per document type
ADDRESS_FIELDS = ("street", "postal_code", "city", "country")
REGIME_NAMES = {"standard": N_("Standard (21 %%)"), "reduced_12": N_("Reduced (12 %%)"),
                "renovation_6": N_("Renovation (6 %%)"), "co_contractor": N_("Co-contractor (0 %%, VAT shifted)"),
                "exempt": N_("Exempt (0 %%)"), "intra_eu": N_("Intra-EU supply (0 %%, reverse charge)")}
LIST_FIELDS = ("emails", "groups")  # one per line (or comma-separated)


def form_values(card: dict[str, Any]) -> dict[str, str]:
    """The stored card as the form's field values."""
    values = {f: "" if card.get(f) is None else str(card[f]) for f in TEXT_FIELDS}
    values.update({f: str(card["address"].get(f) or "") for f in ADDRESS_FIELDS})
    values.update({f: "\n".join(card.get(f) or []) for f in LIST_FIELDS})
    return values


def changes_from_form(form: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """What was typed (to show again) and the changes in the service's input shape."""
    typed = {f: str(form.get(f) or "").strip() for f in (*TEXT_FIELDS, *ADDRESS_FIELDS, *LIST_FIELDS)}
    changes: dict[str, Any] = {f: typed[f] for f in TEXT_FIELDS}
    changes["address"] = {f: typed[f] for f in ADDRESS_FIELDS}
    changes.update({f: [v.strip() for v in typed[f].replace(",", "\n").splitlines() if v.strip()]
                    for f in LIST_FIELDS})
    return typed, changes


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(request: Request, contact_id: int | None, values: dict[str, str], status: int = 200,
             error: str | None = None, vies: dict[str, Any] | None = None) -> Response:
        return request.app.state.pages.render(
            request, "contact_edit.html", status, section="contacts", contact_id=contact_id, v=values,
            regimes=[r.value for r in VatRegime], regime_names=REGIME_NAMES, error=error, vies=vies)

    def vies_page(request: Request, ctx: Any, contact_id: int | None, typed: dict[str, str]) -> Response:
        """The form again with the VIES answer shown and the empty fields filled from it (nothing
        saved yet: the seller reads it and saves)."""
        try:
            found = lookup_vat(client_for(ctx.config), typed.get("vat_number", ""))
        except QuotemailError as exc:
            status = from_error(exc).status
            return page(request, contact_id, typed, status, request.app.state.pages.explain(request, exc))
        filled = dict(typed)
        for key, value in card_fields(found).items():
            if key == "vat_number" or not filled.get(key, "").strip() or (key == "country" and not filled.get("street")):
                filled[key] = value
        return page(request, contact_id, filled, vies=found.view())

    @r.get("/contacts/new")
    def new(request: Request, actor: PageActor, ctx: Ctx, kind: str = "prospect") -> Response:
        with ctx.readers() as s:
            tenant = s.get_one(Tenant, actor.tenant_id)
            values = {"kind": "customer" if kind == "customer" else "prospect", "type": "company",
                      "language": tenant.language, "currency": "EUR", "country": "BE", "vat_regime": "standard"}
        return page(request, None, values)

    @r.post("/contacts/new")
    async def create(request: Request, actor: PageActor, ctx: Ctx) -> Response:
        """A new prospect or customer typed in by hand (after a phone call): `POST /contacts`'s service."""
        form = await request.form()
        typed, data = changes_from_form(form)
        typed["kind"] = data["kind"] = str(form.get("kind") or "prospect")
        if form.get("action") == "vies":
            return await anyio.to_thread.run_sync(vies_page, request, ctx, None, typed)

        def work() -> Response:
            try:
                with ctx.sessions.begin() as s:
                    saved = contacts.add_contact(s, s.get_one(Tenant, actor.tenant_id), data, actor.label, ctx.clock)
                    new_id = saved.row.id
            except QuotemailError as exc:
                return page(request, None, typed, from_error(exc).status, request.app.state.pages.explain(request, exc))
            return see_other(f"/contacts/{new_id}?flash=contact_added")

        return await anyio.to_thread.run_sync(work)

    @r.get("/contacts/{contact_id}/edit")
    def edit(request: Request, contact_id: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_contact(contact_id, actor, ctx)
        with ctx.readers() as s:
            values = form_values(row_to_input(contacts.get_contact(s, contact_id)))
        return page(request, contact_id, values)

    @r.post("/contacts/{contact_id}/edit")
    async def save(request: Request, contact_id: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_contact(contact_id, actor, ctx)
        form = await request.form()
        typed, changes = changes_from_form(form)
        if form.get("action") == "vies":
            return await anyio.to_thread.run_sync(vies_page, request, ctx, contact_id, typed)

        def work() -> Response:
            try:
                with ctx.sessions.begin() as s:
                    contacts.update_contact(s, contact_id, changes, actor.label, ctx.clock)
            except QuotemailError as exc:
                return page(request, contact_id, typed, from_error(exc).status, request.app.state.pages.explain(request, exc))
            return see_other(f"/contacts/{contact_id}?flash=saved")

        return await anyio.to_thread.run_sync(work)

    @r.get("/contacts/export.xlsx")
    def export_xlsx(actor: PageActor, ctx: Ctx) -> Response:
        with ctx.readers() as s:
            data = contacts_io.export_contacts(s, s.get_one(Tenant, actor.tenant_id), "xlsx", ctx.clock)
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="contacts.xlsx"'})

    @r.get("/contacts/{contact_id}/attachments/{number}")
    def download(request: Request, contact_id: int, number: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_contact(contact_id, actor, ctx)
        with ctx.readers() as s:
            file = contact_attachment(s, contact_id, number)
        name = file.filename or f"attachment-{number}"
        ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "_")
        return Response(file.data, media_type=file.content_type or "application/octet-stream", headers={
            # always a download: an uploaded text/html file must not run as our page
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        })

    return r
