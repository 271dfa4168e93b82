"""Quote request statuses and the events that move them: one table, one pure `transition`.

Statuses are stored as stable English codes and shown in the user's language (`label`).

    received ──reply_sent──> answered
        │                      │
        └──quote_created──> quote_created ──quote_sent──> quote_sent ──accept──> accepted
                                   │                           └──────reject──> rejected
                                   └──accept / reject (quote handed over outside the request)

Decisions where the seeds are silent:
- A reply keeps every status other than `received` (also `cancelled`: answering a cancelled
  request does not reopen it; reopening is explicit).
- accept/reject are allowed from `quote_created` as well as `quote_sent`: a quote may be delivered
  outside the request (seed 000: "sent from the Quotes section", or on paper), so the request never
  sees `quote_sent`, yet the customer still answers.
- A new quote or a new sending after `accepted`/`rejected` starts a new round (`quote_created` /
  `quote_sent`); creating another quote while one is out (`quote_sent`) keeps `quote_sent`.
- `reopen` is explicit: a cancelled request goes back to the status it had before the cancel
  (passed in by the caller, who keeps the timeline) or to `received`; an accepted or rejected
  request goes back to `quote_sent` (a decision recorded by mistake). Open requests cannot be
  reopened.
- accepted and rejected are closed: they cannot be cancelled (reopen first).
"""

from __future__ import annotations

from enum import StrEnum

from quotemaild.errors import InvalidInput, InvalidTransition


class Status(StrEnum):
    RECEIVED = "received"
    ANSWERED = "answered"
    QUOTE_CREATED = "quote_created"
    QUOTE_SENT = "quote_sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Event(StrEnum):
    REPLY_SENT = "reply_sent"
    QUOTE_CREATED = "quote_created"
    QUOTE_SENT = "quote_sent"
    ACCEPT = "accept"
    REJECT = "reject"
    CANCEL = "cancel"
    REOPEN = "reopen"


S, E = Status, Event

OPEN_STATUSES: frozenset[Status] = frozenset({S.RECEIVED, S.ANSWERED, S.QUOTE_CREATED, S.QUOTE_SENT})

# (status, event) -> new status. A pair that is absent is an InvalidTransition.
# REOPEN from CANCELLED is resolved in `transition` (it needs the previous status).
TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (S.RECEIVED, E.REPLY_SENT): S.ANSWERED,
    (S.ANSWERED, E.REPLY_SENT): S.ANSWERED,
    (S.QUOTE_CREATED, E.REPLY_SENT): S.QUOTE_CREATED,
    (S.QUOTE_SENT, E.REPLY_SENT): S.QUOTE_SENT,
    (S.ACCEPTED, E.REPLY_SENT): S.ACCEPTED,
    (S.REJECTED, E.REPLY_SENT): S.REJECTED,
    (S.CANCELLED, E.REPLY_SENT): S.CANCELLED,
    (S.RECEIVED, E.QUOTE_CREATED): S.QUOTE_CREATED,
    (S.ANSWERED, E.QUOTE_CREATED): S.QUOTE_CREATED,
    (S.QUOTE_CREATED, E.QUOTE_CREATED): S.QUOTE_CREATED,
    (S.QUOTE_SENT, E.QUOTE_CREATED): S.QUOTE_SENT,
    (S.ACCEPTED, E.QUOTE_CREATED): S.QUOTE_CREATED,
    (S.REJECTED, E.QUOTE_CREATED): S.QUOTE_CREATED,
    (S.RECEIVED, E.QUOTE_SENT): S.QUOTE_SENT,
    (S.ANSWERED, E.QUOTE_SENT): S.QUOTE_SENT,
    (S.QUOTE_CREATED, E.QUOTE_SENT): S.QUOTE_SENT,
    (S.QUOTE_SENT, E.QUOTE_SENT): S.QUOTE_SENT,
    (S.ACCEPTED, E.QUOTE_SENT): S.QUOTE_SENT,
    (S.REJECTED, E.QUOTE_SENT): S.QUOTE_SENT,
    (S.QUOTE_CREATED, E.ACCEPT): S.ACCEPTED,
    (S.QUOTE_SENT, E.ACCEPT): S.ACCEPTED,
    (S.QUOTE_CREATED, E.REJECT): S.REJECTED,
    (S.QUOTE_SENT, E.REJECT): S.REJECTED,
    **{(status, E.CANCEL): S.CANCELLED for status in OPEN_STATUSES},
    (S.ACCEPTED, E.REOPEN): S.QUOTE_SENT,
    (S.REJECTED, E.REOPEN): S.QUOTE_SENT,
    (S.CANCELLED, E.REOPEN): S.RECEIVED,
}

