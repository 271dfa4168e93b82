"""Files of one message or one contact card, numbered as the CLI numbers them, and a message's raw copy.

    GET  /messages/{id}/raw                      the exact stored bytes (`message raw ID`)
    GET  /messages/{id}/attachments[/{number}]   `message attachments ID` / `message attachment ID N`
    GET  /contacts/{id}/attachments[/{number}]   `contact attachments ID` / `contact attachment ID N`
    POST /contacts/{id}/attachments              multipart `file`, as `contact attach ID FILE` stores it
    DELETE /contacts/{id}/attachments/{number}   remove a file from the card (audited)
    POST /messages/{id}/verdict                  `message verdict ID human|robot`, on the timeline

Every download is an attachment with nosniff and a sandbox CSP: bytes from mail never run as our page.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Response, UploadFile
from pydantic import BaseModel, Field

from quotemaild.edges.http.api.schemas import Out, _problem
from quotemaild.edges.http.deps import Ctx, CurrentActor, OwnedContact, OwnedMessage, Reader, UoW
from quotemaild.edges.http.problems import Problem
from quotemaild.services import contacts as contact_svc
from quotemaild.services import robot_answers
from quotemaild.services.attachments_out import (
    FileOut,
    contact_attachment,
    contact_attachments,
    message_attachment,
    message_attachments,
)
from quotemaild.services.identity import Actor
from quotemaild.store.queries import raw_bytes

router = APIRouter(tags=["mail"])

Number = Annotated[int, Path(ge=1, le=100_000, description="From 1, as the list numbers them")]
DOWNLOAD = {200: {"content": {"application/octet-stream": {}}, "description": "The file"}}


def file_response(data: bytes, name: str, content_type: str | None) -> Response:
    """Bytes as a download under their original name (never inline: an HTML file from mail
    must not run as our page)."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "_")
    return Response(data, media_type=content_type or "application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    })


def _download(file: FileOut) -> Response:
    return file_response(file.data, file.filename or f"attachment-{file.number}", file.content_type)


class FileListOut(Out):
    number: int = Field(examples=[1])
    id: int
    filename: str | None = Field(examples=["plan.pdf"])
    content_type: str | None = Field(examples=["application/pdf"])
    size: int
    sha256: str | None


class ContactFileOut(Out):
    id: int
    contact_id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class VerdictIn(BaseModel):
    verdict: Literal["human", "robot"] = Field(description="A person wrote it, or a robot did")


class VerdictOut(Out):
    message: int
    request_id: int | None
    before: str = Field(examples=["auto_reply"])
    after: str = Field(examples=["human"])
    changed: bool


@router.get("/messages/{message_id}/raw", response_class=Response,
            responses={200: {"content": {"message/rfc822": {}}, "description": "The stored bytes"}})
def message_raw(message_id: OwnedMessage, actor: CurrentActor, db: Reader) -> Response:
    """The exact bytes received (404 once `[retention] raw_days` purged them), as `message raw ID`."""
    return file_response(raw_bytes(db, message_id), f"message-{message_id}.eml", "message/rfc822")


@router.get("/messages/{message_id}/attachments", response_model=list[FileListOut])
def list_message_files(message_id: OwnedMessage, actor: CurrentActor, db: Reader) -> list[dict[str, Any]]:
    """The message's attachments, numbered in MIME order (original name, type, size)."""
    return message_attachments(db, message_id)


@router.get("/messages/{message_id}/attachments/{number}", response_class=Response, responses=DOWNLOAD)
def message_file(message_id: OwnedMessage, number: Number, actor: CurrentActor, db: Reader) -> Response:
    """Attachment `number` of the message, byte for byte, with its original name and type."""
    return _download(message_attachment(db, message_id, number))


@router.post("/messages/{message_id}/verdict", response_model=VerdictOut)
def correct_verdict(message_id: OwnedMessage, body: VerdictIn, actor: CurrentActor, db: UoW,
                    ctx: Ctx) -> dict[str, Any]:
    """Correct a received message's robot/human verdict; recorded on the request's timeline."""
    return robot_answers.correct_verdict(db, message_id, body.verdict, actor.label, ctx.clock.now())


@router.get("/contacts/{contact_id}/attachments", response_model=list[FileListOut])
def list_contact_files(contact_id: OwnedContact, actor: CurrentActor, db: Reader) -> list[dict[str, Any]]:
    """The files on a contact card (contracts, photos, certificates), numbered."""
    return contact_attachments(db, contact_id)


@router.get("/contacts/{contact_id}/attachments/{number}", response_class=Response, responses=DOWNLOAD)
def contact_file(contact_id: OwnedContact, number: Number, actor: CurrentActor, db: Reader) -> Response:
    """File `number` of the card, byte for byte."""
    return _download(contact_attachment(db, contact_id, number))


@router.delete("/contacts/{contact_id}/attachments/{number}", status_code=204, response_class=Response)
def remove_contact_file(contact_id: OwnedContact, number: Number, actor: CurrentActor, db: UoW, ctx: Ctx) -> Response:
    """Delete file `number` from the card (its name and checksum stay in the audit log)."""
    contact_svc.remove_attachment(db, contact_id, number, actor.label, ctx.clock)
    return Response(status_code=204)


@router.post("/contacts/{contact_id}/attachments", status_code=201, response_model=ContactFileOut,
             responses={413: _problem("The file is over the upload limit")})
async def attach(contact_id: OwnedContact, actor: CurrentActor, ctx: Ctx,
                 file: Annotated[UploadFile, File(description="The file; its type follows its name")]) -> dict[str, Any]:
    """Attach a file to the card, stored as `contact attach` stores it (type from the file name)."""
    data = await file.read(ctx.max_upload + 1)
    if len(data) > ctx.max_upload:
        raise Problem(413, "too-large", f"file over {ctx.max_upload} bytes", field="file")
    return await asyncio.to_thread(_attach, ctx, actor, contact_id, file.filename or "", data)


def _attach(ctx: Any, actor: Actor, contact_id: int, filename: str, data: bytes) -> dict[str, Any]:
    with ctx.sessions.begin() as db:
        a = contact_svc.attach_file(db, contact_id, filename, data, actor.label, ctx.clock)
        return {"id": a.id, "contact_id": a.contact_id, "filename": a.filename, "content_type": a.content_type,
                "size": a.size, "sha256": a.sha256}
