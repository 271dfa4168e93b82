"""Identity over a real socket: tokens, login with a session cookie, CSRF, throttling, problem+json."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from quotemaild.services.login_throttle import delay_after
from quotemaild.store.models import ApiToken, LoginThrottle
from tests.integration.api_support import PASSWORD, api_daemon, login

PROBLEM = "application/problem+json"


@pytest.fixture
async def api(tmp_path):
    async for a in api_daemon(tmp_path):
        yield a


async def test_no_credentials_is_401_problem_json(api):
    """Without credentials: 401, problem+json with a stable type and WWW-Authenticate: Bearer."""
    r = await api.client().get("/api/v1/auth/me")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert body["type"].endswith("/not-authenticated") and body["status"] == 401
    assert body["instance"] == "/api/v1/auth/me"


async def test_a_token_says_who_it_is_and_records_its_use(api):
    """A bearer token resolves to its tenant and role; last_used_at is set; a wrong token is 401."""
    r = await api.client("acme").get("/api/v1/auth/me")
    assert r.status_code == 200
    me = r.json()
    assert (me["tenant"], me["role"], me["label"], me["csrf"]) == ("acme", "seller", "token:crm", None)
    with api.running.sessions() as s:
        assert s.scalar(select(ApiToken.last_used_at).where(ApiToken.id == me["token_id"])) is not None
    bad = api.client()
    r = await bad.get("/api/v1/auth/me", headers={"Authorization": "Bearer qmd_nope"})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM


async def test_login_sets_an_httponly_lax_cookie_and_logout_ends_it(api):
    """Login sets the signed HttpOnly SameSite=Lax cookie; /me works with it; after logout it is refused."""
    c = api.client()
    r = await c.post("/api/v1/auth/login", json={"email": "JAN@acme.test", "password": PASSWORD})
    assert r.status_code == 200
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/" in set_cookie
    assert r.json()["tenant"] == "acme" and r.json()["csrf"]
    csrf = r.json()["csrf"]
    me = (await c.get("/api/v1/auth/me")).json()
    assert me["email"] == "jan@acme.test" and me["csrf"] == csrf
    stolen = c.cookies.get("quotemaild_session")
    assert (await c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 204
    replay = api.client()
    replay.cookies.set("quotemaild_session", stolen)
    assert (await replay.get("/api/v1/auth/me")).status_code == 401


async def test_an_unknown_email_gets_the_same_401_as_a_wrong_password(api):
    """Unknown e-mail and wrong password: the same status, type and detail."""
    c = api.client()
    a = await c.post("/api/v1/auth/login", json={"email": "nobody@acme.test", "password": "whatever-long"})
    b = await c.post("/api/v1/auth/login", json={"email": "jan@acme.test", "password": "whatever-long"})
    assert a.status_code == b.status_code == 401
    assert {k: v for k, v in a.json().items()} == b.json()


async def test_a_forged_cookie_is_refused(api):
    """A cookie whose signature does not verify is no session."""
    c = api.client()
    c.cookies.set("quotemaild_session", "abc.def")
    assert (await c.get("/api/v1/auth/me")).status_code == 401


async def test_cookie_requests_that_change_state_need_the_csrf_token(api):
    """Logged in with the cookie: a POST without X-CSRF-Token, with a wrong one, or from another site is 403."""
    c, csrf = await login(api)
    r = await c.post("/api/v1/auth/logout")
    assert r.status_code == 403 and r.json()["type"].endswith("/csrf")
    r = await c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "x" * 43})
    assert r.status_code == 403
    r = await c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and r.json()["type"].endswith("/cross-origin")
    assert (await c.get("/api/v1/auth/me")).status_code == 200  # still logged in
    assert (await c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 204


async def test_wrong_passwords_are_401_then_429_with_a_growing_delay(api):
    """Failures are 401; after a few, 429 with Retry-After, also
    for the right password; the blocked period grows with each failure."""
    c = api.client()
    for _ in range(3):
        r = await c.post("/api/v1/auth/login", json={"email": "jan@acme.test", "password": "wrong-password"})
        assert r.status_code == 401, r.text
    r = await c.post("/api/v1/auth/login", json={"email": "jan@acme.test", "password": "wrong-password"})
    assert r.status_code == 401  # the 4th failure is counted, then the account is blocked
    r = await c.post("/api/v1/auth/login", json={"email": "jan@acme.test", "password": PASSWORD})
    assert r.status_code == 429 and r.headers["content-type"] == PROBLEM
    assert int(r.headers["retry-after"]) >= 1 and r.json()["type"].endswith("/throttled")
    r = await c.post("/api/v1/auth/login", json={"email": "an@acme.test", "password": PASSWORD})
    assert r.status_code == 429  # per address too: another account from the same address waits
    with api.running.sessions() as s:
        rows = {t.key: t.failures for t in s.scalars(select(LoginThrottle))}
    assert rows == {"account:jan@acme.test": 4, "address:127.0.0.1": 4}


@pytest.mark.parametrize(("failures", "delay"), [(1, 0), (3, 0), (4, 2), (5, 4), (6, 8), (20, 900), (99, 900)])
def test_delay_grows_and_is_capped(failures, delay):
    assert delay_after(failures) == delay


async def test_openapi_and_docs_are_served_under_api_v1(api):
    """The OpenAPI document and the docs page are public; /healthz and /q/ are not in the document."""
    c = api.client()
    doc = (await c.get("/api/v1/openapi.json")).json()
    assert "/api/v1/auth/login" in doc["paths"] and "/healthz" not in doc["paths"]
    assert not any(p.startswith("/q/") for p in doc["paths"])
    assert (await c.get("/api/v1/docs")).status_code == 200
    assert (await c.get("/healthz")).status_code == 200
