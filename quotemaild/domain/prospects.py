"""Prospect activity (seed 001: "activating quote requests activates prospects").

A prospect becomes active when one of its requests leaves `received` for real work — an answer,
a quote, a decision. A cancel is not activity, and customers are not "active prospects": the flag
only moves for prospects, and only from inactive to active (nothing makes a prospect inactive again
on its own; a seller can still set it by hand).
"""

from __future__ import annotations

WORKED = frozenset({"answered", "quote_created", "quote_sent", "accepted", "rejected"})


def activates(kind: str, active: bool, request_status: str) -> bool:
    """True when a contact of `kind` should become active now its request is `request_status`."""
    return kind == "prospect" and not active and request_status in WORKED
