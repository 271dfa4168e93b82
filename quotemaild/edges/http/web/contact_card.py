"""The contact card and what a seller changes on it without leaving it: contact persons (add, edit,
remove), the follow-up dates (first contact, appointment, call back, sold), custom fields, and files
(upload, remove). Custom field definitions (admin) live at /contacts/fields.

Every change goes through the service its JSON twin calls: persons, dates and custom fields through
`contacts.update_contact` (the API's `PATCH /contacts/{id}`), files through `contacts.attach_file`
(`POST /contacts/{id}/attachments`) and `contacts.remove_attachment` (`DELETE ...`), field
definitions through `contacts.add_custom_field` (`POST /contact-fields`). A refused form comes back
as the card (422) with what was typed and the wrong field named and marked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from quotemaild.domain.contacts import CustomFieldDef, CustomFieldKind
from quotemaild.domain.vat import check_vat
from quotemaild.edges.http.deps import Ctx, owned_contact
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.web import card_forms as forms
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.edges.http.web.render import N_, human_size
from quotemaild.errors import InvalidInput, NotFound, QuotemailError
from quotemaild.services import contacts, merge
from quotemaild.services.contact_detail import contact_detail
from quotemaild.services.contact_rows import row_to_input
from quotemaild.services.reminders import assign_seller, list_reminders
from quotemaild.services.users import list_users
from quotemaild.store.models import Tenant

MOMENT_NAMES = {"first_contact": N_("First contact"), "appointment": N_("Appointment"),
                "call_back": N_("Call back"), "sold": N_("Sold")}
FIELD_KINDS = {"text": N_("Text"), "number": N_("Number"), "date": N_("Date"), "boolean": N_("Yes or no")}
REMINDER_STATES = {"pending": N_("planned"), "sent": N_("sent"), "skipped": N_("not sent: no seller")}
VAT_WARNINGS = {"invalid_checksum": N_("The check digits of the VAT number do not match."),
                "invalid_format": N_("The VAT number does not have the right format."),
                "unknown_country": N_("The VAT number does not start with an EU country code."),
                "already_used": N_("This VAT number is already on another contact: %(other)s")}


def _defs_view(defs: tuple[CustomFieldDef, ...]) -> list[dict[str, Any]]:
    return [{"key": d.key, "label": d.label, "kind": d.kind.value, "required": d.required,
             "on_documents": d.on_documents} for d in defs]


def error_text(request: Request, exc: QuotemailError, defs: tuple[CustomFieldDef, ...] = ()) -> tuple[str, str]:
    """(message naming the field in the page's language, control name to mark) for a refusal."""
    text = request.app.state.pages.explain(request, exc, {d.key: d.label for d in defs})
    return text, forms.control_for(exc.field) if isinstance(exc, InvalidInput) else ""


def card_page(request: Request, ctx: Any, actor: Any, contact_id: int, status: int = 200, *,
              error: str | None = None, error_control: str = "", form: str = "",
              typed: Mapping[str, str] | None = None, merge_with: int | None = None) -> Response:
    """The card; after a refused form, that form (`form`) shows `typed` and the error."""
    plan = None
    with ctx.readers() as s:
        view = contact_detail(s, contact_id)
        defs = contacts.custom_field_defs(s, actor.tenant_id)
        others = [{"id": c.id, "name": c.name}
                  for c in contacts.list_contacts(s, actor.tenant_id, limit=500) if c.id != contact_id]
        vat = check_vat(view["vat_number"], contacts.vat_in_use(s, actor.tenant_id, exclude_id=contact_id))
        sellers = [{"id": u.id, "name": u.name, "email": u.email} for u in list_users(s, actor.tenant_id)]
        reminders = list_reminders(s, actor.tenant_id, limit=20, contact_id=contact_id)
        if merge_with:
            try:
                other = contacts.get_contact(s, merge_with, actor.tenant_id)
                found = merge.preview_merge(s, merge_with, contact_id)
                plan = {"source": other.name, "source_id": other.id, "moves": len(found.moves),
                        "dropped": [name for name, _ in found.dropped], "not_copied": list(found.not_copied),
                        "warnings": list(found.warnings)}
            except (NotFound, InvalidInput) as exc:
                error = request.app.state.pages.explain(request, exc)
    typed = dict(typed or {})
    persons = [{"id": p["id"], "v": typed if form == f"person-{p['id']}" else forms.person_values(p), "p": p}
               for p in view["persons"]]
    custom_shown = [(d.label, _custom_shown(d, view["custom"].get(d.key)), d.kind.value)
                    for d in defs if d.key in view["custom"]]
    return request.app.state.pages.render(
        request, "contact.html", status, section="contacts", c=view, others=others, plan=plan, error=error,
        error_control=error_control, form=form, persons=persons,
        new_person=typed if form == "person-new" else {},
        moments=typed if form == "follow-up" else forms.moment_values(view["moments"]),
        custom=typed if form == "custom" else forms.custom_values(view["custom"], defs),
        defs=_defs_view(defs), custom_shown=custom_shown, moment_names=MOMENT_NAMES, sellers=sellers,
        reminders=reminders, reminder_states=REMINDER_STATES,
        vat_warnings=[(w.code.value, str(w.used_by or "")) for w in vat.warnings], vat_texts=VAT_WARNINGS)


def _custom_shown(d: CustomFieldDef, value: object) -> object:
    if d.kind is CustomFieldKind.BOOLEAN and isinstance(value, bool):
        return forms.BOOLEAN_VALUES[value]  # the template says yes/no in the page's language
    return value


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    async def change(request: Request, contact_id: int, actor: Any, ctx: Any, form_name: str,
                     build: Callable[[Mapping[str, Any], Any], dict[str, Any]], flash: str) -> Response:
        """Read the form, turn it into `update_contact` changes (build(form, session)), save, 303;
        a refusal renders the card again with what was typed."""
        owned_contact(contact_id, actor, ctx)
        form = await request.form()
        typed = {k: str(v) for k, v in form.items() if k != "csrf" and isinstance(v, str)}

        def work() -> Response:
            defs: tuple[CustomFieldDef, ...] = ()
            try:
                with ctx.sessions.begin() as s:
                    defs = contacts.custom_field_defs(s, actor.tenant_id)
                    contacts.update_contact(s, contact_id, build(form, s), actor.label, ctx.clock)
            except QuotemailError as exc:
                message, control = error_text(request, exc, defs)
                return card_page(request, ctx, actor, contact_id, from_error(exc).status, error=message,
                                 error_control=control, form=form_name, typed=typed)
            return see_other(f"/contacts/{contact_id}?flash={flash}")

        return await anyio.to_thread.run_sync(work)

    def stored_persons(s: Any, contact_id: int) -> tuple[list[dict[str, Any]], list[int]]:
        row = contacts.get_contact(s, contact_id)
        return row_to_input(row)["persons"], [p.id for p in row.persons]

    @r.post("/contacts/{contact_id}/persons")
    async def add_person(request: Request, contact_id: int, actor: PageActor, ctx: Ctx) -> Response:
        def build(form: Mapping[str, Any], s: Any) -> dict[str, Any]:
            persons, _ = stored_persons(s, contact_id)
            return {"persons": [*persons, forms.person_from_form(form)]}

        return await change(request, contact_id, actor, ctx, "person-new", build, "person_added")

    @r.post("/contacts/{contact_id}/persons/{person_id}")
    async def save_person(request: Request, contact_id: int, person_id: int, actor: PageActor, ctx: Ctx) -> Response:
        def build(form: Mapping[str, Any], s: Any) -> dict[str, Any]:
            persons, ids = stored_persons(s, contact_id)
            return {"persons": forms.replace_person(persons, ids, person_id, forms.person_from_form(form))}

        return await change(request, contact_id, actor, ctx, f"person-{person_id}", build, "person_saved")

    @r.post("/contacts/{contact_id}/persons/{person_id}/remove")
    async def remove_person(request: Request, contact_id: int, person_id: int, actor: PageActor,
                            ctx: Ctx) -> Response:
        def build(form: Mapping[str, Any], s: Any) -> dict[str, Any]:
            persons, ids = stored_persons(s, contact_id)
            return {"persons": forms.replace_person(persons, ids, person_id, None)}

        return await change(request, contact_id, actor, ctx, f"person-{person_id}", build, "person_removed")

    @r.post("/contacts/{contact_id}/follow-up")
    async def follow_up(request: Request, contact_id: int, actor: PageActor, ctx: Ctx) -> Response:
        return await change(request, contact_id, actor, ctx, "follow-up",
                            lambda form, s: forms.moments_from_form(form), "follow_up_saved")

    @r.post("/contacts/{contact_id}/custom")
    async def custom(request: Request, contact_id: int, actor: PageActor, ctx: Ctx) -> Response:
        return await change(
            request, contact_id, actor, ctx, "custom",
            lambda form, s: forms.custom_from_form(form, contacts.custom_field_defs(s, actor.tenant_id)),
            "custom_saved")

    @r.post("/contacts/{contact_id}/seller")
    def seller(request: Request, contact_id: int, actor: PageActor, ctx: Ctx,
               seller_email: Annotated[str, Form(max_length=320)] = "") -> Response:
        """The seller who gets this card's reminders (`contact assign`); empty: the request's assignee."""
        owned_contact(contact_id, actor, ctx)
        try:
            with ctx.sessions.begin() as s:
                assign_seller(s, contact_id, seller_email.strip() or None)
        except QuotemailError as exc:
            message, control = error_text(request, exc)
            return card_page(request, ctx, actor, contact_id, from_error(exc).status, error=message,
                             error_control="seller_email", form="seller")
        return see_other(f"/contacts/{contact_id}?flash=seller_saved")

    @r.post("/contacts/{contact_id}/attachments")
    async def upload(request: Request, contact_id: int, actor: PageActor, ctx: Ctx,
                     file: Annotated[UploadFile | None, File()] = None) -> Response:
        owned_contact(contact_id, actor, ctx)

        def refused(exc: QuotemailError, status: int | None = None) -> Response:
            message, control = error_text(request, exc)
            return card_page(request, ctx, actor, contact_id, status or from_error(exc).status, error=message,
                             error_control=control, form="upload")

        if file is None or not file.filename:
            return refused(InvalidInput("file", "choose a file to upload", code="file_missing"))
        data = await file.read(ctx.max_upload + 1)
        if len(data) > ctx.max_upload:
            return refused(InvalidInput("file", f"the file is over {ctx.max_upload} bytes", code="file_too_big",
                                        params={"max": human_size(ctx.max_upload)}), 413)
        name = file.filename

        def work() -> Response:
            try:
                with ctx.sessions.begin() as s:
                    contacts.attach_file(s, contact_id, name, data, actor.label, ctx.clock)
            except QuotemailError as exc:
                return refused(exc)
            return see_other(f"/contacts/{contact_id}?flash=file_added")

        return await anyio.to_thread.run_sync(work)

    @r.post("/contacts/{contact_id}/attachments/{number}/remove")
    def remove_file(request: Request, contact_id: int, number: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_contact(contact_id, actor, ctx)
        with ctx.sessions.begin() as s:
            contacts.remove_attachment(s, contact_id, number, actor.label, ctx.clock)
        return see_other(f"/contacts/{contact_id}?flash=file_removed")

    def fields_page(request: Request, actor: Any, ctx: Any, status: int = 200, error: str | None = None,
                    error_control: str = "", typed: Mapping[str, str] | None = None) -> Response:
        with ctx.readers() as s:
            defs = contacts.custom_field_defs(s, actor.tenant_id)
        return request.app.state.pages.render(
            request, "contact_fields.html", status, section="contacts", defs=_defs_view(defs), kinds=FIELD_KINDS,
            error=error, error_control=error_control, v=dict(typed or {}))

    @r.get("/contacts/fields")
    def fields(request: Request, actor: PageActor, ctx: Ctx) -> Response:
        return fields_page(request, actor, ctx)

    @r.post("/contacts/fields")
    def add_field(request: Request, actor: PageActor, ctx: Ctx, key: Annotated[str, Form(max_length=200)] = "",
                  label: Annotated[str, Form(max_length=400)] = "", kind: Annotated[str, Form()] = "text",
                  required: Annotated[str, Form()] = "", on_documents: Annotated[str, Form()] = "") -> Response:
        actor.require_admin("define custom fields")
        typed = {"key": key, "label": label, "kind": kind, "required": required, "on_documents": on_documents}
        try:
            if kind not in FIELD_KINDS:
                raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(FIELD_KINDS)}", code="not_one_of",
                                   params={"choices": ", ".join(FIELD_KINDS)})
            with ctx.sessions.begin() as s:
                contacts.add_custom_field(s, s.get_one(Tenant, actor.tenant_id), CustomFieldDef(
                    key, label, CustomFieldKind(kind), required == "yes", on_documents == "yes"))
        except QuotemailError as exc:
            message, control = error_text(request, exc)
            return fields_page(request, actor, ctx, from_error(exc).status, message, control, typed)
        return see_other("/contacts/fields?flash=field_added")

    return r
