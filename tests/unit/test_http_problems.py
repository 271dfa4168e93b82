"""problem+json for every error class; a bug answers 500 without its traceback; store trouble is 503."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
import httpx
from sqlalchemy.exc import OperationalError

from quotemaild.edges.http import problems
from quotemaild.errors import (
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    RemoteUnavailable,
    StoreUnavailable,
    Throttled,
)


@pytest.mark.parametrize(("error", "status", "slug"), [
    (NotAuthenticated(), 401, "not-authenticated"),
    (Forbidden("delete"), 403, "forbidden"),
    (NotFound("request", 7), 404, "not-found"),
    (InvalidTransition("received", "accept"), 409, "invalid-transition"),
    (InvalidInput("body", "empty"), 422, "invalid"),
    (Throttled(8), 429, "throttled"),
    (StoreUnavailable("locked"), 503, "store-unavailable"),
    (RemoteUnavailable("VIES", "timeout"), 503, "remote-unavailable"),
])
def test_error_tree_to_status(error, status, slug):
    p = problems.from_error(error)
    assert (p.status, p.slug) == (status, slug)


async def get_raising(exc: Exception) -> httpx.Response:
    """GET a route that raises `exc`, through the app in process (no socket needed for the handlers)."""
    app = FastAPI()
    problems.install(app)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise exc

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/api/v1/boom")


async def test_a_bug_is_a_500_problem_without_traceback():
    r = await get_raising(RuntimeError("secret internals at /etc/x"))
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "secret" not in r.text and "Traceback" not in r.text and r.json()["type"].endswith("/internal")


async def test_a_locked_store_is_503_with_retry_after():
    r = await get_raising(OperationalError("UPDATE x", {}, Exception("database is locked")))
    assert r.status_code == 503 and r.headers["retry-after"] == "5" and "locked" not in r.text


async def test_throttled_carries_retry_after():
    r = await get_raising(Throttled(12))
    assert r.status_code == 429 and r.headers["retry-after"] == "12" and r.json()["retry_after"] == 12


@pytest.mark.parametrize("cursor", ["", "x", "bm90IGEgY3Vyc29y", "OTk5OS0xMi0zMVQyMzo1OTo1OS0xNDowMHw1"])
def test_bad_cursors_are_invalid_input_naming_the_field(cursor):
    """Garbage, a cursor without a time, and one whose time cannot be put in UTC."""
    from quotemaild.services.inbox import decode_cursor

    with pytest.raises(InvalidInput) as err:
        decode_cursor(cursor)
    assert err.value.field == "cursor"


def test_a_cursor_round_trips():
    import datetime as dt

    from quotemaild.services.inbox import decode_cursor, encode_cursor

    at = dt.datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)
    assert decode_cursor(encode_cursor(at, 42)) == (at, 42)
