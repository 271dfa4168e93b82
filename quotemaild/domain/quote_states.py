"""A quote's own life, and the one table that keeps a request's status in line with its quotes.

Quote states and the actions that move them (`quote_transition`):

    draft ──send──> sent ──accept──> accepted
      │  └─queue─> queued ─send─┘ │ └───reject──> rejected ──new_version──> superseded
      │              ├───expire───> expired  ──new_version──> superseded
      │              └───new_version──────────────────────────> superseded
      └──accept / reject (the quote was handed over outside quotemaild: on paper, by phone)

- `queue`: the quote mail waits in the outbox because nothing can leave (no smarthost); the mail
  leaving is its `send`. A queued quote can still be decided (by phone before the mail left), but
  not superseded or expired: it is not out yet.

- Only a draft is edited or deleted; a sent quote changes by a new version (`OF-2026-0007-2`),
  and the old one is kept, marked superseded.
- `send` again while `sent` is a resend of the same document (same PDF).
- An expired quote (its validity passed while it was out) can still be accepted or rejected by
  hand: a seller may honour a late "yes"; the online page does not offer it.
- accepted and superseded are final.

The request's status must never disagree with its quotes (`STATUS_ALLOWED_BY_QUOTE`): each live
quote (every state but superseded, whose successor speaks for it) allows a set of request
statuses, and the request's status must be in the union of those sets. A request without any
quote in quotemaild may have any status the workflow reaches: its quote was made elsewhere (seed
000: "sent from the Quotes section", or on paper). `cancelled` fits every quote state: cancelling
closes the request and keeps its quotes as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from quotemaild.domain.status import Status
from quotemaild.errors import InvalidInput


class QuoteState(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class QuoteAction(StrEnum):
    QUEUE = "queue"
    SEND = "send"
    ACCEPT = "accept"
    REJECT = "reject"
    EXPIRE = "expire"
    NEW_VERSION = "new_version"


Q, A = QuoteState, QuoteAction

# (state, action) -> new state. A pair that is absent is refused (InvalidInput on `quote`).
QUOTE_TRANSITIONS: dict[tuple[QuoteState, QuoteAction], QuoteState] = {
    (Q.DRAFT, A.QUEUE): Q.QUEUED,
    (Q.QUEUED, A.QUEUE): Q.QUEUED,
    (Q.SENT, A.QUEUE): Q.SENT,  # sent again while nothing can leave: it was out already
    (Q.DRAFT, A.SEND): Q.SENT,
    (Q.QUEUED, A.SEND): Q.SENT,
    (Q.SENT, A.SEND): Q.SENT,
    (Q.DRAFT, A.ACCEPT): Q.ACCEPTED,
    (Q.QUEUED, A.ACCEPT): Q.ACCEPTED,
    (Q.QUEUED, A.REJECT): Q.REJECTED,
    (Q.SENT, A.ACCEPT): Q.ACCEPTED,
    (Q.EXPIRED, A.ACCEPT): Q.ACCEPTED,
    (Q.DRAFT, A.REJECT): Q.REJECTED,
    (Q.SENT, A.REJECT): Q.REJECTED,
    (Q.EXPIRED, A.REJECT): Q.REJECTED,
    (Q.SENT, A.EXPIRE): Q.EXPIRED,
    (Q.SENT, A.NEW_VERSION): Q.SUPERSEDED,
    (Q.EXPIRED, A.NEW_VERSION): Q.SUPERSEDED,
    (Q.REJECTED, A.NEW_VERSION): Q.SUPERSEDED,
}

EDITABLE: frozenset[QuoteState] = frozenset({Q.DRAFT})
DELETABLE: frozenset[QuoteState] = frozenset({Q.DRAFT})

_WHY = {
    A.QUEUE: "only a draft, queued or sent quote can be sent",
    A.SEND: "only a draft, queued or sent quote can be sent",
    A.ACCEPT: "only a draft, queued, sent or expired quote can be accepted",
    A.REJECT: "only a draft, queued, sent or expired quote can be rejected",
    A.EXPIRE: "only a sent quote expires",
    A.NEW_VERSION: "a new version is made of a sent, expired or rejected quote (edit a draft instead)",
}

S = Status
# The table: what each live quote state lets the request's status be.
STATUS_ALLOWED_BY_QUOTE: dict[QuoteState, frozenset[Status]] = {
    Q.DRAFT: frozenset({S.QUOTE_CREATED, S.CANCELLED}),
    Q.QUEUED: frozenset({S.QUOTE_CREATED, S.CANCELLED}),  # the request moves when the mail leaves
    Q.SENT: frozenset({S.QUOTE_SENT, S.CANCELLED}),
    Q.EXPIRED: frozenset({S.QUOTE_SENT, S.CANCELLED}),
    Q.ACCEPTED: frozenset({S.ACCEPTED, S.CANCELLED}),
    Q.REJECTED: frozenset({S.REJECTED, S.CANCELLED}),
    Q.SUPERSEDED: frozenset(),  # its newer version decides
}

QUOTE_LABELS: dict[str, dict[QuoteState, str]] = {
    "nl": {Q.DRAFT: "Concept", Q.QUEUED: "In wachtrij", Q.SENT: "Verzonden", Q.ACCEPTED: "Aanvaard", Q.REJECTED: "Geweigerd",
           Q.EXPIRED: "Verlopen", Q.SUPERSEDED: "Vervangen"},
    "fr": {Q.DRAFT: "Brouillon", Q.QUEUED: "En attente d'envoi", Q.SENT: "Envoyée", Q.ACCEPTED: "Acceptée", Q.REJECTED: "Refusée",
           Q.EXPIRED: "Expirée", Q.SUPERSEDED: "Remplacée"},
    "en": {Q.DRAFT: "Draft", Q.QUEUED: "Queued", Q.SENT: "Sent", Q.ACCEPTED: "Accepted", Q.REJECTED: "Rejected",
           Q.EXPIRED: "Expired", Q.SUPERSEDED: "Superseded"},
}


def parse_quote_state(value: str, field: str = "state") -> QuoteState:
    try:
        return QuoteState(value)
    except ValueError:
        choices = ", ".join(s.value for s in QuoteState)
        raise InvalidInput(field, f"unknown quote state {value!r} ({choices})") from None


def quote_transition(state: str, action: str) -> QuoteState:
    """The quote's state after `action`; InvalidInput (field `quote`) when it is not allowed."""
    current = parse_quote_state(state)
    try:
        act = QuoteAction(action)
    except ValueError:
        raise InvalidInput("action", f"unknown quote action {action!r}") from None
    new = QUOTE_TRANSITIONS.get((current, act))
    if new is None:
        raise InvalidInput("quote", f"cannot {act.value.replace('_', ' ')} a quote that is {current.value}: "
                                    f"{_WHY[act]}")
    return new


