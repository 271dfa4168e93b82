"""Pure edits of a draft quote's lines, version numbers and the expiry rule.

Positions are counted from 1, as the quote shows them; an edit returns a new tuple and never
changes its input. A bad position is an InvalidInput naming `position` (or `to`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TypeVar

from quotemaild.errors import InvalidInput

T = TypeVar("T")

MAX_VERSION = 99
_VERSION_SUFFIX = re.compile(r"-(\d{1,2})$")


def _check(lines: Sequence[object], position: int, field: str = "position", extra: int = 0) -> int:
    if not 1 <= position <= len(lines) + extra:
        raise InvalidInput(field, f"must be 1-{len(lines) + extra}, got {position}", code="position_range",
                           params={"max": len(lines) + extra})
    return position - 1


def insert_line(lines: Sequence[T], line: T, at: int | None = None) -> tuple[T, ...]:
    """`line` inserted at position `at` (1 = first); at the end without `at`."""
    out = list(lines)
    index = len(out) if at is None else _check(out, at, extra=1)
    out.insert(index, line)
    return tuple(out)


def replace_line(lines: Sequence[T], position: int, line: T) -> tuple[T, ...]:
    out = list(lines)
    out[_check(out, position)] = line
    return tuple(out)


def remove_line(lines: Sequence[T], position: int) -> tuple[T, ...]:
    """Without the line at `position`; a quote keeps at least one line."""
    out = list(lines)
    index = _check(out, position)
    if len(out) == 1:
        raise InvalidInput("position", "a quote keeps at least one line (delete the draft instead)", code="last_line")
    del out[index]
    return tuple(out)


def move_line(lines: Sequence[T], position: int, to: int) -> tuple[T, ...]:
    """The line at `position` moved to `to`; the others keep their order."""
    out = list(lines)
    line = out.pop(_check(out, position))
    out.insert(_check(lines, to, field="to"), line)
    return tuple(out)


def version_number(number: str, version: int, new_version: int) -> str:
    """The number of version `new_version` of a quote numbered `number` (itself version `version`):
    `OF-2026-0007` -> `OF-2026-0007-2` -> `OF-2026-0007-3`."""
    if not 2 <= new_version <= MAX_VERSION:
        raise InvalidInput("version", f"must be 2-{MAX_VERSION}")
    base = number
    if version > 1:
        match = _VERSION_SUFFIX.search(number)
        if match is None or int(match.group(1)) != version:
            raise InvalidInput("number", f"{number!r} does not end in -{version}")
        base = number[: match.start()]
    return f"{base}-{new_version}"


def is_expired(state: str, valid_until: dt.date, today: dt.date) -> bool:
    """A sent quote expires the day after its last valid day; other states never do."""
    return state == "sent" and today > valid_until
