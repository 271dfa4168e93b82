"""A daemon with HTTP on 127.0.0.1:0, two tenants (acme, other) with users and tokens, and httpx
clients for each: what every API test starts from."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx

from quotemaild import daemon as daemon_mod
from quotemaild.clock import SystemClock
from quotemaild.config import config_from_dict
from quotemaild.services.identity import create_token, set_password
from quotemaild.services.tenants import get_tenant
from quotemaild.services.users import add_user
from tests.conftest import RunningDaemon, config_dict, make_mail, start_daemon

PASSWORD = "correct horse battery"


@dataclass
class Api:
    running: RunningDaemon
    base: str
    tokens: dict[str, str] = field(default_factory=dict)  # "acme", "acme-admin", "other" -> secret
    users: dict[str, int] = field(default_factory=dict)
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self, token: str | None = None, **kw: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[token]}"} if token else {}
        c = httpx.AsyncClient(base_url=self.base, headers=headers, timeout=30, **kw)  # a loaded machine
        self.clients.append(c)
        return c

    async def mail(self, subject: str = "Offerte aanvraag", message_id: str = "<m1@example.org>",
                   to: str = "acme", **kw: Any) -> None:
        async with aiosmtplib.SMTP(hostname=self.running.host, port=self.running.port) as smtp:
            await smtp.sendmail("klant@example.org", [self.running.address(to)],
                                make_mail(subject=subject, message_id=message_id, to=self.running.address(to), **kw))


def seed(running: RunningDaemon) -> tuple[dict[str, str], dict[str, int]]:
    clock = SystemClock()
    tokens: dict[str, str] = {}
    users: dict[str, int] = {}
    with running.sessions.begin() as s:
        acme, other = get_tenant(s, "acme"), get_tenant(s, "other")
        for tenant, email, role in ((acme, "jan@acme.test", "seller"), (acme, "an@acme.test", "admin"),
                                    (other, "olaf@other.test", "admin")):
            user = add_user(s, tenant, email.split("@")[0].title(), email, role, clock)
            set_password(s, user, PASSWORD)
            users[email] = user.id
        tokens["acme"] = create_token(s, acme, "crm", "seller", "test", clock)[1]
        tokens["acme-admin"] = create_token(s, acme, "ops", "admin", "test", clock)[1]
        tokens["other"] = create_token(s, other, "intruder", "admin", "test", clock)[1]
    return tokens, users


async def api_daemon(tmp_path: Path, **sections: dict[str, Any]) -> AsyncIterator[Api]:
    config = config_from_dict(config_dict(tmp_path, http={"listen": "127.0.0.1:0"}, **sections))
    running = await start_daemon(config)
    tokens, users = seed(running)
    api = Api(running, f"http://{running.daemon.http.address}", tokens, users)
    try:
        yield api
    finally:
        for c in api.clients:
            await c.aclose()
        await daemon_mod.stop(running.daemon, grace=2)
        running.sessions.kw["bind"].dispose()


async def login(api: Api, email: str = "jan@acme.test", password: str = PASSWORD) -> tuple[httpx.AsyncClient, str]:
    """A cookie client, logged in; returns it with its CSRF token."""
    c = api.client()
    r = await c.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return c, r.json()["csrf"]


@contextmanager
def threaded_api(tmp_path: Path, **sections: dict[str, Any]) -> Iterator[Api]:
    """The daemon on an event loop in its own thread, for blocking clients (schemathesis, requests)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="daemon-loop", daemon=True)
    thread.start()

    def run(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)

    config = config_from_dict(config_dict(tmp_path, http={"listen": "127.0.0.1:0"}, **sections))
    running = run(start_daemon(config))
    try:
        tokens, users = seed(running)
        yield Api(running, f"http://{running.daemon.http.address}", tokens, users)
    finally:
        run(daemon_mod.stop(running.daemon, grace=2))
        running.sessions.kw["bind"].dispose()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
