"""Backpressure: refuse new mail for a while rather than let the processing backlog grow forever.

Accepting is cheap and processing is not, so under a sustained load above what processing keeps
up with, pending raw messages pile up without bound and "a request appears within seconds"
stops being true. Past `[processing] max_backlog` pending messages, a new SMTP or LMTP
transaction gets `451 4.3.2` at MAIL FROM: the sending MTA keeps the mail and tries again later,
which is what its queue is for. Refusing starts at the limit and ends once the backlog is back
under 90 % of it, so the daemon does not flip between the two on every message.
/healthz answers 503 with `"status": "backpressure"` while it lasts; /metrics shows
`quotemaild_processing_backlog` and `quotemaild_backpressure`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from quotemaild.logs import get_logger

log = get_logger(__name__)

RESUME_AT = 0.9  # refusing ends below this share of the limit
LOG_EVERY = 10.0  # seconds between two `backpressure` warnings while it lasts


class Backpressure:
    def __init__(self, backlog: Callable[[], int], limit: int) -> None:
        self._backlog = backlog  # pending raw messages (cheap: no query)
        self.limit = limit  # 0: never refuse
        self._on = False
        self._logged_at = float("-inf")

    def refusing(self) -> bool:
        """True while new transactions should get 451 4.3.2."""
        if self.limit <= 0:
            return False
        backlog = self._backlog()
        if self._on and backlog < self.limit * RESUME_AT:
            self._on = False
            log.info("backpressure_over", backlog=backlog, limit=self.limit)
        elif not self._on and backlog >= self.limit:
            self._on = True
        if self._on and time.monotonic() - self._logged_at >= LOG_EVERY:
            self._logged_at = time.monotonic()
            log.warning("backpressure", backlog=backlog, limit=self.limit, reply="451 4.3.2")
        return self._on

    def health(self) -> dict[str, Any]:
        return {"active": self.refusing(), "backlog": self._backlog(), "limit": self.limit}

    def metrics(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily("quotemaild_processing_backlog", "Raw messages acknowledged and not yet processed")
        backlog.add_metric([], self._backlog())
        yield backlog
        active = GaugeMetricFamily(
            "quotemaild_backpressure", "1 while new mail gets 451 4.3.2 because the backlog passed [processing] max_backlog"
        )
        active.add_metric([], 1 if self.refusing() else 0)
        yield active
