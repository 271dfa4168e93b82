"""The daemon's life under systemd: signals, reload, readiness, watchdog, drain.

    start -> READY=1 (listeners bound, schema current) -> serving
      SIGHUP          re-read the config file; apply what can change live (log level/format,
                      limits, retention, shutdown_grace), re-read tenants; log what needs a
                      restart (listeners, store, domain, ...). A bad file changes nothing.
      SIGTERM/SIGINT  STOPPING=1; new sessions get 421 4.3.2; DATA in flight may finish within
                      `shutdown_grace`; the commit batch is flushed; workers stop; exit 0.

Notification (READY, STATUS, WATCHDOG, RELOADING, STOPPING) goes through `edges.notify`, a
no-op without $NOTIFY_SOCKET.

The composition root (`daemon.py`) hands in how to start and stop a daemon; this module never
imports it, so the import graph has no circle (root -> lifecycle, never back).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from quotemaild.config import Config, load_config
from quotemaild.edges.notify import Notifier, watchdog
from quotemaild.errors import ConfigError
from quotemaild.logs import configure_logging, get_logger
from quotemaild.reload import plan_reload

log = get_logger(__name__)
STATUS_EVERY = 10.0
STOP_MARGIN = 30.0  # seconds beyond shutdown_grace for the final commit and the workers


class Running(Protocol):
    """What the life cycle needs of a started daemon (`daemon.Daemon`)."""

    config: Config
    handler: Any
    processor: Any
    tenants: Any
    notifier: Notifier
    http: Any
    tasks: list[asyncio.Task[None]]

    def bound(self) -> list[str]: ...

    def workers_alive(self) -> dict[str, bool]: ...

    def reconfigure(self, config: Config) -> None: ...  # the reloadable keys applied to the parts


Start = Callable[..., Awaitable[Any]]  # (config, notifier=...) -> a started daemon
Stop = Callable[..., Awaitable[None]]  # (daemon, grace=...) -> drained and stopped


async def serve(config: Config, start: Start, stop: Stop, notifier: Notifier | None = None) -> None:
    notifier = notifier or Notifier()
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    reloads: set[asyncio.Task[None]] = set()
    current: Running | None = None
    hup_pending = False

    def on_hup() -> None:
        nonlocal hup_pending
        if current is None:  # still starting: reload once it is up
            hup_pending = True
            return
        task = loop.create_task(reload(current))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    # Before start: the listeners accept connections before start() returns, and a SIGTERM in
    # that moment must drain like any other, not kill the process with mail in flight.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop_requested.set)
    loop.add_signal_handler(signal.SIGHUP, on_hup)
    try:
        daemon: Running = await start(config, notifier=notifier)
    except BaseException:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        raise
    current = daemon
    if hup_pending:
        on_hup()
    try:
        notifier.ready(status_line(daemon))
        log.info("ready", watchdog_seconds=notifier.watchdog_seconds, notify=notifier.enabled)
        # Once draining, the workers stop on purpose: keep pinging until the process ends.
        healthy = lambda: not daemon.handler.accepting or all(daemon.workers_alive().values())  # noqa: E731
        daemon.tasks.append(asyncio.create_task(watchdog(notifier, healthy)))
        daemon.tasks.append(asyncio.create_task(_status_updates(daemon)))
        await stop_requested.wait()
        log.info("shutdown_requested", grace=daemon.config.shutdown_grace, sessions=len(daemon.handler.connections))
        # The drain may take shutdown_grace; flushing and stopping the workers a little more.
        notifier.stopping(f"draining {len(daemon.handler.connections)} sessions",
                          extend_seconds=daemon.config.shutdown_grace + STOP_MARGIN)
        await stop(daemon, grace=daemon.config.shutdown_grace)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        notifier.close()


async def reload(daemon: Running) -> None:
    notifier = daemon.notifier
    notifier.send("RELOADING=1", f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")
    applied: tuple[str, ...] = ()
    needs_restart: tuple[str, ...] = ()
    source = daemon.config.source
    try:
        if source is not None:
            new = load_config(Path(source))
            plan = plan_reload(daemon.config, new)
            applied, needs_restart = plan.applied, plan.needs_restart
            daemon.config = plan.config
            if any(key.startswith("log.") for key in applied):
                configure_logging(plan.config.log)
                daemon.processor.set_log(plan.config.log)
            daemon.reconfigure(plan.config)
        if daemon.tenants is not None:
            await asyncio.to_thread(daemon.tenants.reload)
    except ConfigError as exc:
        log.error("reload_failed", error=str(exc), kept="the running config")
        notifier.send("READY=1", f"STATUS=reload failed ({exc}); running with the previous config")
        return
    except Exception as exc:  # store trouble while re-reading tenants: keep serving
        log.error("reload_failed", error=f"{type(exc).__name__}: {exc}"[:300])
        notifier.send("READY=1", f"STATUS=reload failed: {type(exc).__name__}")
        return
    tenants = len(daemon.tenants) if daemon.tenants is not None else 0
    log.info("reloaded", applied=list(applied), needs_restart=list(needs_restart), tenants=tenants,
             log_level=daemon.config.log.level)
    if needs_restart:
        log.warning("restart_needed", keys=list(needs_restart),
                    hint="these changed in the config file but keep their running value until a restart")
    notifier.send("READY=1", "STATUS=" + status_line(daemon, needs_restart))


def status_line(daemon: Running, needs_restart: tuple[str, ...] = ()) -> str:
    parts = [f"smtp {', '.join(daemon.bound())}"]
    if daemon.http is not None:
        parts.append(f"http {daemon.http.address}")
    parts.append(f"{daemon.handler.stats.accepted} accepted")
    parts.append(f"queue {daemon.processor.depth()}")
    line = "serving: " + "; ".join(parts)
    if needs_restart:
        line += f"; restart needed for {', '.join(needs_restart)}"
    return line


async def _status_updates(daemon: Running) -> None:
    while True:
        await asyncio.sleep(STATUS_EVERY)
        daemon.notifier.status(status_line(daemon))
