"""Quotes as documents a business manages: list, edit a draft, new version, duplicate, delete, expire.

- Only a draft is edited (`edit_lines`, `set_notes`, `set_validity`) or deleted (`delete_draft`).
- A sent, expired or rejected quote changes by `new_version`: a copy numbered `OF-2026-0007-2`,
  a draft, while the old one is kept and marked superseded.
- `duplicate` copies any quote as a new draft with a new number (on the same request, or another
  one of the tenant).
- `expire_due` marks sent quotes whose validity passed as expired.

Every change leaves a timeline entry on the quote's request, and the request's status follows its
quotes through the table in `domain/quote_states.py` (`services/quote_status.follow_quotes`).
The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.parsing import clean_text, parse_date
from quotemaild.domain.quote_edit import insert_line, is_expired, move_line, remove_line, replace_line, version_number
from quotemaild.domain.quote_states import QuoteAction, QuoteState, is_editable, parse_quote_state, quote_transition
from quotemaild.domain.quotes import QuoteLine, parse_line_spec, validity_date
from quotemaild.domain.vat import regime_rate
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.services.quote_status import follow_quotes
from quotemaild.services.quotes import domain_lines, get_quote, next_quote_number, quote_lines, write_lines
from quotemaild.services.requests import get_request
from quotemaild.services.timeline import record
from quotemaild.store.models import Contact, Quote, QuoteLineRow, QuoteRequest, Tenant

MAX_NOTES = 10000


@dataclass(frozen=True)
class QuoteFilter:
    """What `list_quotes` selects; every field optional. `number` matches a part of the number."""

    tenant_id: int | None = None
    request_id: int | None = None
    contact_id: int | None = None
    state: str | None = None
    number: str | None = None
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    limit: int = 200


def quote_query(f: QuoteFilter) -> Select[tuple[Quote]]:
    query = select(Quote)
    if f.tenant_id is not None:
        query = query.where(Quote.tenant_id == f.tenant_id)
    if f.request_id is not None:
        query = query.where(Quote.request_id == f.request_id)
    if f.contact_id is not None:
        query = query.where(Quote.contact_id == f.contact_id)
    if f.state:
        query = query.where(Quote.status == parse_quote_state(f.state).value)
    if f.number:
        query = query.where(Quote.number.contains(f.number.strip(), autoescape=True))
    if f.issued_from is not None:
        query = query.where(Quote.issue_date >= f.issued_from)
    if f.issued_to is not None:
        query = query.where(Quote.issue_date <= f.issued_to)
    if f.issued_from and f.issued_to and f.issued_from > f.issued_to:
        raise InvalidInput("from", "the date range ends before it starts")
    if not 1 <= f.limit <= 10000:
        raise InvalidInput("limit", "must be 1-10000")
    return query.order_by(Quote.issue_date.desc(), Quote.id.desc()).limit(f.limit)


def list_quotes(session: Session, f: QuoteFilter) -> list[Quote]:
    """Quotes matching `f`, newest first."""
    return list(session.scalars(quote_query(f)))


def _request_of(session: Session, quote: Quote) -> QuoteRequest | None:
    return session.get(QuoteRequest, quote.request_id) if quote.request_id else None


def _draft(session: Session, quote_id: int) -> Quote:
    quote = get_quote(session, quote_id)
    if not is_editable(quote.status):
        raise InvalidInput("quote", f"{quote.number} is {quote.status}: only a draft is edited "
                                    "(make a new version of a sent quote)", code="not_draft",
                           params={"number": quote.number})
    return quote


def _note(session: Session, quote: Quote, kind: str, actor: str, clock: Clock, **detail: object) -> None:
    request = _request_of(session, quote)
    if request is not None:
        record(session, request, kind, actor, clock.now(), quote_id=quote.id, number=quote.number, **detail)


def _default_rate(session: Session, quote: Quote) -> object:
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    return regime_rate(contact.vat_regime) if contact is not None else None


LineEdit = Callable[[Sequence[QuoteLine]], Sequence[QuoteLine]]


def edit_lines(session: Session, quote_id: int, edit: LineEdit, what: str, actor: str, clock: Clock) -> Quote:
    """Apply a pure edit to a draft's lines; totals recomputed; a `quote_edited` entry saying `what`."""
    quote = _draft(session, quote_id)
    lines = edit(domain_lines(quote_lines(session, quote.id)))
    write_lines(session, quote, list(lines))
    _note(session, quote, "quote_edited", actor, clock, change=what, total_incl=quote.total_incl)
    session.flush()
    return quote


