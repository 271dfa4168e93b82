"""The IMAP edge: one worker thread per source fetches new mail into the durable store.

Progress is (UIDVALIDITY, last UID), persisted only after the messages up to that UID are committed
by the same group-commit writer the SMTP edge uses (channel "imap"), so the same processing runs
and a crash at any point re-fetches rather than loses. \\Seen is never read nor set (BODY.PEEK).
Before a message is stored it is skipped when its Message-ID is already known to the tenant or its
exact bytes (sha256) are already stored: that is what keeps a folder whose UIDVALIDITY changed
(recreated, restored, migrated) from being imported twice.

Where the server offers IDLE the worker idles in slices of a second (so `stop` is prompt),
re-issues IDLE after `imap.idle_timeout` (< 29 min, RFC 2177) and runs a reconcile fetch after
every wake-up and on every (re)connect; otherwise it polls every `imap.poll_interval`. Errors back
off exponentially up to `imap.backoff_max` and are recorded on the source (`source list`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from email.parser import BytesHeaderParser

from imapclient import IMAPClient
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.config import ImapConfig
from quotemaild.edges.imap_connect import connect, describe_error
from quotemaild.edges.writer import CommitWriter, RawInput
from quotemaild.logs import get_logger
from quotemaild.mail.ids import first_id
from quotemaild.services import source_leases as leases
from quotemaild.services import sources as svc
from quotemaild.services.sources import SourceSnapshot

log = get_logger(__name__)

FETCH_CHUNK = 50  # UIDs whose sizes and Message-IDs are asked for at once
BATCH_BYTES = 16 * 1024 * 1024  # bodies held in memory before they are committed
IDLE_SLICE = 1.0  # seconds per idle_check: how quickly `stop` is noticed


class SourceRemoved(Exception):
    """The source's row is gone (`source remove`): the worker ends."""


def envelope_sender(data: bytes) -> str:
    """A fetched copy's envelope sender: its first `Return-Path`, as the mailbox's server wrote it
    at final delivery; "" (a null sender: no acknowledgement) when there is none or it is `<>`."""
    headers = BytesHeaderParser().parsebytes(data[:65536])
    return str(headers.get("Return-Path", "") or "").strip().strip("<>").strip()[:512]


