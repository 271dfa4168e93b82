"""IMAP sources against a real Dovecot in a temp dir: once-only import, restarts, IDLE, UIDVALIDITY, errors."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from quotemaild import daemon as daemon_mod
from quotemaild.clock import SystemClock
from quotemaild.config import Config, config_from_dict
from quotemaild.services.sources import NewImapSource, add_imap_source
from quotemaild.store.models import ImapSource, QuoteRequest, RawMessage
from tests.conftest import RunningDaemon, config_dict, make_mail, start_daemon
from tests.integration.imap_dovecot import DOVECOT, Dovecot, start_dovecot

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.e2e,
    pytest.mark.skipif(DOVECOT is None, reason="dovecot not installed (Debian package dovecot-imapd)"),
]

USER, PASSWORD, FOLDER = "shop", "s3cret-pw", "Quotes"
FAST_IMAP = {"poll_interval": 1, "idle_timeout": 20, "backoff_initial": 0.2, "backoff_max": 1, "timeout": 10}


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    dc = start_dovecot()
    dc.set_password(USER, PASSWORD)
    with dc.client(USER, PASSWORD) as c:
        c.create_folder(FOLDER)
    try:
        yield dc
    finally:
        dc.stop()
        dc.remove()


@pytest.fixture
def imap_config(tmp_path: Path) -> Config:
    return config_from_dict(config_dict(tmp_path, imap=FAST_IMAP))


def append(dc: Dovecot, *mails: bytes, folder: str = FOLDER) -> None:
    with dc.client(USER, PASSWORD) as c:
        for raw in mails:
            c.append(folder, raw)


def mail(n: int) -> bytes:
    return make_mail(subject=f"Offerte {n}", message_id=f"<imap-{n}@example.org>", body=f"Vraag nummer {n}.\n")


def add_source(d: RunningDaemon, dc: Dovecot, password_file: Path, **kw: Any) -> int:
    with d.sessions.begin() as s:
        src = add_imap_source(
            s,
            NewImapSource(
                tenant_slug="acme", host=dc.host, port=dc.port, tls="none", username=USER,
                password_file=str(password_file), folder=kw.pop("folder", FOLDER), **kw,
            ),
            SystemClock(),
        )
        source_id = src.id
    d.daemon.imap.rescan()  # the daemon would find it within its rescan interval anyway
    return source_id


def password_file(tmp_path: Path, value: str = PASSWORD) -> Path:
    path = tmp_path / "imap-password"
    path.write_text(value + "\n")
    path.chmod(0o600)
    return path


def source_row(d: RunningDaemon, source_id: int) -> ImapSource:
    with d.sessions() as s:
        return s.get_one(ImapSource, source_id)


async def wait_for(what: str, check: Callable[[], bool], timeout: float = 10.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


def raw_count(d: RunningDaemon) -> int:
    with d.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(RawMessage).where(RawMessage.channel == "imap")) or 0)


async def restart(d: RunningDaemon, config: Config) -> RunningDaemon:
    """Stop the daemon and start a new one on the same store (tenants already exist)."""
    await daemon_mod.stop(d.daemon, grace=5)
    return RunningDaemon(await daemon_mod.start(config), d.sessions, d.host, d.port, d.tenants)


async def test_imported_once_and_no_duplicates_after_restart(dovecot, imap_config, tmp_path):
    """Three appended mails become three requests; restarts (even with lost progress) import only what is new.

    \\Seen is never set on the server.
    """
    append(dovecot, mail(1), mail(2), mail(3))
    d = await start_daemon(imap_config)
    try:
        sid = add_source(d, dovecot, password_file(tmp_path))
        await wait_for("3 imported", lambda: source_row(d, sid).imported == 3)
        await d.wait_processed(3)
        await daemon_mod.stop(d.daemon, grace=5)
        with d.sessions.begin() as s:  # as if we crashed after the commit of 2 and 3, before their progress
            s.get_one(ImapSource, sid).last_uid = 1
        d = RunningDaemon(await daemon_mod.start(imap_config), d.sessions, d.host, d.port, d.tenants)
        await wait_for("2 and 3 seen again", lambda: source_row(d, sid).skipped == 2)
        d = await restart(d, imap_config)
        append(dovecot, mail(4))
        await wait_for("4th imported after restart", lambda: source_row(d, sid).imported == 4)
        await d.wait_processed(4)
        await asyncio.sleep(0.5)  # a late duplicate would show up here
        row = source_row(d, sid)
        assert (raw_count(d), row.imported, row.last_uid, row.state, row.last_error) == (4, 4, 4, "idle", None)
        with d.sessions() as s:
            subjects = sorted(s.scalars(select(QuoteRequest.subject)))
            raw = s.scalars(select(RawMessage).options(selectinload(RawMessage.content)).order_by(RawMessage.id)).first()
        assert subjects == ["Offerte 1", "Offerte 2", "Offerte 3", "Offerte 4"]
        assert raw is not None and raw.data == mail(1) and raw.peer.startswith(f"imap://{USER}@")
        with dovecot.client(USER, PASSWORD) as c:
            c.select_folder(FOLDER, readonly=True)
            flags = c.get_flags(c.search("ALL"))
        assert all(b"\\Seen" not in f for f in flags.values())
    finally:
        await daemon_mod.stop(d.daemon, grace=5)


async def test_append_during_idle_is_imported_within_seconds(dovecot, imap_config, tmp_path):
    """With the worker idling, a new message is imported within a few seconds (IDLE wake + reconcile)."""
    d = await start_daemon(imap_config)
    try:
        sid = add_source(d, dovecot, password_file(tmp_path))
        await wait_for("idling", lambda: source_row(d, sid).state == "idle")
        await asyncio.sleep(0.3)
        append(dovecot, mail(7))
        took = await wait_for("imported during IDLE", lambda: source_row(d, sid).imported == 1, timeout=5)
        assert took < 5
        assert source_row(d, sid).state == "idle"
    finally:
        await daemon_mod.stop(d.daemon, grace=5)


async def test_recreated_folder_new_uidvalidity_no_duplicates_no_loss(dovecot, tmp_path):
    """Folder deleted and recreated (new UIDVALIDITY) with old and new mail: only the new mail is imported.

    Old mail is recognised by Message-ID, or by its sha256 when it has no Message-ID. Dovecot sends
    no IDLE notice for a selected folder deleted by another session: the periodic IDLE re-issue
    (2 s here) and its reconcile, which selects the folder again, are what notice it.
    """
    no_id = make_mail(subject="Zonder id", message_id=None, body="Geen Message-ID.\n")
    append(dovecot, mail(1), mail(2), no_id)
    d = await start_daemon(config_from_dict(config_dict(tmp_path, imap={**FAST_IMAP, "idle_timeout": 2})))
    try:
        sid = add_source(d, dovecot, password_file(tmp_path))
        await wait_for("3 imported", lambda: source_row(d, sid).imported == 3)
        await d.wait_processed(3)
        old_validity = source_row(d, sid).uidvalidity
        with dovecot.client(USER, PASSWORD) as c:
            c.delete_folder(FOLDER)
            c.create_folder(FOLDER)
        # the same bytes again, a re-encoded copy of mail 1 (same Message-ID), and one new mail
        resent = mail(1).replace(b"\r\n\r\n", b"\r\nX-Restored: yes\r\n\r\n", 1)
        append(dovecot, mail(1), mail(2), resent, no_id, mail(3))

        def caught_up() -> bool:
            row = source_row(d, sid)
            return row.last_uid == 5 and row.uidvalidity != old_validity

        await wait_for("new uidvalidity, all 5 seen", caught_up, timeout=15)
        await d.wait_processed(4)
        row = source_row(d, sid)
        assert (row.imported, row.skipped, raw_count(d)) == (4, 4, 4)
        with d.sessions() as s:
            subjects = sorted(s.scalars(select(QuoteRequest.subject)))
        assert subjects == ["Offerte 1", "Offerte 2", "Offerte 3", "Zonder id"]
    finally:
        await daemon_mod.stop(d.daemon, grace=5)


async def test_wrong_password_error_state_backoff_and_recovery(dovecot, imap_config, tmp_path, run_cli):
    """A wrong password shows as state error with the login failure and a growing backoff; fixing the file recovers."""
    append(dovecot, mail(1))
    pw = password_file(tmp_path, "wrong")
    d = await start_daemon(imap_config)
    try:
        sid = add_source(d, dovecot, pw)
        await wait_for("two failures", lambda: source_row(d, sid).failures >= 2, timeout=20)
        result = await asyncio.to_thread(run_cli, "source", "list", "--json")
        [view] = json.loads(result.stdout)
        assert view["state"] == "error"
        assert "login failed for shop" in view["last_error"] and "AUTHENTICATIONFAILED" in view["last_error"]
        assert view["backoff_seconds"] >= 0.4 and view["next_attempt_at"] is not None
        assert view["imported"] == 0 and view["last_success_at"] is None
        pw.write_text(PASSWORD + "\n")
        await wait_for("recovered", lambda: source_row(d, sid).imported == 1 and source_row(d, sid).state == "idle", timeout=20)
        row = source_row(d, sid)
        assert (row.state, row.failures, row.backoff_seconds) == ("idle", 0, 0.0)
        assert row.last_success_at is not None
    finally:
        await daemon_mod.stop(d.daemon, grace=5)


async def test_move_to_and_remove(dovecot, imap_config, tmp_path, run_cli):
    """--move-to moves imported mail out of the folder; `source remove` stops the worker."""
    with dovecot.client(USER, PASSWORD) as c:
        c.create_folder("Done")
    append(dovecot, mail(1), mail(2))
    d = await start_daemon(imap_config)
    try:
        sid = add_source(d, dovecot, password_file(tmp_path), move_to="Done")
        await wait_for("2 imported", lambda: source_row(d, sid).imported == 2)
        with dovecot.client(USER, PASSWORD) as c:
            assert c.folder_status(FOLDER, [b"MESSAGES"])[b"MESSAGES"] == 0
            assert c.folder_status("Done", [b"MESSAGES"])[b"MESSAGES"] == 2
        await asyncio.to_thread(run_cli, "source", "remove", str(sid))
        await asyncio.to_thread(d.daemon.imap.rescan)
        worker = d.daemon.imap.workers.get(sid)
        assert worker is None
    finally:
        await daemon_mod.stop(d.daemon, grace=5)


async def test_polls_when_the_server_has_no_idle(imap_config, tmp_path):
    """A server without IDLE is polled every imap.poll_interval (1 s here): new mail arrives all the same."""
    dc = start_dovecot("imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE")
    try:
        dc.set_password(USER, PASSWORD)
        with dc.client(USER, PASSWORD) as c:
            c.create_folder(FOLDER)
        d = await start_daemon(imap_config)
        try:
            sid = add_source(d, dc, password_file(tmp_path))
            await wait_for("polling", lambda: source_row(d, sid).state == "polling")
            append(dc, mail(1))
            took = await wait_for("imported by polling", lambda: source_row(d, sid).imported == 1, timeout=5)
            assert took < 3
        finally:
            await daemon_mod.stop(d.daemon, grace=5)
    finally:
        dc.stop()
        dc.remove()


async def test_xoauth2_with_a_token_command(dovecot, imap_config, tmp_path):
    """XOAUTH2: the token command's stdout is the access token (Dovecot here accepts it as the password)."""
    append(dovecot, mail(1))
    d = await start_daemon(imap_config)
    try:
        with d.sessions.begin() as s:
            sid = add_imap_source(
                s,
                NewImapSource(tenant_slug="acme", host=dovecot.host, port=dovecot.port, tls="none", username=USER,
                              token_command=f"printf '%s\\n' {PASSWORD}", folder=FOLDER),
                SystemClock(),
            ).id
        d.daemon.imap.rescan()
        await wait_for("imported over XOAUTH2", lambda: source_row(d, sid).imported == 1)
        assert "method=XOAUTH2" in dovecot.log()
    finally:
        await daemon_mod.stop(d.daemon, grace=5)