def add_line(session: Session, quote_id: int, spec: str, actor: str, clock: Clock, at: int | None = None) -> Quote:
    """Add a line (`"desc;qty;unit price;vat%[;unit[;discount%]]"`) at position `at` or at the end."""
    quote = get_quote(session, quote_id)
    line = parse_line_spec(spec, at or len(quote_lines(session, quote_id)) + 1, _default_rate(session, quote))
    return edit_lines(session, quote_id, lambda lines: insert_line(lines, line, at), "line added", actor, clock)


def change_line(session: Session, quote_id: int, position: int, spec: str, actor: str, clock: Clock) -> Quote:
    """Replace the line at `position` with `spec`."""
    line = parse_line_spec(spec, position, _default_rate(session, get_quote(session, quote_id)))
    return edit_lines(session, quote_id, lambda lines: replace_line(lines, position, line),
                      f"line {position} changed", actor, clock)


def delete_line(session: Session, quote_id: int, position: int, actor: str, clock: Clock) -> Quote:
    return edit_lines(session, quote_id, lambda lines: remove_line(lines, position),
                      f"line {position} removed", actor, clock)


def reorder_line(session: Session, quote_id: int, position: int, to: int, actor: str, clock: Clock) -> Quote:
    return edit_lines(session, quote_id, lambda lines: move_line(lines, position, to),
                      f"line {position} moved to {to}", actor, clock)


def replace_lines(session: Session, quote_id: int, specs: Sequence[str], actor: str, clock: Clock) -> Quote:
    """All of a draft's lines at once (an editor that saves the whole list)."""
    quote = get_quote(session, quote_id)
    rate = _default_rate(session, quote)
    lines = [parse_line_spec(spec, i, rate) for i, spec in enumerate(specs, start=1)]
    return edit_lines(session, quote_id, lambda _old: lines, "lines replaced", actor, clock)


def set_notes(session: Session, quote_id: int, notes: str, actor: str, clock: Clock) -> Quote:
    """The free text printed under the lines of a draft."""
    quote = _draft(session, quote_id)
    quote.notes = clean_text(notes, "notes", MAX_NOTES, multiline=True)
    _note(session, quote, "quote_edited", actor, clock, change="notes")
    session.flush()
    return quote


def set_validity(session: Session, quote_id: int, actor: str, clock: Clock, *, days: object = None,
                 until: object = None) -> Quote:
    """A draft's last valid day: `until` (a date) or issue date + `days`; one of them."""
    if (days is None) == (until is None):
        raise InvalidInput("validity", "give a number of days or a date (one of them)", code="validity_one_of")
    quote = _draft(session, quote_id)
    if until is not None:
        last = parse_date(until, "valid_until")
        if last < quote.issue_date:
            raise InvalidInput("valid_until", f"is before the issue date {quote.issue_date.isoformat()}",
                               code="before_issue_date", params={"date": quote.issue_date})
        validity_date(quote.issue_date, (last - quote.issue_date).days)  # the same 0-365 bound
    else:
        last = validity_date(quote.issue_date, days)
    quote.valid_until = last
    _note(session, quote, "quote_edited", actor, clock, change="validity", valid_until=last.isoformat())
    session.flush()
    return quote


def _copy(session: Session, source: Quote, *, number: str, today: dt.date, actor: str, now: dt.datetime,
          request_id: int | None, version: int = 1, previous_id: int | None = None) -> Quote:
    tenant = session.get_one(Tenant, source.tenant_id)
    validity_days = (source.valid_until - source.issue_date).days or tenant.quote_validity_days
    copy = Quote(
        tenant_id=source.tenant_id, request_id=request_id, contact_id=source.contact_id, number=number,
        status=QuoteState.DRAFT.value, language=source.language, currency=source.currency, issue_date=today,
        valid_until=validity_date(today, validity_days), contact_name=source.contact_name,
        contact_address=list(source.contact_address), contact_vat=source.contact_vat,
        contact_email=source.contact_email, contact_person=source.contact_person, total_excl=source.total_excl,
        total_vat=source.total_vat, total_incl=source.total_incl, pdf=None, created_by=actor, created_at=now,
        version=version, previous_id=previous_id, notes=source.notes,
    )
    session.add(copy)
    session.flush()
    write_lines(session, copy, domain_lines(quote_lines(session, source.id)))
    return copy


