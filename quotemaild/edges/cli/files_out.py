"""Writing a stored file out: to stdout (never a terminal), to a file, or into a directory under its
original name (made safe: no path separators, no control characters)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.tables import Column, table
from quotemaild.errors import InvalidInput
from quotemaild.mail.compose import safe_filename
from quotemaild.services.attachments_out import FileOut

FILE_COLUMNS = [
    Column("N", lambda f: f["number"], right=True),
    Column("SIZE", lambda f: f["size"], right=True),
    Column("TYPE", lambda f: f["content_type"]),
    Column("NAME", lambda f: f["filename"]),
]


def write_out(file: FileOut, output: Path | None) -> Path | None:
    """Write `file` to `output` (a directory: under its original name) or stdout; the path written."""
    if output is None:
        if sys.stdout.isatty():
            raise InvalidInput("output", "refusing to write a file to a terminal: redirect stdout or use --output")
        sys.stdout.buffer.write(file.data)
        sys.stdout.flush()
        return None
    target = output / (safe_filename(file.filename) or f"attachment-{file.number}") if output.is_dir() else output
    target.write_bytes(file.data)
    return target


def add_file_commands(
    group: click.Group,
    owner: str,
    lister: Callable[[Session, int], list[dict[str, Any]]],
    getter: Callable[[Session, int, int], FileOut],
    list_help: str,
    get_help: str,
) -> None:
    """`GROUP attachments ID` and `GROUP attachment ID N` for one kind of owner (a message, a card)."""
    meta = f"{owner.upper()}_ID"

    @group.command("attachments", help=list_help)
    @click.argument("owner_id", metavar=meta, type=int)
    @click.option("--json", "as_json", is_flag=True)
    @pass_app
    @handle_errors
    def list_files(app: AppContext, owner_id: int, as_json: bool) -> None:
        with app.reading() as session:
            rows = lister(session, owner_id)
        emit(rows, as_json, lambda rs: table(rs, FILE_COLUMNS, "(no attachments)"))

    @group.command("attachment", help=get_help)
    @click.argument("owner_id", metavar=meta, type=int)
    @click.argument("number", type=int)
    @click.option("--output", "-o", type=click.Path(path_type=Path),
                  help="A file, or a directory to write the file into under its original name (default: stdout).")
    @pass_app
    @handle_errors
    def write_file(app: AppContext, owner_id: int, number: int, output: Path | None) -> None:
        with app.reading() as session:
            file = getter(session, owner_id, number)
        written = write_out(file, output)
        if written is not None:
            click.echo(f"{written} ({file.content_type}, {file.size} bytes)", err=True)
