"""Files handed back out: the attachments of a stored message and of a contact card.

Attachments are numbered 1..n in the order they were stored (the order of the MIME parts), as
`message attachments ID` lists them. Bytes of big files are read with blob I/O on SQLite
(`store/blobs.py`). Read-only: no transaction needed beyond a reading session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.errors import NotFound
from quotemaild.store.blobs import read_big
from quotemaild.store.models import Attachment, Contact, ContactAttachment, Message


@dataclass(frozen=True)
class FileOut:
    number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def _listed(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"number": n, "id": r.id, "filename": r.filename, "content_type": r.content_type, "size": r.size,
             "sha256": r.sha256} for n, r in enumerate(rows, start=1)]


def _message_rows(session: Session, message_id: int) -> list[Any]:
    if session.get(Message, message_id) is None:
        raise NotFound("message", message_id)
    return list(session.execute(
        select(Attachment.id, Attachment.filename, Attachment.content_type, Attachment.size, Attachment.sha256)
        .where(Attachment.message_pk == message_id).order_by(Attachment.id)))


def message_attachments(session: Session, message_id: int) -> list[dict[str, Any]]:
    """The message's attachments: number, original name, type, size, sha256."""
    return _listed(_message_rows(session, message_id))


def message_attachment(session: Session, message_id: int, number: int) -> FileOut:
    """Attachment `number` (from 1) of the message, with its bytes."""
    rows = _message_rows(session, message_id)
    if not 1 <= number <= len(rows):
        raise NotFound(f"attachment of message {message_id}", number)
    row = rows[number - 1]
    data = read_big(session, Attachment.data, row.id)
    return FileOut(number, row.filename, row.content_type, row.size, row.sha256, data or b"")


def _contact_rows(session: Session, contact_id: int) -> list[Any]:
    if session.get(Contact, contact_id) is None:
        raise NotFound("contact", contact_id)
    return list(session.execute(
        select(ContactAttachment.id, ContactAttachment.filename, ContactAttachment.content_type,
               ContactAttachment.size, ContactAttachment.sha256)
        .where(ContactAttachment.contact_id == contact_id).order_by(ContactAttachment.id)))


def contact_attachments(session: Session, contact_id: int) -> list[dict[str, Any]]:
    """The files on a contact card (signed contracts, photos, certificates)."""
    return _listed(_contact_rows(session, contact_id))


def contact_attachment(session: Session, contact_id: int, number: int) -> FileOut:
    rows = _contact_rows(session, contact_id)
    if not 1 <= number <= len(rows):
        raise NotFound(f"attachment of contact {contact_id}", number)
    row = rows[number - 1]
    data = session.scalar(select(ContactAttachment.data).where(ContactAttachment.id == row.id))
    return FileOut(number, row.filename, row.content_type, row.size, row.sha256, data or b"")
