"""Writing a stored file out: to stdout (never a terminal), to a file, or into a directory under its
original name (made safe: no path separators, no control characters)."""

from __future__ import annotations

import sys
from pathlib import Path

from quotemaild.errors import InvalidInput
from quotemaild.mail.compose import safe_filename
from quotemaild.services.attachments_out import FileOut


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
