"""A message with a multi-megabyte attachment goes through processing byte-exact: the attachment
is decoded from the raw bytes and written in place (blob I/O), and a failure keeps the .eml whole."""

from __future__ import annotations

import base64
import hashlib

import pytest
from sqlalchemy import select

from quotemaild.clock import SystemClock
from quotemaild.edges import pipeline, pipeline_load
from quotemaild.edges.pipeline import Outcome
from quotemaild.edges.pipeline import process_one
from quotemaild.services.ingest import IngestSettings
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.blobs import BIG_BYTES
from quotemaild.store.models import Attachment, RawData, RawMessage
from tests.conftest import DOMAIN
from tests.support.raws import add_pending_raw

PDF = hashlib.sha256(b"seed").digest() * (3 * BIG_BYTES // 32)  # 3 MiB, not compressible to a pattern


def big_mail() -> bytes:
    body = b"\r\n".join(base64.encodebytes(PDF).splitlines())
    return (
        f"From: Klant <k@example.org>\r\nTo: acme@{DOMAIN}\r\nSubject: Plannen\r\nMessage-ID: <big@example.org>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
        "Content-Type: text/plain\r\n\r\nZie de plannen in bijlage.\r\n--b1\r\n"
        "Content-Type: application/pdf; name=plannen.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + body + b"\r\n--b1--\r\n"


def store(sessions, raw: bytes) -> int:
    with sessions.begin() as s:
        return add_pending_raw(s, add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock()).id, raw)


def test_big_attachment_is_stored_exactly(sessions):
    """The decoded PDF in the store equals the original, with its size and sha256."""
    raw_id = store(sessions, big_mail())
    result = process_one(sessions, raw_id, IngestSettings(domain=DOMAIN), SystemClock())
    assert result is not None and result != Outcome.SKIPPED and result.decision.verdict == "new"
    with sessions() as s:
        [att] = s.scalars(select(Attachment)).all()
        assert (att.filename, att.size, att.sha256) == ("plannen.pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
        assert att.data == PDF
        assert s.get_one(RawMessage, raw_id).state == "processed"
        assert s.get_one(RawData, raw_id).data == big_mail()  # the raw copy is untouched


def test_a_failed_big_message_keeps_its_eml_whole(sessions, monkeypatch: pytest.MonkeyPatch):
    """Processing fails: the request holds the exact raw bytes as message-N.eml."""
    raw_id = store(sessions, big_mail())

    def boom(*args, **kwargs):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(pipeline_load, "prepare", boom)
    assert process_one(sessions, raw_id, IngestSettings(domain=DOMAIN), SystemClock()) is None
    with sessions() as s:
        [att] = s.scalars(select(Attachment)).all()
        assert (att.filename, att.content_type) == (f"message-{raw_id}.eml", "message/rfc822")
        assert att.data == big_mail() and att.size == len(big_mail())
        assert s.get_one(RawMessage, raw_id).state == "failed"
