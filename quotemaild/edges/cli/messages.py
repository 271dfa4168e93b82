"""`quotemaild message ...`: stored messages."""

from __future__ import annotations

import sys

import click

from quotemaild.edges.cli.context import AppContext, handle_errors, pass_app
from quotemaild.store.queries import raw_bytes


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


def register(cli: click.Group) -> None:
    cli.add_command(message)
