"""What the request page adds to a message beyond `request show`: its delivery state and safe HTML.

    message_extras(session, request_id, smarthost_configured)
        -> {message id: {"delivery": {"state", "sent", "reason", "outbox_id", "can_retry"} | None,
                         "html": str | None}}

`delivery` is the outbox's honest state of our own mail (`services/delivery.py`): queued and
why, failed and why, or sent. `html` is the nh3-sanitised HTML of a message that came without
a text part, the only HTML the web app ever shows. The caller owns the transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.domain.retry import offers_send_again
from quotemaild.mail.body import sanitize_html
from quotemaild.services.delivery import delivery_view
from quotemaild.services.outbox import outbox_view
from quotemaild.store.models import Message, OutboxMessage


def message_extras(session: Session, request_id: int, smarthost_configured: bool) -> dict[int, dict[str, Any]]:
    extras: dict[int, dict[str, Any]] = {}
    for row in session.scalars(select(OutboxMessage).where(OutboxMessage.request_id == request_id)):
        if row.message_pk is not None:
            view = outbox_view(row)
            retry = offers_send_again(row.state, row.last_error)
            extras.setdefault(row.message_pk, {})["delivery"] = {
                **delivery_view(view, smarthost_configured), "outbox_id": row.id, "can_retry": retry}
    html_only = session.execute(
        select(Message.id, Message.html).where(Message.request_id == request_id, Message.html.is_not(None),
                                               Message.text == "")
    )
    for message_id, html in html_only:
        extras.setdefault(message_id, {})["html"] = sanitize_html(html)
    return extras
