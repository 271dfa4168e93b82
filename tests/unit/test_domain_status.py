"""Quote request workflow: every (status, event) pair, labels, open/closed."""

from __future__ import annotations

import pytest

from quotemaild.domain.status import LABELS, Event, Status, event_for_target, is_open, label, transition
from quotemaild.errors import InvalidInput, InvalidTransition

X = None  # not allowed

# Rows: current status. Columns: reply_sent, quote_created, quote_sent, accept, reject, cancel, reopen.
EVENTS = ["reply_sent", "quote_created", "quote_sent", "accept", "reject", "cancel", "reopen"]
TABLE = {
    "received":      ["answered", "quote_created", "quote_sent", X, X, "cancelled", X],
    "answered":      ["answered", "quote_created", "quote_sent", X, X, "cancelled", X],
    "quote_created": ["quote_created", "quote_created", "quote_sent", "accepted", "rejected", "cancelled", X],
    "quote_sent":    ["quote_sent", "quote_sent", "quote_sent", "accepted", "rejected", "cancelled", X],
    "accepted":      ["accepted", "quote_created", "quote_sent", X, X, X, "quote_sent"],
    "rejected":      ["rejected", "quote_created", "quote_sent", X, X, X, "quote_sent"],
    "cancelled":     ["cancelled", X, X, X, X, X, "received"],
}
CASES = [(s, e, row[i]) for s, row in TABLE.items() for i, e in enumerate(EVENTS)]


def test_table_covers_every_pair():
    """The test table names every status and every event exactly once."""
    assert set(TABLE) == {s.value for s in Status}
    assert set(EVENTS) == {e.value for e in Event}
    assert len(CASES) == len(Status) * len(Event)


@pytest.mark.parametrize(("status", "event", "expected"), CASES)
def test_transition(status, event, expected):
    """Each (status, event) pair gives the documented status or InvalidTransition."""
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            transition(status, event)
        assert (info.value.status, info.value.event) == (status, event)
        assert info.value.field == "status"
    else:
        assert transition(status, event) == expected


@pytest.mark.parametrize("previous", ["received", "answered", "quote_created", "quote_sent"])
def test_reopen_cancelled_returns_to_previous(previous):
    """Reopening a cancelled request restores the open status it had before the cancel."""
    assert transition("cancelled", "reopen", previous=previous) == previous


@pytest.mark.parametrize("previous", ["accepted", "rejected", "cancelled"])
def test_reopen_cancelled_refuses_closed_previous(previous):
    """A previous status that could not have been cancelled is refused, naming `previous`."""
    with pytest.raises(InvalidInput) as info:
        transition("cancelled", "reopen", previous=previous)
    assert info.value.field == "previous"


def test_previous_ignored_outside_reopen_of_cancelled():
    """`previous` only affects the reopen of a cancelled request."""
    assert transition("accepted", "reopen", previous="received") == "quote_sent"


@pytest.mark.parametrize(
    ("status", "event", "field"),
    [("nonsense", "cancel", "status"), ("received", "explode", "event"), ("", "cancel", "status")],
)
def test_unknown_codes(status, event, field):
    """Unknown status or event codes are InvalidInput naming the field, not transitions."""
    with pytest.raises(InvalidInput) as info:
        transition(status, event)
    assert not isinstance(info.value, InvalidTransition)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("status", "expected"),
    [("received", True), ("answered", True), ("quote_created", True), ("quote_sent", True),
     ("accepted", False), ("rejected", False), ("cancelled", False)],
)
def test_is_open(status, expected):
    """Only received/answered/quote_created/quote_sent are open."""
    assert is_open(status) is expected


@pytest.mark.parametrize(
    ("status", "language", "expected"),
    [("received", "nl", "Ontvangen"), ("quote_created", "nl", "Offerte aangemaakt"),
     ("accepted", "nl", "Offerte aanvaard"), ("cancelled", "nl", "Geannuleerd"),
     ("received", "fr", "Reçu"), ("rejected", "fr", "Offre refusée"), ("cancelled", "fr", "Annulé"),
     ("quote_sent", "en", "Quote sent")],
)
def test_labels(status, language, expected):
    """Labels use the words of the onFact/enFact manuals."""
    assert label(status, language) == expected


def test_every_status_has_a_label_in_every_language():
    """No status is missing a label in nl, fr or en."""
    for language in ("nl", "fr", "en"):
        assert set(LABELS[language]) == set(Status)
        assert all(LABELS[language].values())


def test_label_unknown_language():
    """An unsupported language is InvalidInput naming `language`."""
    with pytest.raises(InvalidInput) as info:
        label("received", "de")
    assert info.value.field == "language"


@pytest.mark.parametrize(
    ("status", "target", "previous", "event"),
    [
        ("received", "answered", None, "reply_sent"),
        ("received", "cancelled", None, "cancel"),
        ("quote_sent", "cancelled", None, "cancel"),
        ("quote_sent", "accepted", None, "accept"),
        ("quote_created", "rejected", None, "reject"),
        ("answered", "quote_created", None, "quote_created"),
        ("quote_created", "quote_sent", None, "quote_sent"),
        ("accepted", "quote_sent", None, "reopen"),
        ("rejected", "quote_created", None, "quote_created"),
        ("cancelled", "received", None, "reopen"),
        ("cancelled", "quote_sent", "quote_sent", "reopen"),
    ],
)
def test_event_for_target(status, target, previous, event):
    """A status picked by hand maps to the workflow event that reaches it, decisions first."""
    assert event_for_target(status, target, previous) == event


@pytest.mark.parametrize(
    ("status", "target", "previous"),
    [("quote_sent", "received", None), ("accepted", "rejected", None), ("cancelled", "answered", None),
     ("cancelled", "answered", "received"), ("accepted", "cancelled", None)],
)
def test_event_for_target_unreachable(status, target, previous):
    """A status the workflow cannot reach in one step is an InvalidTransition."""
    with pytest.raises(InvalidTransition):
        event_for_target(status, target, previous)


@pytest.mark.parametrize(("status", "target", "field"), [("received", "received", "target"),
                                                         ("received", "done", "target")])
def test_event_for_target_bad_target(status, target, field):
    """The same status or an unknown one is InvalidInput naming `target`."""
    with pytest.raises(InvalidInput) as info:
        event_for_target(status, target)
    assert info.value.field == field and not isinstance(info.value, InvalidTransition)
