"""What a SIGHUP can change in a running daemon, and what needs a restart. Pure: configs in, plan out.

The daemon re-reads its config file on SIGHUP, asks `plan_reload(running, new)` what differs,
applies the reloadable keys and logs the others as `needs_restart` (a listener cannot move to a
new address, nor the store to a new URL, without dropping what is in flight).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from quotemaild.config import Config

# Dotted keys a running daemon applies on SIGHUP. Tenants are re-read from the store on every
# SIGHUP as well (they are not config).
RELOADABLE = frozenset(
    {
        "log.level",
        "log.format",
        "smtp.max_recipients",
        "mail.max_message_size",
        "retention.raw_days",
        "retention.interval",
        "retention.batch",
        "shutdown_grace",
        "processing.max_backlog",
    }
)
_NEVER_COMPARED = frozenset({"source"})


@dataclass(frozen=True)
class ReloadPlan:
    config: Config  # the running config with the reloadable changes applied
    applied: tuple[str, ...]  # keys whose new value is now in force
    needs_restart: tuple[str, ...]  # keys that changed in the file but keep their running value


def flatten(config: Config) -> dict[str, Any]:
    """`{"smtp.listen": Listen(...), "log.level": "info", ...}`; secrets are compared, never shown."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        if f.name in _NEVER_COMPARED:
            continue
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            for sub in dataclasses.fields(value):
                out[f"{f.name}.{sub.name}"] = getattr(value, sub.name)
        else:
            out[f.name] = value
    return out


def plan_reload(running: Config, new: Config) -> ReloadPlan:
    old_flat, new_flat = flatten(running), flatten(new)
    changed = sorted(k for k in old_flat if old_flat[k] != new_flat[k])
    applied = tuple(k for k in changed if k in RELOADABLE)
    needs_restart = tuple(k for k in changed if k not in RELOADABLE)
    merged = running
    for key in applied:
        merged = _replace(merged, key, new_flat[key])
    return ReloadPlan(config=merged, applied=applied, needs_restart=needs_restart)


def _replace(config: Config, key: str, value: Any) -> Config:
    section, _, name = key.partition(".")
    if not name:
        return dataclasses.replace(config, **{section: value})
    table = dataclasses.replace(getattr(config, section), **{name: value})
    return dataclasses.replace(config, **{section: table})
