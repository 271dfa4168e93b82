"""Quote states and actions, and the table that keeps a request's status in line with its quotes."""

from __future__ import annotations

import pytest

from quotemaild.domain.quote_states import (
    QUOTE_LABELS,
    QuoteAction,
    QuoteState,
    agrees,
    allowed_statuses,
    quote_label,
    quote_transition,
    status_following_quotes,
)
from quotemaild.domain.status import Status
from quotemaild.errors import InvalidInput

X = None
# Rows: quote state. Columns: queue, send, accept, reject, expire, new_version.
ACTIONS = ["queue", "send", "accept", "reject", "expire", "new_version"]
QUOTE_TABLE = {
    "draft":      ["queued", "sent", "accepted", "rejected", X, X],
    "queued":     ["queued", "sent", "accepted", "rejected", X, X],
    "sent":       ["sent", "sent", "accepted", "rejected", "expired", "superseded"],
    "accepted":   [X, X, X, X, X, X],
    "rejected":   [X, X, X, X, X, "superseded"],
    "expired":    [X, X, "accepted", "rejected", X, "superseded"],
    "superseded": [X, X, X, X, X, X],
}
QUOTE_CASES = [(s, a, row[i]) for s, row in QUOTE_TABLE.items() for i, a in enumerate(ACTIONS)]


def test_quote_table_covers_every_pair():
    """The test table names every quote state and action exactly once."""
    assert set(QUOTE_TABLE) == {s.value for s in QuoteState}
    assert set(ACTIONS) == {a.value for a in QuoteAction}


@pytest.mark.parametrize(("state", "action", "expected"), QUOTE_CASES)
def test_quote_transition(state, action, expected):
    """Each (state, action) gives the documented state, or InvalidInput on `quote` naming both."""
    if expected is None:
        with pytest.raises(InvalidInput) as info:
            quote_transition(state, action)
        assert info.value.field == "quote" and state in info.value.problem
    else:
        assert quote_transition(state, action) == expected


# Rows: request status. Columns: one live quote in that state -> does the status agree?
STATUS_COLUMNS = ["draft", "queued", "sent", "expired", "accepted", "rejected"]
AGREES = {
    "received":      [0, 0, 0, 0, 0, 0],
    "answered":      [0, 0, 0, 0, 0, 0],
    "quote_created": [1, 1, 0, 0, 0, 0],
    "quote_sent":    [0, 0, 1, 1, 0, 0],
    "accepted":      [0, 0, 0, 0, 1, 0],
    "rejected":      [0, 0, 0, 0, 0, 1],
    "cancelled":     [1, 1, 1, 1, 1, 1],
}
AGREE_CASES = [(status, state, bool(row[i])) for status, row in AGREES.items()
               for i, state in enumerate(STATUS_COLUMNS)]


def test_agreement_table_covers_every_status():
    assert set(AGREES) == {s.value for s in Status}


@pytest.mark.parametrize(("status", "state", "expected"), AGREE_CASES)
def test_status_agrees_with_one_quote(status, state, expected):
    """A request with one live quote: the table of statuses that state allows."""
    assert agrees(status, [state]) is expected


@pytest.mark.parametrize(("status", "states", "expected"), [
    ("accepted", [], True),                      # no quote here: made elsewhere, any status
    ("quote_sent", [], True),
    ("accepted", ["draft"], False),              # the reported contradiction
    ("quote_created", ["accepted"], False),      # ... and its sequel
    ("quote_sent", ["sent", "draft"], True),     # a second quote in the making while one is out
    ("quote_created", ["sent", "draft"], True),
    ("quote_created", ["accepted", "draft"], True),  # a new round after a decision
    ("accepted", ["superseded", "accepted"], True),
    ("quote_sent", ["superseded", "accepted"], False),  # a superseded quote allows nothing
    ("accepted", ["superseded"], False),
])
def test_status_agrees_with_several_quotes(status, states, expected):
    """Several quotes: the union of what each live one allows."""
    assert agrees(status, states) is expected


def test_allowed_statuses_none_without_quotes():
    assert allowed_statuses([]) is None
    assert allowed_statuses(["draft"]) == {Status.QUOTE_CREATED, Status.CANCELLED}


@pytest.mark.parametrize(("status", "states", "has_reply", "expected"), [
    ("quote_created", [], False, "received"),            # the only draft deleted, no reply sent
    ("quote_created", [], True, "answered"),             # ... after a reply
    ("quote_created", ["draft"], False, "quote_created"),  # still agrees: stays
    ("quote_sent", ["superseded", "draft"], False, "quote_created"),  # new version, not sent yet
    ("quote_sent", ["expired"], False, "quote_sent"),    # expiry leaves the request where it is
    ("rejected", ["superseded", "draft"], False, "quote_created"),
    ("quote_created", ["sent", "draft"], False, "quote_created"),
    ("received", ["accepted"], False, "accepted"),       # strongest first
    ("quote_created", ["rejected", "sent"], False, "quote_sent"),
    ("cancelled", [], False, "cancelled"),               # a cancelled request stays cancelled
    ("cancelled", ["draft"], False, "cancelled"),
    ("quote_created", ["queued"], False, "quote_created"),  # waits for the mail to leave
])
def test_status_following_quotes(status, states, has_reply, expected):
    """After a change on the quote side the request keeps its status if it still agrees, else follows."""
    assert status_following_quotes(status, states, has_reply) == expected


def test_labels_in_every_language():
    """Every quote state has a label in nl, fr and en; an unknown language names the field."""
    for lang in ("nl", "fr", "en"):
        assert set(QUOTE_LABELS[lang]) == set(QuoteState)
    assert quote_label("superseded", "fr") == "Remplacée"
    with pytest.raises(InvalidInput):
        quote_label("draft", "de")
    with pytest.raises(InvalidInput):
        quote_transition("lost", "send")
