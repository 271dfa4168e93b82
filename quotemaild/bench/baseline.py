"""The baseline: a stock aiosmtpd server whose handler discards every message.

It runs as its own process (`python -m quotemaild.bench.baseline`), served the way the daemon
serves SMTP (`loop.create_server(lambda: SMTP(handler))` on the main loop, same aiosmtpd, same
size limit and timeout), so the ratio quotemaild/baseline measures what our pipeline costs and
nothing else. It binds port 0 and prints `LISTENING host port` once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from email.parser import BytesParser
from email.policy import compat32
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

READY_PREFIX = "LISTENING"


class NullHandler:
    """Accepts every recipient and discards every message after DATA."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 2.0.0 OK discarded"


class CaptureHandler:
    """A fake smarthost: accepts everything and appends one JSON line per message to a file.

    The line holds the arrival time (epoch seconds) and the threading headers, so the harness
    can match each acknowledgement to the message it answers.
    """

    def __init__(self, path: str) -> None:
        self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed with the process

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        now = time.time()
        msg = BytesParser(policy=compat32).parsebytes(envelope.original_content or b"", headersonly=True)
        line = {"t": now, "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "in_reply_to": str(msg.get("In-Reply-To", "")).strip(),
                "message_id": str(msg.get("Message-ID", "")).strip(),
                "auto_submitted": str(msg.get("Auto-Submitted", "")), "subject": str(msg.get("Subject", ""))}  # fmt: skip
        self._out.write(json.dumps(line) + "\n")
        self._out.flush()
        return "250 2.0.0 OK captured"


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    """`asyncio` (stdlib default) or `uvloop`, so the baseline matches the daemon's loop."""
    if kind == "uvloop":
        import uvloop  # optional; only when the daemon uses it too

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def serve(
    host: str, port: int, *, data_size_limit: int, timeout: float, hostname: str, capture: str | None = None
) -> None:
    loop = asyncio.get_running_loop()
    handler: Any = CaptureHandler(capture) if capture else NullHandler()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            data_size_limit=data_size_limit,
            hostname=hostname,
            timeout=timeout,
            loop=loop,
        ),
        host=host,
        port=port,
    )
    bound = server.sockets[0].getsockname()
    print(f"{READY_PREFIX} {bound[0]} {bound[1]}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quotemaild.bench.baseline", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-message-size", type=int, default=50 * 1024 * 1024)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--hostname", default="localhost")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--capture", metavar="FILE", help="act as a capturing smarthost: a JSON line per message")
    args = parser.parse_args(argv)
    loop = new_loop(args.loop)
    kwargs: dict[str, Any] = dict(
        data_size_limit=args.max_message_size, timeout=args.timeout, hostname=args.hostname,
        capture=args.capture,
    )
    try:
        loop.run_until_complete(serve(args.host, args.port, **kwargs))
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
