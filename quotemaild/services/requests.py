"""Workflow actions on a quote request: status changes, assignment, notes, deletion.

Each action loads the request, calls the pure rule (`domain/status.py`), writes, and adds a
timeline entry with actor and time. `apply_event` is the entry point for the other use-cases
(a reply sent, a quote created or sent) so every status change goes through the same table.
The caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.parsing import clean_text
from quotemaild.domain.status import Event, Status, event_for_target, parse_status, transition
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.mail.addresses import clean_email, safe_display_name
from quotemaild.services.prospects import activate_for
from quotemaild.services.quote_status import check_status_agrees
from quotemaild.services.timeline import audit, record
from quotemaild.services.users import find_user
from quotemaild.store.models import (
    Attachment,
    Message,
    MessageRef,
    QuoteRequest,
    RawMessage,
    TimelineEvent,
    User,
)

MAX_NOTE = 20000


def get_request(session: Session, request_id: int) -> QuoteRequest:
    request = session.get(QuoteRequest, request_id)
    if request is None:
        raise NotFound("request", request_id)
    return request


def apply_event(session: Session, request: QuoteRequest, event: Event | str, actor: str, clock: Clock) -> Status:
    """Move the request by `event`; a status_changed entry when the status actually changes."""
    before = parse_status(request.status)
    event = Event(event)
    after = transition(before, event, previous=request.previous_status)
    if after is before:
        return after
    if event is Event.CANCEL:
        request.previous_status = before.value
    elif before is Status.CANCELLED:
        request.previous_status = None
    request.status = after.value
    record(session, request, "status_changed", actor, clock.now(),
           **{"from": before.value, "to": after.value, "event": event.value})
    activate_for(session, request, actor, clock)
    return after


def set_status(session: Session, request_id: int, target: str, actor: str, clock: Clock) -> QuoteRequest:
    """An explicit status change (`request status ID STATUS`), as the workflow event that does it.

    InvalidTransition when the workflow has no such move; StatusConflict when the move would
    contradict the request's quotes (e.g. `accepted` while its only quote is a draft).
    """
    request = get_request(session, request_id)
    event = event_for_target(request.status, target, previous=request.previous_status)
    check_status_agrees(session, request, target)
    apply_event(session, request, event, actor, clock)
    session.flush()
    return request


def assign(session: Session, request_id: int, email: str | None, actor: str, clock: Clock) -> QuoteRequest:
    """Assign a user of the request's tenant (by e-mail) as its seller; None clears it."""
    request = get_request(session, request_id)
    user = find_user(session, request.tenant_id, email) if email else None
    previous = session.get(User, request.assignee_user_id) if request.assignee_user_id else None
    new_id = user.id if user else None
    if new_id == request.assignee_user_id:
        return request
    request.assignee_user_id = new_id
    record(session, request, "assigned" if user else "unassigned", actor, clock.now(),
           user_id=new_id, email=user.email if user else None, name=user.name if user else None,
           previous=previous.email if previous else None)
    session.flush()
    return request


def add_note(session: Session, request_id: int, body: str, actor: str, clock: Clock) -> QuoteRequest:
    """An internal note: on the timeline, never sent."""
    request = get_request(session, request_id)
    text = clean_text(body, "body", MAX_NOTE, multiline=True)
    if not text:
        raise InvalidInput("body", "a note must not be empty", code="required")
    record(session, request, "note", actor, clock.now(), body=text)
    session.flush()
    return request


def set_requester(
    session: Session, request_id: int, email: str, name: str | None, actor: str, clock: Clock
) -> QuoteRequest:
    """Correct who asked (e.g. a forward we could not unwrap); the old value stays on the timeline."""
    request = get_request(session, request_id)
    cleaned = clean_email(email)
    if cleaned is None:
        raise InvalidInput("email", f"{email!r} is not an e-mail address", code="not_an_email")
    display = safe_display_name(name or "") or None
    record(session, request, "requester_changed", actor, clock.now(),
           previous={"email": request.requester_email, "name": request.requester_name},
           email=cleaned, name=display)
    request.requester_email = cleaned
    request.requester_name = display
    session.flush()
    return request


def delete_request(session: Session, request_id: int, actor: str, clock: Clock) -> dict[str, object]:
    """Delete the request for good: messages, attachments, raw copies, timeline. An audit record stays."""
    request = get_request(session, request_id)
    messages = session.execute(select(Message.id, Message.raw_id).where(Message.request_id == request.id)).all()
    message_ids = [m.id for m in messages]
    raw_ids = sorted({m.raw_id for m in messages if m.raw_id is not None})
    detail: dict[str, object] = {
        "request_id": request.id, "subject": request.subject, "status": request.status,
        "requester_email": request.requester_email, "contact_id": request.contact_id,
        "messages": len(message_ids), "raw_ids": raw_ids,
        "created_at": request.created_at.isoformat(),
    }
    if message_ids:
        session.execute(delete(Attachment).where(Attachment.message_pk.in_(message_ids)))
        session.execute(delete(MessageRef).where(MessageRef.message_pk.in_(message_ids)))
        session.execute(delete(Message).where(Message.id.in_(message_ids)))
    session.execute(delete(TimelineEvent).where(TimelineEvent.request_id == request.id))
    tenant_id = request.tenant_id
    session.delete(request)
    if raw_ids:
        session.execute(delete(RawMessage).where(RawMessage.id.in_(raw_ids)))
    audit(session, tenant_id, "request.delete", actor, clock.now(), detail)
    session.flush()
    return detail
