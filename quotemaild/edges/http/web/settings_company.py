"""/settings/company (admin): the tenant's company profile and logo, and adding or removing an
IMAP mailbox — the services behind `tenant profile`, `tenant update --quote-validity-days`,
`source add-imap` and `source remove`.

A mailbox added here authenticates with a password typed in the form: the server writes it to a
file of its own (0600, under `state_dir/imap-passwords/`) and stores that path, like
`--password-file`. A token command or a password file path cannot be given from the browser:
either would let a web user run a program or read a file on the server.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from quotemaild.domain.tenant_profile import LANGUAGES, MAX_LOGO, PER_LANGUAGE, TEXT_FIELDS
from quotemaild.edges.http.deps import Ctx
from quotemaild.edges.http.problems import from_error
from quotemaild.edges.http.web.auth import PageActor, see_other
from quotemaild.errors import InvalidInput, NotFound, QuotemailError
from quotemaild.services.sources import TLS_MODES, NewImapSource, add_imap_source, list_sources, remove_source
from quotemaild.services.tenant_profile import logo_data_uri, profile_view, set_logo, update_profile
from quotemaild.services.tenants import TenantUpdate, update_tenant
from quotemaild.store.models import ImapSource, Tenant

PLAIN_FIELDS = (*TEXT_FIELDS, "email", "country", "vat_number", "iban", "bic", "payment_days")


def profile_changes(form: Any) -> dict[str, Any]:
    """The form as `update_profile` changes: every plain field, terms and signature per language."""
    changes: dict[str, Any] = {f: str(form.get(f) or "").strip() for f in PLAIN_FIELDS}
    if not changes["payment_days"]:
        changes["payment_days"] = None
    for key in PER_LANGUAGE:
        changes[key] = {lang: str(form.get(f"{key}_{lang}") or "") for lang in LANGUAGES}
    return changes


def form_values(view: dict[str, Any]) -> dict[str, str]:
    values = {f: "" if view.get(f) is None else str(view[f]) for f in PLAIN_FIELDS}
    for key in PER_LANGUAGE:
        values.update({f"{key}_{lang}": (view.get(key) or {}).get(lang, "") for lang in LANGUAGES})
    values["quote_validity_days"] = str(view.get("quote_validity_days") or "")
    return values


def write_password(state_dir: Path, password: str) -> str:
    """The mailbox password in a file only the daemon's user reads; its absolute path."""
    folder = (state_dir / "imap-passwords").resolve()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(12)}.secret"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password)
    return str(path)


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(request: Request, ctx: Ctx, slug: str, tenant_id: int, status: int = 200,
             values: dict[str, str] | None = None, error: str | None = None) -> Response:
        with ctx.readers() as s:
            tenant = s.get_one(Tenant, tenant_id)
            view = profile_view(tenant)
            logo = logo_data_uri(tenant)
            sources = [{"id": src.id, "user": src.username, "host": src.host, "port": src.port,
                        "folder": src.folder, "state": src.state}
                       for src, owner in list_sources(s) if owner == slug]
        return request.app.state.pages.render(
            request, "settings_company.html", status, section="settings", v=values or form_values(view),
            logo=logo, sources=sources, languages=LANGUAGES, tls_modes=TLS_MODES, error=error)

    @r.get("/settings/company")
    def company(request: Request, actor: PageActor, ctx: Ctx) -> Response:
        actor.require_admin("settings")
        return page(request, ctx, actor.tenant_slug, actor.tenant_id)

    @r.post("/settings/company")
    async def save(request: Request, actor: PageActor, ctx: Ctx) -> Response:
        actor.require_admin("settings")
        async with request.form() as form:  # closes the uploaded file's spool
            typed = {k: str(v) for k, v in form.items() if isinstance(v, str)}
            changes = profile_changes(form)
            upload = form.get("logo")
            logo = await upload.read(MAX_LOGO + 1) if isinstance(upload, UploadFile) and upload.filename else None
            remove_logo = form.get("remove_logo") == "yes"
            validity = str(form.get("quote_validity_days") or "").strip()

        def work() -> Response:
            try:
                days = int(validity) if validity else None
            except ValueError:
                wrong = InvalidInput("quote_validity_days", "must be a whole number", code="not_whole")
                return page(request, ctx, actor.tenant_slug, actor.tenant_id, 422, typed,
                            request.app.state.pages.explain(request, wrong))
            try:
                with ctx.sessions.begin() as s:
                    update_profile(s, actor.tenant_slug, changes)
                    if days is not None:
                        update_tenant(s, actor.tenant_slug, TenantUpdate(quote_validity_days=days))
                    if logo is not None:
                        set_logo(s, actor.tenant_slug, logo)
                    elif remove_logo:
                        set_logo(s, actor.tenant_slug, None)
            except QuotemailError as exc:
                return page(request, ctx, actor.tenant_slug, actor.tenant_id, from_error(exc).status, typed,
                            request.app.state.pages.explain(request, exc))
            return see_other("/settings/company?flash=saved")

        return await anyio.to_thread.run_sync(work)

    @r.post("/settings/sources")
    def add_source(request: Request, actor: PageActor, ctx: Ctx,
                   host: Annotated[str, Form(max_length=253)], username: Annotated[str, Form(max_length=320)],
                   password: Annotated[str, Form(max_length=1024)], port: Annotated[int, Form(ge=0, le=70000)] = 993,
                   tls: Annotated[str, Form()] = "ssl", folder: Annotated[str, Form(max_length=200)] = "INBOX",
                   move_to: Annotated[str, Form(max_length=200)] = "") -> Response:
        actor.require_admin("IMAP mailboxes")
        if not password:
            return page(request, ctx, actor.tenant_slug, actor.tenant_id, 422, error="password: must not be empty")
        secret = write_password(ctx.config.state_dir, password)
        new = NewImapSource(actor.tenant_slug, host, port, tls, username.strip(), password_file=secret,
                            folder=folder.strip(), move_to=move_to.strip() or None)
        try:
            with ctx.sessions.begin() as s:
                add_imap_source(s, new, ctx.clock)
        except QuotemailError as exc:
            Path(secret).unlink(missing_ok=True)  # nothing stored: no password left behind
            said = request.app.state.pages.explain(request, exc)
            return page(request, ctx, actor.tenant_slug, actor.tenant_id, from_error(exc).status, error=said)
        return see_other("/settings/company?flash=saved#mailboxes")

    @r.post("/settings/sources/{source_id}/remove")
    def remove(request: Request, source_id: int, actor: PageActor, ctx: Ctx) -> Response:
        actor.require_admin("IMAP mailboxes")
        with ctx.sessions.begin() as s:
            source = s.get(ImapSource, source_id)
            if source is None or source.tenant_id != actor.tenant_id:
                raise NotFound("source", source_id)
            secret = source.password_file
            remove_source(s, source_id)
        if secret and Path(secret).parent == (ctx.config.state_dir / "imap-passwords").resolve():
            Path(secret).unlink(missing_ok=True)  # only the files this page wrote
        return see_other("/settings/company?flash=saved#mailboxes")

    return r

