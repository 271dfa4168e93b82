"""A short soak (75 s) of `tests/reliability/soak.py`: mixed load over SMTP, IMAP (a real
Dovecot), the HTTP API, its event stream and the web login, with two restarts and a SIGKILL;
every acknowledged message processed once, every IMAP message fetched once, every API write
stored once, every acknowledgement sent once, memory and file descriptors flat.
`make soak DURATION=1800` runs the long one."""

from __future__ import annotations

import os

from tests.reliability.soak import run, verdict
from tests.support.dovecot import skip_unless_dovecot

DURATION = float(os.environ.get("QUOTEMAILD_SOAK_SECONDS", "75"))


async def test_short_soak(tmp_path, figure):
    skip_unless_dovecot()
    result = await run(DURATION, tmp_path)
    for key in ("acknowledged", "resent_after_no_250", "cli_replies", "http_ok", "acks_extra",
                "rss_kib_first", "rss_kib_end", "fds_first", "fds_end", "drain_seconds", "max_processing_backlog",
                "imap_appended", "imap_fetched", "imap_processed", "api_calls_total", "sse_events", "notes_added",
                "api_replies", "api_replies_extra"):
        figure(key, result[key])
    for key in ("by_kind", "imap_by_kind", "api_calls", "api_retried", "api_uncertain"):
        figure(key, str(result[key]))
    figure("restart seconds (TERM, KILL, TERM)", str(result["restart_seconds"]))
    assert result["acknowledged"] > 0 and result["by_kind"].get("new", 0) > 0
    assert result["imap_appended"] > 0 and result["api_calls"].get("note", 0) > 0
    assert verdict(result) == [], result
