"""What the daemon hands the API: built here from the config, so daemon.py stays one call."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker

from quotemaild import wiring
from quotemaild.clock import Clock
from quotemaild.config import Config
from quotemaild.edges.http.deps import ApiContext
from quotemaild.edges.http.feed import EventFeed
from quotemaild.services.web_sessions import CookieSigner


def api_context(config: Config, sessions: sessionmaker[Session], readers: sessionmaker[Session],
                clock: Clock) -> ApiContext:
    """Call on the daemon's loop: the event feed binds to it."""
    feed = EventFeed(readers)
    feed.bind(asyncio.get_running_loop())
    return ApiContext(
        sessions=sessions, readers=readers, clock=clock,
        cookies=CookieSigner(config.security.secret.encode()),
        send=wiring.send_settings(config),
        max_upload=config.mail.max_message_size,
        secure_cookies=config.outbound.public_url.startswith("https://"),
        feed=feed, config=config,
    )
