"""`quotemaild message ...`: stored messages."""

from __future__ import annotations

import sys

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.files_out import add_file_commands
from quotemaild.edges.cli.tables import Column, table
from quotemaild.services import robot_answers
from quotemaild.services.attachments_out import message_attachment, message_attachments
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
        if not rs:
            return "(no messages)"
        lines = table(rs, MESSAGE_COLUMNS, "", tenant=None if tenant_slug else (lambda r: r["tenant"])).splitlines()
        out = [lines[0]]
        for r, line in zip(rs, lines[1:], strict=True):
            out.append(line)
            system = r["info"].get("system") if r["info"] else None
            if system:
                out.append(f"       code={system.get('code')} link={system.get('link')} {system.get('hint') or ''}")
            robot = r["info"].get("robot") if r["info"] else None
            if robot and r["kind"] in robot_answers.ROBOT_KINDS:
                # why it was taken for a robot; `message verdict ID human` if that was wrong
                out.append(f"       robot {robot.get('score')}: {'; '.join(robot.get('reasons') or [])[:160]}")
        return "\n".join(out)

    emit(rows, as_json, text)


MESSAGE_COLUMNS = [
    Column("ID", lambda r: r["id"], right=True, width=6),
    Column("KIND", lambda r: r["kind"]),
    Column("REQUEST", lambda r: r["request_id"], right=True),
    Column("FROM", lambda r: (r["from"] or {}).get("email"), width=30),
    Column("SUBJECT", lambda r: r["subject"][:50]),
]


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


add_file_commands(message, "message", message_attachments, message_attachment,
                  "List a message's attachments (original name and type), numbered for `message attachment ID N`.",
                  "Write attachment N of a message, byte for byte (`message attachment 12 1 > plan.pdf`).")
