"""What every CLI command gets through click's `ctx.obj`: the config, a session factory, output.

Errors from below are turned into one line on stderr and an exit code from `EXIT`; stdout only
ever holds the command's result (with `--json`, exactly one JSON document).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock, SystemClock
from quotemaild.config import Config, load_config
from quotemaild.edges.wake import channel_for, wake_on_commit
from quotemaild.errors import (
    ConfigError,
    InvalidInput,
    NotFound,
    QuotemailError,
    RemoteUnavailable,
    StoreError,
    StoreUnavailable,
)
from quotemaild.logs import configure_logging
from quotemaild.store import db

EXIT = {
    "ok": 0,
    "error": 1,
    "usage": 2,  # click's own
    "not_found": 3,
    "invalid": 4,
    "config": 5,
    "store": 6,
    "remote": 7,  # an outside service (EU VIES) unreachable; retry later
}

DEFAULT_ACTOR = "cli"

# Where the config is looked for without --config or $QUOTEMAILD_CONFIG, first found wins.
CONFIG_SEARCH = (Path("quotemaild.toml"), Path("/etc/quotemaild/quotemaild.toml"))


def find_config(search: tuple[Path, ...] = CONFIG_SEARCH) -> Path | None:
    """The first config file of `search` that exists (relative paths from the working directory)."""
    return next((p for p in search if p.is_file()), None)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class AppContext:
    config_path: str | None
    clock: Clock = field(default_factory=SystemClock)
    actor: str = DEFAULT_ACTOR  # who CLI actions are recorded as (--actor / $QUOTEMAILD_ACTOR)
    _config: Config | None = None
    _engine: Engine | None = None
    _sessions: sessionmaker[Session] | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            path = Path(self.config_path) if self.config_path else find_config()
            if path is None:
                looked = ", ".join(str(p) if p.is_absolute() else f"./{p}" for p in CONFIG_SEARCH)
                raise ConfigError("--config", f"no config file: pass --config PATH, set QUOTEMAILD_CONFIG, "
                                              f"or put one at {looked}")
            self._config = load_config(path)
            configure_logging(self._config.log)
        return self._config

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = db.make_engine(self.config.store)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            if not db.schema_is_current(self.engine):
                db.migrate(self.engine)
            self._sessions = db.make_sessionmaker(self.engine)
            # A reply or quote queued here leaves now: the daemon's outbox is told after the commit.
            wake_on_commit(self._sessions, channel_for(self.config.store.url).notify)
        return self._sessions

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session: never takes the database's write lock."""
        with db.make_reader(self.sessions.kw["bind"])() as session:
            yield session


def emit(data: Any, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        sys.stdout.write((text(data) if text else _plain(data)) + "\n")


def warn(warnings: list[dict[str, Any]]) -> None:
    """Warnings (never refusals) go to stderr, one line each; --json output carries them too."""
    for w in warnings:
        click.echo(f"quotemaild: warning: {w['message']}", err=True)


def _plain(data: Any) -> str:
    if isinstance(data, list):
        return "\n".join(_plain(item) for item in data) if data else "(none)"
    if isinstance(data, dict):
        return "\n".join(f"{k}: {v}" for k, v in data.items() if not isinstance(v, list | dict))
    return str(data)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Translate our errors into a message on stderr and a distinct exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            _fail(str(exc), "config")
        except NotFound as exc:
            _fail(str(exc), "not_found")
        except InvalidInput as exc:
            _fail(str(exc), "invalid")
        except StoreUnavailable as exc:
            _fail(f"store unavailable: {exc}", "store")
        except StoreError as exc:
            _fail(f"store error: {exc}", "store")
        except RemoteUnavailable as exc:
            _fail(str(exc), "remote")
        except QuotemailError as exc:
            _fail(str(exc), "error")
        raise AssertionError("unreachable")

    return wrapper


def _fail(message: str, kind: str) -> None:
    click.echo(f"quotemaild: error: {message}", err=True)
    sys.exit(EXIT[kind])


fail = _fail  # for commands that print a result and still exit non-zero (check-config)


pass_app = click.make_pass_decorator(AppContext)


def config_from_env() -> str | None:
    return os.environ.get("QUOTEMAILD_CONFIG")
