"""What the daemon and its processing children say to each other over their pipes.

    parent -> child   Batch (raw ids to process, and the lower ids other children hold),
                      SetLog (after a reload), Stop (after the batch in hand)
    child -> parent   Started (the batch is in hand), Finished (how each message ended)

Small frozen values, pickled by `multiprocessing`; the dispatcher and the child match on type.
"""

from __future__ import annotations

from dataclasses import dataclass

from quotemaild.config import LogConfig


@dataclass(frozen=True)
class Batch:
    raw_ids: tuple[int, ...]  # ascending
    # Lower raw ids in other children's hands when this batch was handed out: they are written
    # first, so a reply in this batch finds its original stored (see `pending.wait_turn`).
    others: tuple[int, ...] = ()


@dataclass(frozen=True)
class SetLog:
    config: LogConfig


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Started:
    raw_ids: tuple[int, ...]


@dataclass(frozen=True)
class Finished:
    processed: tuple[int, ...]
    failed: tuple[int, ...]
    skipped: tuple[int, ...]
    queued_mail: bool  # an acknowledgement was queued: wake the delivery worker


ToChild = Batch | SetLog | Stop
ToParent = Started | Finished