def new_version(session: Session, quote_id: int, actor: str, clock: Clock) -> Quote:
    """A new draft version of a sent, expired or rejected quote (`OF-2026-0007-2`); the old one is
    kept unchanged (its PDF too) and marked superseded; the request follows."""
    old = get_quote(session, quote_id)
    superseded = quote_transition(old.status, QuoteAction.NEW_VERSION)
    now = clock.now()
    number = version_number(old.number, old.version, old.version + 1)
    taken = session.scalar(select(Quote.id).where(Quote.tenant_id == old.tenant_id, Quote.number == number))
    if taken is not None:
        raise InvalidInput("quote", f"{number} exists already")
    copy = _copy(session, old, number=number, today=now.date(), actor=actor, now=now, request_id=old.request_id,
                 version=old.version + 1, previous_id=old.id)
    old.status = superseded.value
    _note(session, old, "quote_superseded", actor, clock, by=copy.id, by_number=copy.number)
    _note(session, copy, "quote_created", actor, clock, version=copy.version, previous=old.number,
          total_incl=copy.total_incl)
    request = _request_of(session, copy)
    if request is not None:
        follow_quotes(session, request, actor, clock, "quote_new_version")
    session.flush()
    return copy


def duplicate(session: Session, quote_id: int, actor: str, clock: Clock, request_id: int | None = None) -> Quote:
    """A copy of any quote as a new draft with the next number, on `request_id` (default: the same
    request). The copy keeps the source's contact data, lines, notes and validity period."""
    source = get_quote(session, quote_id)
    target = source.request_id if request_id is None else request_id
    request = get_request(session, target) if target is not None else None
    if request is not None and request.tenant_id != source.tenant_id:
        raise NotFound("request", target)
    if request is not None and request.status == "cancelled":
        raise InvalidInput("request", f"request {request.id} is cancelled: reopen it first", code="request_cancelled")
    now = clock.now()
    tenant = session.get_one(Tenant, source.tenant_id)
    copy = _copy(session, source, number=next_quote_number(session, tenant, now.date()), today=now.date(),
                 actor=actor, now=now, request_id=request.id if request else None)
    _note(session, copy, "quote_created", actor, clock, duplicate_of=source.number, total_incl=copy.total_incl)
    if request is not None:
        follow_quotes(session, request, actor, clock, "quote_created")
    session.flush()
    return copy


def _state_before_superseded(quote: Quote, today: dt.date) -> QuoteState:
    """What a superseded quote was: rejected once decided, else sent or (validity passed) expired."""
    if quote.decided_at is not None:
        return QuoteState.REJECTED
    return QuoteState.EXPIRED if today > quote.valid_until else QuoteState.SENT


def delete_draft(session: Session, quote_id: int, actor: str, clock: Clock) -> dict[str, object]:
    """Delete a draft for good (a sent quote is kept: make a new version or let it be rejected)."""
    quote = get_quote(session, quote_id)
    if quote.status != QuoteState.DRAFT:
        raise InvalidInput("quote", f"{quote.number} is {quote.status}: only a draft can be deleted",
                           code="not_draft", params={"number": quote.number})
    detail: dict[str, object] = {"id": quote.id, "number": quote.number, "total_incl": quote.total_incl}
    request = _request_of(session, quote)
    _note(session, quote, "quote_deleted", actor, clock, total_incl=quote.total_incl)
    previous = session.get(Quote, quote.previous_id) if quote.previous_id else None
    session.execute(delete(QuoteLineRow).where(QuoteLineRow.quote_id == quote.id))
    session.delete(quote)
    session.flush()
    if previous is not None and previous.status == QuoteState.SUPERSEDED:
        # The draft was its new version: the old one speaks for the request again, as it was.
        previous.status = _state_before_superseded(previous, clock.now().date()).value
        _note(session, previous, "quote_restored", actor, clock, status=previous.status)
        detail["restored"] = previous.number
    if request is not None:
        detail["request_status"] = follow_quotes(session, request, actor, clock, "quote_deleted").value
    session.flush()
    return detail


def expire_due(session: Session, clock: Clock, tenant_id: int | None = None, actor: str = "system") -> list[Quote]:
    """Mark sent quotes whose validity passed as expired, each with a timeline entry."""
    today = clock.now().date()
    query = select(Quote).where(Quote.status == QuoteState.SENT.value, Quote.valid_until < today)
    if tenant_id is not None:
        query = query.where(Quote.tenant_id == tenant_id)
    expired = []
    for quote in session.scalars(query.order_by(Quote.id)):
        if not is_expired(quote.status, quote.valid_until, today):
            continue
        quote.status = quote_transition(quote.status, QuoteAction.EXPIRE).value
        _note(session, quote, "quote_expired", actor, clock, valid_until=quote.valid_until.isoformat())
        request = _request_of(session, quote)
        if request is not None:
            follow_quotes(session, request, actor, clock, "quote_expired")
        expired.append(quote)
    session.flush()
    return expired
