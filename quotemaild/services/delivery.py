"""Honest outbound state for the API and the web app: is this mail out, and if not, why not.

    delivery_view(outbox row view, smarthost_configured) -> {"state", "sent", "reason"}

A mail is `sent` only after the smarthost's 250. While no smarthost is configured every queued
mail says so, instead of looking as if it were on its way.
"""

from __future__ import annotations

from typing import Any

from quotemaild.services.send import NOT_SENT


def delivery_view(row: dict[str, Any], smarthost_configured: bool) -> dict[str, Any]:
    state = row["state"]
    if state == "sent":
        reason = None
    elif state == "queued" and not smarthost_configured:
        reason = NOT_SENT  # the words the CLI and the timeline use
    elif state == "queued":
        reason = (f"waiting for a new attempt after: {row['last_error']}" if row.get("last_error")
                  else "queued for delivery")
    else:
        reason = row.get("last_error") or "delivery failed"
    return {"state": state, "sent": state == "sent", "reason": reason}
