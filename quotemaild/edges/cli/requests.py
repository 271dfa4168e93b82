"""`quotemaild request ...`: quote requests and their conversations."""

from __future__ import annotations

from typing import Any

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.tables import Column, table
from quotemaild.store.queries import matching_requests, request_detail

STATUSES = ("received", "answered", "quote_created", "quote_sent", "accepted", "rejected", "cancelled")


@click.group()
def request() -> None:
    """Work with quote requests."""


@request.command("list")
@click.option("--tenant", "tenant_slug", metavar="SLUG", help="Only this tenant's requests.")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--assignee", metavar="EMAIL", help="Only requests assigned to this user.")
@click.option("--search", metavar="TEXT", help="Text in the subject, the requester's name or e-mail, the linked contact's name, any message, or the request number (#123); case-insensitive for ASCII letters.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_list(
    app: AppContext,
    tenant_slug: str | None,
    status: str | None,
    assignee: str | None,
    search: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List quote requests, most recently updated first."""
    with app.reading() as session:
        rows = matching_requests(session, tenant_slug, status, search, assignee, limit)
    emit(rows, as_json, lambda rs: table(rs, REQUEST_COLUMNS, "(no requests)",
                                         tenant=None if tenant_slug else (lambda r: r["tenant"])))


REQUEST_COLUMNS = [
    Column("ID", lambda r: r["id"], right=True, width=6),
    Column("STATUS", lambda r: r["status_label"], width=18),
    Column("MSGS", lambda r: r["message_count"], right=True, width=4),
    Column("REQUESTER", lambda r: r["requester_email"] or r["requester_name"], width=32),
    Column("ASSIGNEE", lambda r: r["assignee"], width=24),
    Column("SUBJECT", lambda r: r["subject"][:60]),
]


@request.command("show")
@click.argument("request_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_show(app: AppContext, request_id: int, as_json: bool) -> None:
    """Show a request with its conversation and timeline."""
    with app.reading() as session:
        detail = request_detail(session, request_id)
    emit(detail, as_json, _detail_text)


def _detail_text(d: dict[str, Any]) -> str:
    lines = [
        f"Request {d['id']} [{d['status_label']}] {d['subject']}",
        f"Requester: {d['requester_name'] or ''} <{d['requester_email'] or '-'}>",
        f"Assigned to: {d['assignee'] or '-'}",
        "Contact: " + (f"{c['name']} ({c['kind']} {c['number'] or ''}, id {c['id']})".replace(" ,", ",")
                       if (c := d["contact"]) else "-"),
        f"Tenant: {d['tenant']}   Created: {d['created_at']}   Updated: {d['updated_at']}",
        "",
    ]
    for m in d["messages"]:
        sender = (m["from"] or {}).get("email", "-")
        lines.append(f"--- message {m['id']} ({m['direction']}, {m['provenance']}) from {sender} at {m['date']}")
        lines.append(m["text"].strip()[:2000])
        for a in m["attachments"]:
            lines.append(f"    [attachment {a['id']}] {a['filename']} ({a['content_type']}, {a['size']} bytes)")
        lines.append("")
    lines.append("Timeline:")
    for e in d["timeline"]:
        extra = e["detail"].get("body") or e["detail"].get("to") or e["detail"].get("email") or ""
        lines.append(f"  {e['at']}  {e['kind']:<20} {e['actor']:<24} {str(extra)[:80]}".rstrip())
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    cli.add_command(request)
