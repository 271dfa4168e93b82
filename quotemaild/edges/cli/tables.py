"""Plain-text tables for list commands: a header row, then one row per item.

Across tenants (no `--tenant` given) a TENANT column comes first, so rows of different tenants
are never mistaken for each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[dict[str, Any]], object]
    width: int = 0  # 0: as wide as the widest value (the last column is never padded)
    right: bool = False


def table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], empty: str,
          tenant: Callable[[dict[str, Any]], object] | None = None) -> str:
    """The rows under a header; `tenant` adds a first TENANT column (for lists across tenants)."""
    if not rows:
        return empty
    cols = list(columns)
    if tenant is not None:
        cols.insert(0, Column("TENANT", tenant))
    cells = [[_text(c.value(r)) for c in cols] for r in rows]
    widths = [c.width or max(len(c.title), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    out = [_line([c.title for c in cols], cols, widths)]
    out.extend(_line(row, cols, widths) for row in cells)
    return "\n".join(out)


def _text(value: object) -> str:
    if value is None or value == "":
        return "-"
    return " ".join(str(value).split())


def _line(cells: Sequence[str], cols: Sequence[Column], widths: Sequence[int]) -> str:
    parts = []
    last = len(cols) - 1
    for i, (cell, col, width) in enumerate(zip(cells, cols, widths, strict=True)):
        cell = cell[:width] if col.width else cell
        if i == last and not col.right:
            parts.append(cell)
        else:
            parts.append(cell.rjust(width) if col.right else cell.ljust(width))
    return "  ".join(parts).rstrip()
