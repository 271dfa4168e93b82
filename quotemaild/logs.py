"""structlog, configured once by the composition root (daemon or CLI).

JSON lines for journald in production, a readable console in development; always to stderr, so
`--json` output on stdout stays one clean document. Message bodies are never logged.
"""

from __future__ import annotations

import logging
import sys

import structlog

from quotemaild.config import LogConfig


def configure_logging(cfg: LogConfig) -> None:
    level = getattr(logging, cfg.level.upper())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if cfg.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
