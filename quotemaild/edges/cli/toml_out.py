"""Settings printed the way a user writes them in quotemaild.toml (for `check-config`).

Top-level keys first, then one `[section]` per table; strings quoted, booleans `true`/`false`,
lists in brackets, nested tables inline; a value that is not set is a comment (`# key = (not set)`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items() if v is not None) + " }"
    return json.dumps(str(value), ensure_ascii=False)


def _line(key: str, value: Any) -> str:
    return f"# {key} = (not set)" if value is None else f"{key} = {toml_value(value)}"


def to_toml(settings: Mapping[str, Any]) -> str:
    """The settings as a TOML document."""
    lines = [_line(k, v) for k, v in settings.items() if not isinstance(v, Mapping)]
    for section, values in settings.items():
        if isinstance(values, Mapping):
            lines.append("")
            lines.append(f"[{section}]")
            lines.extend(_line(k, v) for k, v in values.items())
    return "\n".join(lines)
