"""Browser sessions for the web app: server-side rows, a signed cookie, a CSRF secret per session.

    login(...)           check the throttle, the password; open a fresh session (never reuse one)
    resolve(...)         cookie value -> (WebSession, Actor), or None when unknown, forged or expired
    logout(...)          delete the session row (the cookie is then worthless)

The cookie holds `<random session id>.<signature>` (itsdangerous, keyed by `[security] secret`);
the store keeps only a SHA-256 of the id, so a copy of the database does not hold live sessions.
The edge sets it HttpOnly, SameSite=Lax, Secure behind TLS. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.errors import InvalidInput, NotAuthenticated
from quotemaild.services import login_throttle
from quotemaild.services.identity import Actor, actor_of_user, authenticate
from quotemaild.store.models import Tenant, User, WebSession

COOKIE_NAME = "quotemaild_session"
SESSION_TTL = dt.timedelta(hours=12)  # a working day; then log in again
_SALT = "quotemaild.web-session"


@dataclass(frozen=True)
class CookieSigner:
    secret: bytes

    def sign(self, sid: str) -> str:
        return Signer(self.secret, salt=_SALT).sign(sid).decode()

    def unsign(self, value: str) -> str | None:
        try:
            return Signer(self.secret, salt=_SALT).unsign(value[:400]).decode()
        except (BadSignature, UnicodeError):
            return None


@dataclass(frozen=True)
class Opened:
    cookie: str  # the value for the Set-Cookie header
    csrf: str
    actor: Actor
    expires_at: dt.datetime


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def login(
    session: Session, signer: CookieSigner, email: str, password: str, clock: Clock, *,
    tenant_slug: str | None = None, address: str = "", user_agent: str = "", ttl: dt.timedelta = SESSION_TTL,
) -> Opened:
    """Throttle check, password check, new session. Raises Throttled, NotAuthenticated, InvalidInput.

    The throttle counts failures in `session`: the caller must commit also when this raises
    NotAuthenticated (see `edges/http/api/auth.py`), or brute force would never be slowed."""
    now = clock.now()
    keys = login_throttle.keys_for(email, address)
    login_throttle.check(session, keys, now)
    try:
        user = authenticate(session, email, password, tenant_slug)
    except (NotAuthenticated, InvalidInput):
        login_throttle.failed(session, keys, now)
        raise
    login_throttle.succeeded(session, keys[0])
    tenant = session.get_one(Tenant, user.tenant_id)
    return open_session(session, signer, user, tenant, now, address=address, user_agent=user_agent, ttl=ttl)


def open_session(
    session: Session, signer: CookieSigner, user: User, tenant: Tenant, now: dt.datetime, *,
    address: str = "", user_agent: str = "", ttl: dt.timedelta = SESSION_TTL,
) -> Opened:
    sid = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    row = WebSession(tenant_id=tenant.id, user_id=user.id, sid_hash=_digest(sid), csrf=csrf, created_at=now,
                     expires_at=now + ttl, last_seen_at=now, address=address[:64], user_agent=user_agent[:300])
    session.add(row)
    session.execute(delete(WebSession).where(WebSession.expires_at < now))  # sweep the stale ones
    session.flush()
    return Opened(signer.sign(sid), csrf, actor_of_user(user, tenant), row.expires_at)


def resolve(session: Session, signer: CookieSigner, cookie: str, clock: Clock) -> tuple[WebSession, Actor] | None:
    sid = signer.unsign(cookie)
    if sid is None:
        return None
    digest = _digest(sid)
    row = session.execute(
        select(WebSession, User, Tenant)
        .join(User, User.id == WebSession.user_id)
        .join(Tenant, Tenant.id == WebSession.tenant_id)
        .where(WebSession.sid_hash == digest)
    ).first()
    if row is None or not hmac.compare_digest(row[0].sid_hash, digest) or row[0].expires_at <= clock.now():
        return None
    web, user, tenant = row
    return web, actor_of_user(user, tenant)


def logout(session: Session, signer: CookieSigner, cookie: str) -> bool:
    sid = signer.unsign(cookie)
    if sid is None:
        return False
    return bool(session.execute(delete(WebSession).where(WebSession.sid_hash == _digest(sid))).rowcount)


def end_user_sessions(session: Session, user_id: int) -> int:
    """After a password change: every browser of that user must log in again."""
    return int(session.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount or 0)
