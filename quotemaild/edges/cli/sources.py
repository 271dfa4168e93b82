"""`quotemaild source ...`: mailboxes quotemaild fetches over IMAP for a tenant."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.errors import InvalidInput
from quotemaild.services.sources import (
    TLS_MODES,
    NewImapSource,
    add_imap_source,
    list_sources,
    remove_source,
    source_view,
)

DEFAULT_PORTS = {"none": 143, "starttls": 143, "ssl": 993}


@click.group()
def source() -> None:
    """Manage IMAP sources (folders fetched for a tenant)."""


@source.command("add-imap")
@click.option("--tenant", "tenant_slug", required=True, metavar="SLUG")
@click.option("--host", required=True)
@click.option("--port", type=click.IntRange(1, 65535), help="Default: 993 with --tls ssl, else 143.")
@click.option("--tls", type=click.Choice(TLS_MODES), default="ssl", show_default=True)
@click.option("--user", "username", required=True)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False),
    help="File holding the password; read at every connect, never copied into the database.",
)
@click.option(
    "--token-command",
    metavar="CMD",
    help="XOAUTH2 (Gmail, Microsoft 365): command printing a fresh OAuth2 access token.",
)
@click.option("--folder", default="INBOX", show_default=True)
@click.option("--move-to", metavar="FOLDER", help="Move each imported message to this folder.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def source_add_imap(
    app: AppContext,
    tenant_slug: str,
    host: str,
    port: int | None,
    tls: str,
    username: str,
    password_file: str | None,
    token_command: str | None,
    folder: str,
    move_to: str | None,
    as_json: bool,
) -> None:
    """Fetch mail for a tenant from an IMAP folder (password file or XOAUTH2 token command)."""
    if password_file is not None:
        path = Path(password_file).expanduser().resolve()
        try:
            mode = path.stat().st_mode
            path.open("rb").close()
        except OSError as exc:
            raise InvalidInput("password-file", f"cannot read {path}: {exc.strerror}") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            click.echo(f"quotemaild: warning: {path} is readable by others; chmod 600 it", err=True)
        password_file = str(path)
    new = NewImapSource(
        tenant_slug=tenant_slug,
        host=host,
        port=port or DEFAULT_PORTS[tls],
        tls=tls,
        username=username,
        password_file=password_file,
        token_command=token_command,
        folder=folder,
        move_to=move_to,
    )
    with app.transaction() as session:
        created = add_imap_source(session, new, app.clock)
        view = source_view(created, tenant_slug.lower())
    emit(view, as_json, lambda v: f"source {v['id']} added: {v['user']}@{v['host']}:{v['port']}/{v['folder']} for {v['tenant']} (the running daemon picks it up within seconds)")


@source.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def source_list(app: AppContext, as_json: bool) -> None:
    """List IMAP sources with their state, last error, last success and messages imported."""
    with app.reading() as session:
        views = [source_view(src, slug) for src, slug in list_sources(session)]
    emit(views, as_json, _table)


def _table(views: list[dict[str, Any]]) -> str:
    if not views:
        return "(no sources)"
    lines = [f"{'ID':>4}  {'TENANT':<20} {'STATE':<10} {'IMPORTED':>8}  {'MAILBOX':<40} LAST ERROR"]
    for v in views:
        mailbox = f"{v['user']}@{v['host']}:{v['port']}/{v['folder']}"
        error = v["last_error"] or "-"
        lines.append(f"{v['id']:>4}  {v['tenant']:<20} {v['state']:<10} {v['imported']:>8}  {mailbox[:40]:<40} {error}")
    return "\n".join(lines)


@source.command("remove")
@click.argument("source_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def source_remove(app: AppContext, source_id: int, as_json: bool) -> None:
    """Stop fetching from source SOURCE_ID (imported mail stays)."""
    with app.transaction() as session:
        remove_source(session, source_id)
    emit({"id": source_id, "removed": True}, as_json, lambda v: f"source {v['id']} removed")


def register(cli: click.Group) -> None:
    cli.add_command(source)
