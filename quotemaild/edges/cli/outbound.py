"""Outgoing mail from the CLI: `request reply`, `outbox list|retry`, `template set|show`."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import click
from sqlalchemy import select

from quotemaild import wiring
from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.requests import request
from quotemaild.edges.cli.tables import Column, table
from quotemaild.errors import InvalidInput
from quotemaild.mail.compose import OutboundAttachment
from quotemaild.mail.templates import (
    KINDS,
    LANGUAGES,
    default_template,
    validate_template,
)
from quotemaild.services.outbox import list_outbox, outbox_view, retry
from quotemaild.services.reply import reply_to_request
from quotemaild.services.send import template_override
from quotemaild.services.templates import set_template
from quotemaild.services.tenants import get_tenant
from quotemaild.store.models import Tenant


def read_attachment(path: Path) -> OutboundAttachment:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput("--attach", f"cannot read {path}: {exc.strerror}") from exc
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return OutboundAttachment(filename=path.name, content_type=ctype, data=data)


@request.command("reply")
@click.argument("request_id", type=int)
@click.option("--body-file", type=click.File("r", encoding="utf-8"), required=True, help="The reply text ('-' for stdin).")
@click.option("--attach", "attach", multiple=True, type=click.Path(path_type=Path), help="A file to attach (repeatable).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_reply(app: AppContext, request_id: int, body_file, attach: tuple[Path, ...], as_json: bool) -> None:  # type: ignore[no-untyped-def]
    """Reply to the requester of REQUEST_ID from the tenant's address (queued in the outbox)."""
    attachments = [read_attachment(p) for p in attach]
    with app.transaction() as session:
        queued = reply_to_request(session, wiring.send_settings(app.config), request_id, body_file.read(), attachments, app.actor, app.clock)
    result = {
        "request_id": request_id,
        "message_id": queued.message_pk,
        "outbox_id": queued.outbox_id,
        "loops_back": queued.loops_back,
        "warnings": list(queued.warnings),
        "not_sent": queued.held,
    }
    if not queued.loops_back:
        click.echo("warning: sent from the tenant's own address; answers will not come back to this request", err=True)
    said = f"queued, not sent: {queued.held}" if queued.held else "reply queued"
    emit(result, as_json, lambda r: f"{said} (outbox {r['outbox_id']}) on request {request_id}")


@click.group()
def outbox() -> None:
    """Outgoing mail waiting for, or done with, delivery."""


@outbox.command("list")
@click.option("--state", type=click.Choice(["queued", "sent", "failed"]))
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def outbox_list(app: AppContext, state: str | None, limit: int, as_json: bool) -> None:
    """List outgoing mail, newest first."""
    with app.reading() as session:
        rows = list_outbox(session, state, limit)
        slugs = {tid: slug for tid, slug in session.execute(select(Tenant.id, Tenant.slug))}
    for r in rows:
        r["tenant"] = slugs.get(r["tenant_id"])
    emit(rows, as_json, lambda rs: table(rs, OUTBOX_COLUMNS, "(outbox empty)", tenant=lambda r: r["tenant"]))


OUTBOX_COLUMNS = [
    Column("ID", lambda r: r["id"], right=True, width=6),
    Column("STATE", lambda r: r["state"]),
    Column("KIND", lambda r: r["kind"]),
    Column("REQUEST", lambda r: r["request_id"], right=True),
    Column("TRIES", lambda r: r["attempts"], right=True),
    Column("TO", lambda r: ",".join(r["to"])),
    Column("LAST ERROR", lambda r: (r["last_error"] or "")[:80]),
]


@outbox.command("retry")
@click.argument("outbox_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def outbox_retry(app: AppContext, outbox_id: int, as_json: bool) -> None:
    """Try a failed or waiting mail again now (the daemon picks it up within its poll interval)."""
    with app.transaction() as session:
        view = outbox_view(retry(session, outbox_id, app.clock.now()))
    emit(view, as_json, lambda v: f"outbox {v['id']} queued for a new attempt")


@click.group()
def template() -> None:
    """Mail templates: acknowledgement, reply wrapper, quote mail (nl, fr, en)."""


@template.command("set")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("language", type=click.Choice(LANGUAGES))
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), required=True, help="First line 'Subject: ...', a blank line, then the body.")
@pass_app
@handle_errors
def template_set(app: AppContext, kind: str, language: str, tenant_slug: str, file) -> None:  # type: ignore[no-untyped-def]
    """Save a tenant's own text for KIND in LANGUAGE; it is checked before it is saved."""
    text = file.read()
    validate_template(kind, text)
    with app.transaction() as session:
        set_template(session, get_tenant(session, tenant_slug), kind, language, text, app.clock.now())
    click.echo(f"template {kind}/{language} saved for {tenant_slug}", err=True)


@template.command("show")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("language", type=click.Choice(LANGUAGES))
@click.option("--tenant", "tenant_slug", metavar="SLUG", help="Show this tenant's text (default: the built-in one).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def template_show(app: AppContext, kind: str, language: str, tenant_slug: str | None, as_json: bool) -> None:
    """Print the template text in effect."""
    override = None
    if tenant_slug:
        with app.reading() as session:
            override = template_override(session, get_tenant(session, tenant_slug).id, kind, language)
    text = override or default_template(kind, language)
    emit({"kind": kind, "language": language, "custom": override is not None, "text": text}, as_json, lambda d: d["text"].rstrip())


def register(cli: click.Group) -> None:
    cli.add_command(outbox)
    cli.add_command(template)