class ImapWorker:
    def __init__(
        self,
        source: SourceSnapshot,
        sessions: sessionmaker[Session],
        writer: CommitWriter,
        config: ImapConfig,
        max_message_size: int,
        clock: Clock,
    ) -> None:
        self.source = source
        self._sessions = sessions
        self._writer = writer
        self._config = config
        self._max_size = max_message_size
        self._clock = clock
        self._stop = threading.Event()
        self._client: IMAPClient | None = None
        self._uidvalidity = source.uidvalidity
        self._last_uid = source.last_uid
        self._failures = source.failures
        self._thread = threading.Thread(target=self._run, name=f"imap-{source.id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def request_stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        client = self._client
        if self._thread.is_alive() and client is not None:
            try:  # blocked in a read (a big FETCH): cut the socket so the thread can end
                client.shutdown()
            except Exception:  # noqa: BLE001 - best effort on an already broken connection
                pass
            self._thread.join(2.0)

    # --- the loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        log.info("imap_source_started", source=self.source.id, mailbox=self.source.label)
        try:
            while not self._stop.is_set():
                try:
                    self._session()
                except SourceRemoved:
                    log.info("imap_source_removed", source=self.source.id)
                    return
                except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
                    if self._stop.is_set():
                        break
                    self._failures += 1
                    delay = svc.next_backoff(self._failures, self._config.backoff_initial, self._config.backoff_max)
                    error = describe_error(exc, self.source)
                    log.warning("imap_source_error", source=self.source.id, error=error, retry_in=delay)
                    self._write(lambda s: svc.record_error(s, self.source.id, error, self._failures, delay, self._clock.now()))
                    self._stop.wait(delay)
            self._write(lambda s: svc.set_state(s, self.source.id, "stopped"))
        except SourceRemoved:
            log.info("imap_source_removed", source=self.source.id)
        except Exception as exc:  # noqa: BLE001 - the store is gone while stopping; nothing to keep
            log.warning("imap_source_stop_not_recorded", source=self.source.id, error=str(exc)[:200])

    def _session(self) -> None:
        if not self._failures:  # while retrying, the source stays `error` until a connect succeeds
            self._write(lambda s: svc.set_state(s, self.source.id, "connecting"))
        client = connect(self.source, self._config.timeout)
        self._client = client
        try:
            self._reconcile(client)
            idle = client.has_capability("IDLE")
            self._failures = 0
            mode = "idle" if idle else "polling"
            self._write(lambda s: svc.record_healthy(s, self.source.id, mode, self._clock.now()))
            while not self._stop.is_set():
                if idle:
                    self._idle(client)
                else:
                    if self._stop.wait(self._config.poll_interval):
                        break
                    client.noop()
                if self._stop.is_set():
                    break
                self._reconcile(client)
                self._write(lambda s: svc.record_healthy(s, self.source.id, mode, self._clock.now()))
        finally:
            self._client = None
            _close(client)

    def _idle(self, client: IMAPClient) -> None:
        """One IDLE: until the server reports a change, `idle_timeout` passes, or we stop."""
        client.idle()
        started = time.monotonic()
        try:
            while not self._stop.is_set():
                remaining = self._config.idle_timeout - (time.monotonic() - started)
                if remaining <= 0:
                    break
                if client.idle_check(timeout=min(IDLE_SLICE, remaining)):
                    break  # EXISTS, EXPUNGE, FETCH, BYE ...: reconcile (a BYE fails it there)
        finally:
            client.idle_done()

    # --- reconcile: fetch what is above last_uid -------------------------------------------------

    def _reconcile(self, client: IMAPClient) -> None:
        # SELECT again each time: a folder deleted and recreated under an open session keeps
        # answering for the old, empty view (Dovecot) and sends no IDLE notice; SELECT does not lie.
        info = client.select_folder(self.source.folder, readonly=self.source.move_to is None)
        uidvalidity = int(info[b"UIDVALIDITY"])
        if self._uidvalidity != uidvalidity:
            if self._uidvalidity is not None:
                log.warning("imap_uidvalidity_changed", source=self.source.id, old=self._uidvalidity, new=uidvalidity)
            self._uidvalidity, self._last_uid = uidvalidity, 0
            self._write(lambda s: svc.record_progress(s, self.source.id, uidvalidity, 0, 0, 0, self._clock.now()))
        # "N:*" always matches the highest UID, even when it is below N: filter.
        uids = sorted(u for u in client.search(["UID", f"{self._last_uid + 1}:*"]) if u > self._last_uid)
        for i in range(0, len(uids), FETCH_CHUNK):
            if self._stop.is_set():
                return
            self._import_chunk(client, uidvalidity, uids[i : i + FETCH_CHUNK])

    def _import_chunk(self, client: IMAPClient, uidvalidity: int, uids: list[int]) -> None:
        meta = client.fetch(uids, ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        wanted: list[int] = []
        skipped = 0
        with self._sessions() as session:
            for uid in uids:
                if uid not in meta:
                    continue  # expunged meanwhile
                size = int(meta[uid].get(b"RFC822.SIZE", 0))
                message_id = first_id(_header_value(meta[uid], "message-id"))
                if message_id and svc.known_message_id(session, self.source.tenant_id, message_id):
                    skipped += 1
                elif size > self._max_size:
                    skipped += 1
                    note = f"UID {uid} is {size} bytes, over mail.max_message_size; left in the folder, not imported"
                    log.error("imap_message_too_big", source=self.source.id, uid=uid, size=size)
                    self._write(lambda s, n=note: svc.record_note(s, self.source.id, n, self._clock.now()))
                else:
                    wanted.append(uid)
        batch: list[int] = []
        batch_bytes = 0
        for uid in wanted:
            batch.append(uid)
            batch_bytes += int(meta[uid].get(b"RFC822.SIZE", 0))
            if batch_bytes >= BATCH_BYTES:
                skipped = self._store(client, uidvalidity, batch, upto=uid, skipped=skipped)
                batch, batch_bytes = [], 0
        self._store(client, uidvalidity, batch, upto=uids[-1], skipped=skipped)
        if self.source.move_to:
            self._move(client, uids)

    def _store(self, client: IMAPClient, uidvalidity: int, uids: list[int], upto: int, skipped: int) -> int:
        """Commit the bodies of `uids`, then advance last_uid to `upto`. Returns 0 (skips recorded)."""
        items: list[RawInput] = []
        if uids:
            bodies = client.fetch(uids, ["BODY.PEEK[]"])
            seen: set[str] = set()
            now = self._clock.now()
            with self._sessions() as session:
                for uid in uids:
                    data = bodies.get(uid, {}).get(b"BODY[]")
                    if data is None:
                        continue  # expunged between the two fetches
                    digest = hashlib.sha256(data).hexdigest()
                    if digest in seen or svc.known_sha256(session, self.source.tenant_id, digest):
                        skipped += 1
                        continue
                    seen.add(digest)
                    items.append(self._raw_input(data, uidvalidity, uid, now))
        if items:
            ids = self._writer.submit(items).result()  # StoreUnavailable: error, backoff, re-fetch
            log.info("imap_imported", source=self.source.id, raw_ids=ids, upto=upto)
        self._write(
            lambda s: svc.record_progress(s, self.source.id, uidvalidity, upto, len(items), skipped, self._clock.now())
        )
        self._last_uid = upto
        return 0

    def _raw_input(self, data: bytes, uidvalidity: int, uid: int, now: object) -> RawInput:
        src = self.source
        return RawInput(
            tenant_id=src.tenant_id,
            received_at=now,  # type: ignore[arg-type]
            channel="imap",
            mail_from=envelope_sender(data),
            rcpt_to=(),
            # RFC 5092 IMAP URL: where exactly the copy came from
            peer=f"imap://{src.username}@{src.host}:{src.port}/{src.folder};UIDVALIDITY={uidvalidity}/;UID={uid}"[:200],
            helo=src.host[:255],
            data=data,
        )

    def _move(self, client: IMAPClient, uids: list[int]) -> None:
        target = self.source.move_to
        assert target is not None
        if client.has_capability("MOVE"):
            client.move(uids, target)
            return
        client.copy(uids, target)
        client.add_flags(uids, [b"\\Deleted"], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)  # never a plain EXPUNGE: it would remove others' \Deleted mail

    def _write(self, fn: Callable[[Session], bool]) -> None:
        with self._sessions.begin() as session:
            if not fn(session):
                raise SourceRemoved()


class ImapSupervisor:
    """Starts a worker per source whose lease it holds, stops the ones whose row was removed or
    whose lease another instance took; renews its leases on every rescan (`source_leases`)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        writer: CommitWriter,
        config: ImapConfig,
        max_message_size: int,
        clock: Clock,
        rescan: float = 10.0,
        lease: dt.timedelta = leases.LEASE,
    ) -> None:
        self._sessions = sessions
        # Who we are in the sources' leases (several instances may share the database).
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lease = lease
        # SQLite: one daemon per database file (store.lock), so leases left by a daemon that was
        # killed are ours to take at once instead of after they run out.
        self._alone = sessions.kw["bind"].dialect.name == "sqlite"
        self._writer = writer
        self._config = config
        self._max_size = max_message_size
        self._clock = clock
        self._rescan = rescan
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imap-supervisor", daemon=True)
        self.workers: dict[int, ImapWorker] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._alone:
            with self._sessions.begin() as session:
                leases.release_all(session)
        self.rescan()
        self._thread.start()

    def rescan(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            now = self._clock.now()
            with self._sessions.begin() as session:
                ids = set(svc.source_ids(session))
                held = {i for i in ids if leases.take_or_renew(session, i, self.holder, now, self._lease)}
            for source_id in [i for i in self.workers if i not in held]:
                if source_id in ids:
                    log.warning("imap_lease_lost", source=source_id)
                self.workers.pop(source_id).request_stop()
            with self._sessions() as session:
                fresh = {i: svc.snapshot(session, i) for i in held if i not in self.workers or not self.workers[i].is_alive()}
            for source_id, snap in fresh.items():
                if snap is None:
                    continue
                worker = ImapWorker(snap, self._sessions, self._writer, self._config, self._max_size, self._clock)
                self.workers[source_id] = worker
                worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        with self._lock:
            workers = list(self.workers.values())
        for worker in workers:
            worker.request_stop()
        for worker in workers:
            worker.join(timeout)
        try:  # another instance takes our sources at its next rescan, not when the leases run out
            with self._sessions.begin() as session:
                leases.release(session, self.holder)
        except Exception as exc:  # noqa: BLE001 - the store is gone: the leases simply run out
            log.warning("imap_lease_release_failed", error=f"{type(exc).__name__}: {exc}"[:300])

    def _run(self) -> None:
        while not self._stop.wait(self._rescan):
            try:
                self.rescan()
            except Exception as exc:  # noqa: BLE001 - store trouble: try again at the next rescan
                log.warning("imap_rescan_failed", error=f"{type(exc).__name__}: {exc}"[:300])


def _header_value(fetched: dict[bytes, object], name: str) -> str:
    for key, value in fetched.items():
        if key.startswith(b"BODY[HEADER") and isinstance(value, bytes):
            return str(BytesHeaderParser().parsebytes(value).get(name, "") or "")
    return ""


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may already be gone
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass
