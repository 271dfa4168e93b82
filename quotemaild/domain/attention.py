"""What a new inbound message does to a request's read state and its "needs attention" flag.

Helpdesk users rely on this (Zammad, FreeScout, Chatwoot all do it): a request is unread for a
user until that user opens it, and new mail makes it unread again for everyone, whatever its
status. Mail from a person on a closed request (accepted, rejected, cancelled) also needs a
human: the flag is set and the timeline says why. Automatic mail (auto-replies, bounces, system
mail) marks unread but does not raise the flag: a bounce has its own path (the outbox), and an
out-of-office on a closed request needs no one.

    status \\ kind            human                         other kinds
    received..quote_sent     unread                        unread
    accepted/rejected/       unread + attention            unread
      cancelled              (+ timeline unless already set)
"""

from __future__ import annotations

from dataclasses import dataclass

CLOSED = frozenset({"accepted", "rejected", "cancelled"})
HUMAN_KINDS = frozenset({"human"})
ATTENTION_EVENT = "needs_attention"


@dataclass(frozen=True)
class InboundEffect:
    mark_unread: bool
    set_attention: bool
    timeline: str | None  # the timeline entry to add, if any


def on_inbound(status: str, kind: str, attention_already: bool) -> InboundEffect:
    """The effect of one new inbound message of `kind` on a request in `status` (pure)."""
    raise_flag = status in CLOSED and kind in HUMAN_KINDS
    return InboundEffect(
        mark_unread=True,
        set_attention=raise_flag,
        timeline=ATTENTION_EVENT if raise_flag and not attention_already else None,
    )
