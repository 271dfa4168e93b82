"""The processing state of a stored raw message (`raw_messages.state`).

    pending --processed--> processed
    pending --failed-----> failed      (kept and shown; `reprocess` sets it pending again)
"""

from __future__ import annotations

from enum import StrEnum


class RawState(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"
