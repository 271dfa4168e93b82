"""Contacts: list and search (prospects and customers apart), the card, convert, merge with its
warnings, CSV import (a dry run first, then the same file committed) and export.

The merge is a two-step form: pick the other card, read what the merge will move, drop and not
copy (the service's own plan), tick that it cannot be undone, confirm.
"""

from __future__ import annotations

import base64
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from quotemaild.edges.http.deps import Ctx, owned_contact
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.edges.http.web.render import human_size
from quotemaild.errors import InvalidInput, QuotemailError
from quotemaild.services import contacts, contacts_io, merge
from quotemaild.edges.http.web.contact_card import card_page
from quotemaild.store.models import Tenant

MAX_CSV = 5 * 1024 * 1024


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/contacts")
    def contact_list(request: Request, actor: PageActor, ctx: Ctx,
                     kind: Annotated[str | None, Query(pattern="^(prospect|customer)$")] = None,
                     q: Annotated[str | None, Query(max_length=200)] = None,
                     group: Annotated[str | None, Query(max_length=200)] = None) -> Response:
        with ctx.readers() as s:
            rows = contacts.list_contacts(s, actor.tenant_id, kind=kind, search=(q or "").strip() or None,
                                          group=(group or "").strip() or None)
            groups = contacts.group_names(s, actor.tenant_id)
            cards = [{"id": c.id, "name": c.name, "kind": c.kind, "number": c.number,
                      "email": (list(c.emails) or [""])[0], "city": c.city, "groups": list(c.groups)} for c in rows]
        return request.app.state.pages.render(request, "contacts.html", section="contacts", cards=cards,
                                              kind=kind, q=q or "", group=group or "", groups=groups)

    @r.get("/contacts/export.csv")
    def export(actor: PageActor, ctx: Ctx) -> Response:
        with ctx.readers() as s:
            data = contacts_io.export_contacts(s, s.get_one(Tenant, actor.tenant_id), "csv", ctx.clock)
        return Response(data, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="contacts.csv"'})

    @r.post("/contacts/import")
    async def import_csv(request: Request, actor: PageActor, ctx: Ctx,
                         file: Annotated[UploadFile | None, File()] = None,
                         data: Annotated[str, Form(max_length=MAX_CSV * 2)] = "",
                         commit: Annotated[str, Form()] = "") -> Response:
        # The dry run's file travels back in the confirm form (base64), so "import" commits
        # exactly what was checked.
        raw = await file.read(MAX_CSV + 1) if file is not None and file.filename else base64.b64decode(data or b"")
        if len(raw) > MAX_CSV:
            raise InvalidInput("file", f"at most {MAX_CSV} bytes", code="file_too_big",
                               params={"max": human_size(MAX_CSV)})
        do_commit = commit == "yes"

        def work() -> Response:
            with ctx.sessions.begin() as s:
                tenant = s.get_one(Tenant, actor.tenant_id)
                report = contacts_io.import_contacts(s, tenant, raw, commit=do_commit, actor=actor.label,
                                                     clock=ctx.clock)
            if report.committed:
                return see_other("/contacts?flash=imported")
            return request.app.state.pages.render(
                request, "contacts_import.html", 200 if report.view()["ok"] else 422, section="contacts",
                report=report.view(), data=base64.b64encode(raw).decode())

        return await anyio.to_thread.run_sync(work)

    @r.get("/contacts/{contact_id}")
    def card(request: Request, contact_id: int, actor: PageActor, ctx: Ctx,
             merge_with: Annotated[int | None, Query(ge=1)] = None) -> Response:
        owned_contact(contact_id, actor, ctx)
        return card_page(request, ctx, actor, contact_id, merge_with=merge_with)

    @r.post("/contacts/{contact_id}/convert")
    def convert(request: Request, contact_id: int, actor: PageActor, ctx: Ctx) -> Response:
        owned_contact(contact_id, actor, ctx)
        try:
            with ctx.sessions.begin() as s:
                contacts.convert_contact(s, contact_id, actor.label, ctx.clock)
        except QuotemailError:
            return see_other(f"/contacts/{contact_id}")
        return see_other(f"/contacts/{contact_id}?flash=converted")

    @r.post("/contacts/{contact_id}/merge")
    def do_merge(request: Request, contact_id: int, actor: PageActor, ctx: Ctx,
                 source_id: Annotated[int, Form(ge=1)], confirm: Annotated[str, Form()] = "") -> Response:
        owned_contact(contact_id, actor, ctx)
        owned_contact(source_id, actor, ctx)
        actor.require_admin("merge contacts")
        if confirm != "yes":
            return see_other(f"/contacts/{contact_id}?merge_with={source_id}")
        with ctx.sessions.begin() as s:
            merge.merge_contacts(s, source_id, contact_id, actor.label, ctx.clock)
        return see_other(f"/contacts/{contact_id}?flash=merged")

    return r
