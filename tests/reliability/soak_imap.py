"""The soak's IMAP load: a private Dovecot (tests/support/dovecot.py), an IMAP source of the
soak's tenant on its INBOX, and a client that APPENDs new requests and customers' replies over
time, as mail landing in the business's own mailbox that quotemaild polls.

A message counts as delivered to the mailbox once Dovecot answered its APPEND with OK (and gave
its UID). Counted at the end, across the daemon's restarts and its SIGKILL: each such message was
fetched once (exactly one raw copy per UID: the source's UIDVALIDITY/last-UID progress and the
duplicate checks survive a restart and a kill) and processed once (one stored message per
Message-ID), and each new request among them got its acknowledgement.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import SystemClock
from quotemaild.services.sources import NewImapSource, add_imap_source
from quotemaild.store.models import ImapSource, Message, RawMessage
from tests.conftest import make_mail
from tests.support.dovecot import DovecotInstance

# The daemon's IMAP settings in the soak: poll/re-idle and retry quickly, so a restart is caught up
# within seconds and the end-of-run drain wait stays short.
IMAP_CONFIG = {"poll_interval": 1, "idle_timeout": 20, "backoff_initial": 0.2, "backoff_max": 2, "timeout": 10}
_UID = re.compile(r";UID=(\d+)$")


@dataclass
class ImapLoad:
    """What the IMAP client did, from its side."""

    appended: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # Message-ID -> (kind, UID)
    failed: Counter[str] = field(default_factory=Counter)  # APPENDs Dovecot refused or cut: findings

    @property
    def highest_uid(self) -> int:
        return max((uid or 0 for _, uid in self.appended.values()), default=0)


def add_source(sessions: sessionmaker[Session], server: DovecotInstance, workdir: Path) -> int:
    """The tenant `acme` polls the Dovecot user's INBOX (before the daemon starts: no rescan wait)."""
    secret = workdir / "imap-password"
    secret.write_text(server.password + "\n")
    secret.chmod(0o600)
    with sessions.begin() as s:
        source = add_imap_source(s, NewImapSource(tenant_slug="acme", host=server.host, port=server.port, tls="none",
                                                  username=server.user, password_file=str(secret)), SystemClock())
        return source.id


async def imap_client(server: DovecotInstance, load: ImapLoad, new_ids: list[str], stop: asyncio.Event,
                      pause: float, seed: int = 99) -> None:
    """APPEND a new request (2 in 3) or a reply to an earlier request, then about `pause` seconds."""
    rng = random.Random(seed)
    n = 0
    while not stop.is_set():
        n += 1
        kind = rng.choices(["imap-new", "imap-reply"], [2, 1])[0] if new_ids else "imap-new"
        mid = f"<soak-{kind}-{n}-{rng.randrange(1 << 30)}@example.org>"
        # Return-Path as the final delivery (Dovecot's LDA, any MTA) writes it into the mailbox
        sender = f"imapklant{n}@example.org"
        delivered = (f"Return-Path: <{sender}>\r\n"
                     "Received: from mx.example.org by imap.acme.example; Mon, 05 Jan 2026 10:00:01 +0100")
        if kind == "imap-new":
            data = make_mail(subject=f"Prijsvraag {n}", sender=sender, message_id=mid, extra=delivered,
                             body=f"Graag een offerte voor {n} deuren.\n")
        else:
            parent = rng.choice(new_ids)
            data = make_mail(subject="Re: Prijsvraag", sender=sender, message_id=mid, body="Kan het ook in eik?\n",
                             extra=f"{delivered}\r\nIn-Reply-To: {parent}\r\nReferences: {parent}")
        try:
            uid = await asyncio.to_thread(server.append, data)
        except Exception as exc:  # noqa: BLE001 - Dovecot never restarts in the soak: any failure is counted
            load.failed[type(exc).__name__] += 1
        else:
            load.appended[mid] = (kind, uid)
            if kind == "imap-new":
                new_ids.append(mid)
        await asyncio.sleep(rng.uniform(0.5, 1.5) * pause)


def caught_up(sessions: sessionmaker[Session], load: ImapLoad) -> bool:
    """The source's progress has reached the last appended UID."""
    with sessions() as s:
        last_uid = s.scalar(select(ImapSource.last_uid).limit(1)) or 0
    return last_uid >= load.highest_uid


def imap_counts(sessions: sessionmaker[Session], load: ImapLoad, acks: Counter[str]) -> dict[str, Any]:
    """Fetched once (raw copies per UID), processed once (stored messages per Message-ID), acknowledged once."""
    with sessions() as s:
        peers = list(s.scalars(select(RawMessage.peer).where(RawMessage.channel == "imap")))
        stored = Counter(s.scalars(select(Message.message_id).where(
            Message.direction == "in", Message.message_id.in_(list(load.appended)))))
        src = s.scalars(select(ImapSource).limit(1)).one()
        source = {"state": src.state, "last_uid": src.last_uid, "imported": src.imported, "skipped": src.skipped,
                  "last_error": src.last_error}
    per_uid = Counter(int(m.group(1)) for p in peers if (m := _UID.search(p)))
    uids = {uid for _, uid in load.appended.values() if uid is not None}
    new = [mid for mid, (kind, _) in load.appended.items() if kind == "imap-new"]
    return {
        "imap_appended": len(load.appended),
        "imap_by_kind": dict(Counter(kind for kind, _ in load.appended.values())),
        "imap_append_failed": dict(load.failed),
        "imap_fetched": len(peers),
        "imap_processed": sum(1 for mid in load.appended if stored[mid] == 1),
        "imap_not_fetched": sorted(uid for uid in uids if per_uid[uid] == 0),
        "imap_fetched_twice": sorted(uid for uid, n in per_uid.items() if n > 1),
        "imap_missing": [mid for mid in load.appended if stored[mid] == 0],
        "imap_duplicated": [mid for mid in load.appended if stored[mid] > 1],
        "imap_new_without_ack": [mid for mid in new if acks[mid] == 0],
        "imap_acks_extra": sum(max(0, acks[mid] - 1) for mid in new),
        "imap_source": source,
    }


def imap_verdict(r: dict[str, Any]) -> list[str]:
    wrong = []
    if r["imap_append_failed"]:
        wrong.append(f"APPENDs failed: {r['imap_append_failed']}")
    if r["imap_not_fetched"] or r["imap_fetched_twice"]:
        wrong.append(f"IMAP UIDs fetched not once: never {r['imap_not_fetched'][:5]}, "
                     f"twice {r['imap_fetched_twice'][:5]}")
    if r["imap_missing"] or r["imap_duplicated"]:
        wrong.append(f"IMAP mail processed not once: missing {r['imap_missing'][:5]}, twice {r['imap_duplicated'][:5]}")
    if r["imap_new_without_ack"]:
        wrong.append(f"IMAP new requests without an acknowledgement: {r['imap_new_without_ack'][:5]}")
    return wrong