def is_editable(state: str) -> bool:
    return parse_quote_state(state) in EDITABLE


def allowed_statuses(quote_states: Iterable[str]) -> frozenset[Status] | None:
    """The request statuses its quotes allow; None when it has no quote here (any status fits)."""
    states = [parse_quote_state(s) for s in quote_states]
    if not states:
        return None
    allowed: set[Status] = set()
    for state in states:
        allowed |= STATUS_ALLOWED_BY_QUOTE[state]
    return frozenset(allowed)


def agrees(status: str, quote_states: Iterable[str]) -> bool:
    """True when the request's `status` does not contradict its quotes' states."""
    allowed = allowed_statuses(quote_states)
    return allowed is None or Status(status) in allowed


def status_following_quotes(status: str, quote_states: Iterable[str], has_reply: bool) -> Status:
    """The request's status after its quotes changed (one deleted, superseded, expired...).

    The current status stays when it still agrees. Otherwise the quotes decide, strongest first:
    an accepted quote, then one that is out (sent or expired), a draft, a rejection; with no live
    quote left the request goes back to `answered` when a reply was sent, else `received`.
    """
    states = [parse_quote_state(s) for s in quote_states]
    live = [s for s in states if s is not Q.SUPERSEDED]
    if states and agrees(status, states) and (live or Status(status) is S.CANCELLED):
        return Status(status)
    if Status(status) is S.CANCELLED:
        return S.CANCELLED
    for state, follows in ((Q.ACCEPTED, S.ACCEPTED), (Q.SENT, S.QUOTE_SENT), (Q.EXPIRED, S.QUOTE_SENT),
                           (Q.DRAFT, S.QUOTE_CREATED), (Q.QUEUED, S.QUOTE_CREATED), (Q.REJECTED, S.REJECTED)):
        if state in live:
            return follows
    return S.ANSWERED if has_reply else S.RECEIVED


def quote_label(state: str, language: str) -> str:
    """The quote's state as users read it in nl, fr or en."""
    labels = QUOTE_LABELS.get(language)
    if labels is None:
        raise InvalidInput("language", f"unsupported language {language!r} (nl, fr, en)")
    return labels[parse_quote_state(state)]
