"""Robot answers to our mail: the store's side of the robot-answer score, and seller corrections.

`with_context` re-scores an answer that threading joined to a request, with what only the store
knows (how long after our mail it came, whether this sender sent the same robot text before).
`correct_verdict` lets a seller overrule the verdict either way; the change is recorded on the
request's timeline and in the message's `info`, and the message's kind follows it. A message that
was kept unattached as robot mail and is marked human opens the request it should have opened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quotemaild.errors import InvalidInput, NotFound
from quotemaild.mail.classify import robot_verdict
from quotemaild.mail.addresses import Address
from quotemaild.mail.parse import ParsedMessage
from quotemaild.mail.provenance import Understanding
from quotemaild.mail.robot import AnswerContext, score_answer
from quotemaild.services.conversation import SYSTEM_ACTOR, new_request, timeline
from quotemaild.store.models import Message, QuoteRequest

ROBOT_KINDS = ("out_of_office", "auto_reply")
VERDICTS = ("human", "robot")
_HISTORY = 20  # earlier robot answers of one sender looked at
ANSWER_WINDOW = dt.timedelta(days=14)  # a robot answer without threading headers: our mail this recent


def with_context(
    session: Session, tenant_id: int, request_id: int, parsed: ParsedMessage, u: Understanding, now: dt.datetime
) -> Understanding:
    """The understanding of a joined answer, re-scored with the store's context when that can matter."""
    if u.kind != "human" or u.robot is None or u.robot.score <= 0:
        return u  # context only adds to content cues; with none there is nothing to add to
    context = answer_context(session, tenant_id, request_id, parsed, u.robot.fingerprint, now)
    rescored = score_answer(parsed, u.display_text, context)
    if not rescored.robot:
        return dataclasses.replace(u, robot=rescored)
    verdict = robot_verdict(parsed, rescored)
    return dataclasses.replace(u, kind=verdict.kind, kind_reasons=verdict.reasons, robot=rescored)


def unthreaded(u: Understanding) -> Understanding:
    """Mail that answers none of ours: robot only on headers, a strong subject or clear body cues.

    A customer's new request must not vanish into the unattached robot mail on body wordings
    alone ("we moved, our new address is ...; please quote"), so the bar is higher here.
    """
    if u.kind not in ROBOT_KINDS or u.robot is None or u.robot.robot_without_thread:
        return u
    note = f"robot score {u.robot.score:.2f} from the body only, and it answers no mail of ours: kept as a person's"
    return dataclasses.replace(u, kind="human", kind_reasons=(note, *u.robot.reasons))


def request_answered(
    session: Session, tenant_id: int, sender: Address | None, now: dt.datetime
) -> QuoteRequest | None:
    """The request a robot answer without threading headers answers: our latest mail to its sender.

    Ticket desks and some gateways drop In-Reply-To; the answer still comes from the address we
    wrote to, soon after. Only our own recent mail to that very address counts.
    """
    if sender is None:
        return None
    row = session.execute(
        select(QuoteRequest)
        .join(Message, Message.request_id == QuoteRequest.id)
        .where(
            QuoteRequest.tenant_id == tenant_id,
            func.lower(QuoteRequest.requester_email) == sender.email.lower(),
            Message.direction == "out",
            Message.created_at >= now - ANSWER_WINDOW,
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    ).first()
    return row[0] if row else None


def answer_context(
    session: Session, tenant_id: int, request_id: int, parsed: ParsedMessage, stamp: str, now: dt.datetime
) -> AnswerContext:
    ours = None
    if parsed.in_reply_to:
        ours = session.scalar(
            select(Message.created_at).where(
                Message.tenant_id == tenant_id, Message.direction == "out", Message.message_id == parsed.in_reply_to
            )
        )
    if ours is None:
        ours = session.scalar(
            select(Message.created_at)
            .where(Message.request_id == request_id, Message.direction == "out")
            .order_by(Message.created_at.desc())
            .limit(1)
        )
    seconds = None
    if ours is not None:
        answered = parsed.date or now
        seconds = (_aware(answered) - _aware(ours)).total_seconds()
    same = False
    sender = parsed.sender
    if sender is not None and stamp:
        rows = session.scalars(
            select(Message.info)
            .where(Message.tenant_id == tenant_id, Message.from_email == sender.email, Message.kind.in_(ROBOT_KINDS))
            .order_by(Message.id.desc())
            .limit(_HISTORY)
        ).all()
        same = any((info or {}).get("robot", {}).get("fingerprint") == stamp for info in rows)
    return AnswerContext(seconds_after_our_mail=seconds, same_robot_text_before=same)


def robot_info(u: Understanding) -> dict[str, Any] | None:
    """What the message's `info` keeps of the score (the fingerprint feeds the next context)."""
    if u.robot is None:
        return None
    return {
        "score": u.robot.score,
        "topic": u.robot.topic,
        "reasons": list(u.robot.reasons),
        "fingerprint": u.robot.fingerprint,
    }


def correct_verdict(session: Session, message_id: int, verdict: str, actor: str, now: dt.datetime) -> dict[str, Any]:
    """Set an inbound message's verdict to `human` or `robot`; returns what changed."""
    if verdict not in VERDICTS:
        raise InvalidInput("verdict", f"must be one of {', '.join(VERDICTS)}")
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound("message", str(message_id))
    if message.direction != "in":
        raise InvalidInput("message", "only a received message has a verdict")
    before = message.kind
    if before not in ("human", *ROBOT_KINDS):
        raise InvalidInput("message", f"a {before} message cannot be marked {verdict}")
    info = dict(message.info or {})
    if verdict == "robot":
        topic = (info.get("robot") or {}).get("topic")
        after = "out_of_office" if topic == "absence" else (before if before in ROBOT_KINDS else "auto_reply")
    else:
        after = "human"
    changed = after != before
    if changed:
        message.kind = after
        history = list(info.get("verdict_corrections") or [])
        history.append({"from": before, "to": after, "by": actor, "at": now.isoformat()})
        info["verdict_corrections"] = history
        message.info = info
        if message.request_id is None and after == "human":
            # A person's mail taken for robot mail and kept unattached: it becomes the request it was.
            _open_request(session, message, now)
        if message.request_id is not None:
            timeline(
                session, message.request_id, now, "verdict_corrected", actor,
                message=message.id, before=before, after=after,
            )
    return {
        "message": message.id,
        "request_id": message.request_id,
        "before": before,
        "after": after,
        "changed": changed,
    }


def _open_request(session: Session, message: Message, now: dt.datetime) -> None:
    requester = Address(email=message.from_email, name=message.from_name or "") if message.from_email else None
    request_id = new_request(session, message.tenant_id, message.subject or "", requester, now, message_count=1)
    message.request_id = request_id
    timeline(session, request_id, now, "message_received", message.from_email or SYSTEM_ACTOR, message=message.id,
             thread="a seller marked it as a person's mail", provenance=message.provenance)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
