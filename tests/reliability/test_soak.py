"""A short soak (75 s) of `tests/reliability/soak.py`: mixed load, two restarts and a SIGKILL;
every acknowledged message processed once, every acknowledgement sent once, memory and file
descriptors flat. `make soak DURATION=1800` runs the long one."""

from __future__ import annotations

import os

from tests.reliability.soak import run, verdict

DURATION = float(os.environ.get("QUOTEMAILD_SOAK_SECONDS", "75"))


async def test_short_soak(tmp_path, figure):
    result = await run(DURATION, tmp_path)
    for key in ("acknowledged", "resent_after_no_250", "cli_replies", "http_ok", "acks_extra",
                "rss_kib_first", "rss_kib_end", "fds_first", "fds_end", "drain_seconds", "max_processing_backlog"):
        figure(key, result[key])
    figure("by kind", str(result["by_kind"]))
    figure("restart seconds (TERM, KILL, TERM)", str(result["restart_seconds"]))
    assert result["acknowledged"] > 0 and result["by_kind"].get("new", 0) > 0
    assert verdict(result) == [], result