LABELS: dict[str, dict[Status, str]] = {
    "nl": {
        S.RECEIVED: "Ontvangen",
        S.ANSWERED: "Beantwoord",
        S.QUOTE_CREATED: "Offerte aangemaakt",
        S.QUOTE_SENT: "Offerte verzonden",
        S.ACCEPTED: "Offerte aanvaard",
        S.REJECTED: "Offerte geweigerd",
        S.CANCELLED: "Geannuleerd",
    },
    # The words of the enFact manual (seed 002).
    "fr": {
        S.RECEIVED: "Reçu",
        S.ANSWERED: "Répondu",
        S.QUOTE_CREATED: "Offre créée",
        S.QUOTE_SENT: "Offre envoyée",
        S.ACCEPTED: "Offre acceptée",
        S.REJECTED: "Offre refusée",
        S.CANCELLED: "Annulé",
    },
    "en": {
        S.RECEIVED: "Received",
        S.ANSWERED: "Answered",
        S.QUOTE_CREATED: "Quote created",
        S.QUOTE_SENT: "Quote sent",
        S.ACCEPTED: "Quote accepted",
        S.REJECTED: "Quote rejected",
        S.CANCELLED: "Cancelled",
    },
}


def parse_status(value: str, field: str = "status") -> Status:
    """The Status for a stored code; InvalidInput naming `field` otherwise."""
    try:
        return Status(value)
    except ValueError:
        raise InvalidInput(field, f"unknown status {value!r}") from None


def parse_event(value: str) -> Event:
    try:
        return Event(value)
    except ValueError:
        raise InvalidInput("event", f"unknown event {value!r}") from None


def is_open(status: str) -> bool:
    """True while the request still needs work (not accepted, rejected or cancelled)."""
    return parse_status(status) in OPEN_STATUSES


def transition(status: str, event: str, previous: str | None = None) -> Status:
    """The status after `event`; InvalidTransition when the workflow does not allow it.

    `previous` only matters for `reopen` of a cancelled request: the status it had before the
    cancel (the caller keeps the timeline). Without it the request goes back to `received`.
    """
    current, ev = parse_status(status), parse_event(event)
    new = TRANSITIONS.get((current, ev))
    if new is None:
        raise InvalidTransition(current.value, ev.value)
    if current is S.CANCELLED and ev is E.REOPEN and previous is not None:
        before = parse_status(previous, field="previous")
        if before not in OPEN_STATUSES:
            raise InvalidInput("previous", f"a cancelled request was never {before.value}")
        return before
    return new


_MANUAL_PREFERENCE = (E.CANCEL, E.REOPEN, E.ACCEPT, E.REJECT, E.REPLY_SENT, E.QUOTE_CREATED, E.QUOTE_SENT)


def event_for_target(status: str, target: str, previous: str | None = None) -> Event:
    """The event that takes `status` to `target`, for a status picked by hand
    (`request status ID STATUS`), so the timeline records a workflow step.

    Decisions (cancel, reopen, accept, reject) are preferred over reply and quote events: setting
    an accepted request back to quote_sent is a reopen, not a new sending.
    """
    current, wanted = parse_status(status), parse_status(target, field="target")
    if current is wanted:
        raise InvalidInput("target", f"the request is already {current.value}")
    for event in _MANUAL_PREFERENCE:
        try:
            if transition(current, event, previous) is wanted:
                return event
        except InvalidInput:
            continue
    raise InvalidTransition(current.value, f"set to {wanted.value}")


def label(status: str, language: str) -> str:
    """The status as users read it in nl, fr or en."""
    try:
        labels = LABELS[language]
    except KeyError:
        raise InvalidInput("language", f"unsupported language {language!r} (nl, fr, en)") from None
    return labels[parse_status(status)]
