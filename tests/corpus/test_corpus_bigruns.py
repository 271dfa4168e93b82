"""Every corpus mail parses the same when every base64-looking run is kept out of the parser."""

from __future__ import annotations

from pathlib import Path

from quotemaild.mail.parse import parse_message


def _mails(corpus_dir: Path) -> list[Path]:
    rows = (line.split("\t") for line in (corpus_dir / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:])
    return [corpus_dir / cols[0] for cols in rows if len(cols) >= 3 and cols[2] == "mail"]


def _comparable(raw: bytes, min_big_run: int) -> tuple[object, ...]:
    m = parse_message(raw, min_big_run=min_big_run)
    return (m.message_id, m.subject, m.from_, m.to, m.date, m.text, m.html, m.headers, m.defects,
            [(a.filename, a.content_type, a.data, a.content_id) for a in m.attachments])  # fmt: skip


def test_cutting_every_run_changes_no_parse(corpus_dir):
    """With the threshold at one byte every run of base64-alphabet lines becomes a token (far more
    than in production, where only runs from 256 KiB are cut): the parse must not change."""
    mails = _mails(corpus_dir)
    assert len(mails) > 1000
    differ = [p.name for p in mails if _comparable(p.read_bytes(), 1) != _comparable(p.read_bytes(), 1 << 40)]
    assert differ == []
