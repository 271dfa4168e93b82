"""Opening a request page marks it read for that user after the response is sent (no write on
the page's path); "mark as unread" and the unread count stay right."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select

from quotemaild.store.models import RequestRead

from tests.integration.api_support import api_daemon
from tests.integration.test_web_pages import form_login


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path):
        yield a


def _reads(api, user_id: int) -> int:
    with api.running.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(RequestRead).where(RequestRead.user_id == user_id)))


async def _until(check, what: str, timeout: float = 20.0) -> None:
    """Waits for a state (a background write on a loaded machine); never asserts a duration."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_the_request_page_marks_read_after_the_response(api):
    await api.mail(subject="Lees mij")
    await api.running.wait_processed(1)
    jan = api.users["jan@acme.test"]
    c, csrf = await form_login(api, "jan@acme.test")
    inbox = (await c.get("/")).text
    rid = int(re.search(r'href="/requests/(\d+)"', inbox).group(1))
    assert (await c.get("/api/v1/requests")).json()["counts"]["unread"] == 1

    page = await c.get(f"/requests/{rid}")
    assert page.status_code == 200 and "Lees mij" in page.text
    await _until(lambda: _reads(api, jan) == 1, "the read mark")
    listed = (await c.get("/api/v1/requests")).json()
    assert listed["items"][0]["unread"] is False and listed["counts"]["unread"] == 0
    assert _reads(api, api.users["an@acme.test"]) == 0  # read state is per user

    r = await c.post(f"/requests/{rid}/unread", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    listed = (await c.get("/api/v1/requests")).json()
    assert listed["items"][0]["unread"] is True and listed["counts"]["unread"] == 1

    await c.get(f"/requests/{rid}")  # opened again: read again, one row, count exact
    await _until(lambda: _reads(api, jan) == 1, "the second read mark")
    assert (await c.get("/api/v1/requests")).json()["counts"]["unread"] == 0
