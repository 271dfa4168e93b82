"""One error tree for quotemaild. Library errors are translated once, at the edge that met them.

    QuotemailError
    ├── ConfigError            the config file or a value in it is wrong (names the key)
    ├── StoreError             the database could not do what was asked
    │   └── StoreUnavailable   locked, read-only, disk full: the sender should retry later
    ├── NotFound               an id or slug that does not exist
    ├── InvalidInput           a value given by a user or script is not acceptable (names the field)
    │   ├── InvalidTransition  a status change the workflow does not allow
    │   └── StatusConflict     a change that would make a request and its quotes disagree
    │                          (CLI exit 4 like any invalid input; HTTP 409 Conflict)
    ├── ProcessingError        a stored message could not be parsed or threaded (it stays stored)
    ├── RemoteUnavailable      an outside service (EU VIES) cannot be reached or answers an error
    ├── NotAuthenticated       no, or no valid, credentials (login, token, session)
    ├── Forbidden              authenticated, but the role does not allow the action
    └── Throttled              too many failed logins: try again after `retry_after` seconds
"""

from __future__ import annotations

from collections.abc import Mapping


class QuotemailError(Exception):
    """Base of every error quotemaild raises on purpose."""


class ConfigError(QuotemailError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config: {key}: {problem}")
        self.key = key
        self.problem = problem


class StoreError(QuotemailError):
    pass


class StoreUnavailable(StoreError):
    """A temporary store failure; SMTP answers 451 so the sender retries."""


class NotFound(QuotemailError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key!s} not found")
        self.what = what
        self.key = key


class InvalidInput(QuotemailError):
    """`problem` is English for the CLI and the API; `code` (with `params`) names the problem so the
    web app can say it in the user's language (edges/http/web/error_text.py holds every code)."""

    def __init__(self, field: str, problem: str, *, code: str = "", params: Mapping[str, object] | None = None) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.code = code
        self.params: dict[str, object] = dict(params or {})


class InvalidTransition(InvalidInput):
    def __init__(self, status: str, event: str) -> None:
        super().__init__("status", f"cannot {event} a request that is {status}")
        self.status = status
        self.event = event


class StatusConflict(InvalidInput):
    """The request's status and its quotes' states would disagree (domain/quote_states.py).

    E.g. `accepted` while the only quote is a draft. The HTTP API answers 409: the request is
    fine, the move conflicts with the current state of its quotes.
    """

    def __init__(self, status: str, quotes: str) -> None:
        super().__init__("status", f"a request cannot be {status} while {quotes}")
        self.status = status
        self.quotes = quotes


class OutboxBusy(InvalidInput):
    """`outbox retry` on a mail a sender holds right now: retrying it could send it twice."""

    def __init__(self, outbox_id: int, claimed_until: str) -> None:
        super().__init__("id", f"outbox message {outbox_id} is being sent right now (claimed until {claimed_until}); "
                         "retry it after that if it did not leave", code="outbox_busy")  # fmt: skip
        self.outbox_id = outbox_id


class ProcessingError(QuotemailError):
    pass


class RemoteUnavailable(QuotemailError):
    """An outside service could not answer; trying again later may work."""

    def __init__(self, service: str, problem: str) -> None:
        super().__init__(f"{service} unavailable: {problem}")
        self.service = service
        self.problem = problem


class NotAuthenticated(QuotemailError):
    """Wrong e-mail or password, an unknown/revoked token or an expired session; says no more."""

    def __init__(self, problem: str = "not authenticated") -> None:
        super().__init__(problem)
        self.problem = problem


class Forbidden(QuotemailError):
    def __init__(self, action: str, needs: str = "admin") -> None:
        super().__init__(f"{action} needs the {needs} role")
        self.action = action
        self.needs = needs


class Throttled(QuotemailError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


def describe(exc: BaseException) -> str:
    """An exception as one line for a log event or a failed message's error: its type and text."""
    return f"{type(exc).__name__}: {exc}"
