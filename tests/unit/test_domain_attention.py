"""New inbound mail: unread again on every status; needs attention only for a person's mail on a closed request."""

from __future__ import annotations

import pytest

from quotemaild.domain.attention import CLOSED, InboundEffect, on_inbound
from quotemaild.domain.status import Status

UNREAD = InboundEffect(mark_unread=True, set_attention=False, timeline=None)
FLAG = InboundEffect(mark_unread=True, set_attention=True, timeline="needs_attention")
FLAG_AGAIN = InboundEffect(mark_unread=True, set_attention=True, timeline=None)


@pytest.mark.parametrize(("status", "kind", "already", "expected"), [
    ("received", "human", False, UNREAD),
    ("answered", "human", False, UNREAD),
    ("quote_created", "human", False, UNREAD),
    ("quote_sent", "human", False, UNREAD),
    ("quote_sent", "human", True, UNREAD),
    ("accepted", "human", False, FLAG),
    ("rejected", "human", False, FLAG),
    ("cancelled", "human", False, FLAG),
    ("cancelled", "human", True, FLAG_AGAIN),  # flag already up: no second timeline entry
    ("accepted", "auto_reply", False, UNREAD),
    ("rejected", "bounce", False, UNREAD),
    ("cancelled", "system", False, UNREAD),
    ("received", "bounce", False, UNREAD),
])
def test_on_inbound(status, kind, already, expected):
    assert on_inbound(status, kind, already) == expected


def test_closed_statuses_are_exactly_the_decided_and_the_cancelled():
    assert CLOSED == {Status.ACCEPTED, Status.REJECTED, Status.CANCELLED}


@pytest.mark.parametrize("status", [s.value for s in Status])
def test_every_status_marks_unread(status):
    assert on_inbound(status, "human", False).mark_unread
