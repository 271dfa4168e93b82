"""`quotemaild request ...`: quote requests and their conversations."""

from __future__ import annotations

from typing import Any

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.store.queries import list_requests, request_detail, request_query

STATUSES = ("received", "answered", "quote_created", "quote_sent", "accepted", "rejected", "cancelled")


@click.group()
def request() -> None:
    """Work with quote requests."""


@request.command("list")
@click.option("--tenant", "tenant_slug", metavar="SLUG", help="Only this tenant's requests.")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--search", metavar="TEXT", help="Text in the subject or the requester's name/e-mail.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def request_list(
    app: AppContext, tenant_slug: str | None, status: str | None, search: str | None, limit: int, as_json: bool
) -> None:
    """List quote requests, most recently updated first."""
    with app.reading() as session:
        rows = list_requests(session, request_query(tenant_slug, status, search), limit)
    emit(rows, as_json, _table)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(no requests)"
    lines = [f"{'ID':>6}  {'STATUS':<13} {'MSGS':>4}  {'REQUESTER':<32} SUBJECT"]
    for r in rows:
        who = r["requester_email"] or "-"
        lines.append(f"{r['id']:>6}  {r['status']:<13} {r['message_count']:>4}  {who[:32]:<32} {r['subject'][:60]}")
    return "\n".join(lines)


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
        f"Request {d['id']} [{d['status']}] {d['subject']}",
        f"Requester: {d['requester_name'] or ''} <{d['requester_email'] or '-'}>",
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
        lines.append(f"  {e['at']}  {e['kind']:<20} {e['actor']}")
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    cli.add_command(request)
