"""`quotemaild message ...`: stored messages."""

from __future__ import annotations

import sys

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.services import robot_answers
from quotemaild.store.queries import list_messages, raw_bytes

KINDS = ("human", "bulk", "bounce", "auto_reply", "out_of_office", "system", "unprocessed", "ack", "reply", "quote")


@click.group()
def message() -> None:
    """Inspect stored messages."""


@message.command("raw")
@click.argument("message_id", type=int)
@pass_app
@handle_errors
def message_raw(app: AppContext, message_id: int) -> None:
    """Write the exact bytes received for message MESSAGE_ID to stdout."""
    with app.reading() as session:
        data = raw_bytes(session, message_id)
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


@message.command("list")
@click.option("--tenant", "tenant_slug", metavar="SLUG")
@click.option("--kind", type=click.Choice(KINDS), help="e.g. system: Gmail forwarding confirmations and set-up mail.")
@click.option("--unattached", is_flag=True, help="Only messages on no request (set-up mail, stray bounces).")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def message_list(app: AppContext, tenant_slug: str | None, kind: str | None, unattached: bool, limit: int, as_json: bool) -> None:
    """List messages, newest first; system mail shows its code, link and hint."""
    with app.reading() as session:
        rows = list_messages(session, tenant_slug, kind, unattached, limit)

    def text(rs: list[dict]) -> str:  # type: ignore[type-arg]
        lines = []
        for r in rs:
            sender = (r["from"] or {}).get("email", "-")
            lines.append(f"{r['id']:>6} {r['kind']:<13} req={r['request_id']} {sender:<30} {r['subject'][:50]}")
            system = r["info"].get("system") if r["info"] else None
            if system:
                lines.append(f"       code={system.get('code')} link={system.get('link')} {system.get('hint') or ''}")
        return "\n".join(lines) or "(no messages)"

    emit(rows, as_json, text)


@message.command("verdict")
@click.argument("message_id", type=int)
@click.argument("verdict", type=click.Choice(robot_answers.VERDICTS))
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def message_verdict(app: AppContext, message_id: int, verdict: str, as_json: bool) -> None:
    """Correct a received message's verdict: a person wrote it (human) or a robot did (robot).

    The change is recorded on the request's timeline as --actor."""
    with app.transaction() as session:
        done = robot_answers.correct_verdict(session, message_id, verdict, app.actor, app.clock.now())

    def text(d: dict) -> str:  # type: ignore[type-arg]
        if not d["changed"]:
            return f"message {d['message']}: already {d['after']}"
        return f"message {d['message']}: {d['before']} -> {d['after']} (request {d['request_id']})"

    emit(done, as_json, text)


def register(cli: click.Group) -> None:
    cli.add_command(message)
