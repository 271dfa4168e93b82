"""Who is acting: passwords (argon2id), logins, API tokens, and the `Actor` every API call runs as.

    Actor            tenant + role + user or token; what routes and services are given
    hash_password    argon2id (argon2-cffi defaults: RFC 9106 low-memory profile)
    set_password     validate and store a user's hash
    authenticate     e-mail + password -> User, or NotAuthenticated (the same for every failure)
    create_token     a named per-tenant token; the secret is returned once, only its hash is stored
    verify_token     secret -> Actor, or NotAuthenticated (revoked and unknown alike)

Timing: an unknown e-mail still costs one argon2 verification (against `dummy_hash()`), and
token hashes are compared with `hmac.compare_digest`, so answers do not tell which part was wrong.
The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.parsing import clean_text
from quotemaild.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from quotemaild.mail.addresses import folded_email
from quotemaild.store.models import ApiToken, Tenant, User

ROLES = ("seller", "admin")
ADMIN = "admin"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; a cap keeps a hostile login body cheap
TOKEN_PREFIX = "qmd_"
TOKEN_TOUCH_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often

_hasher = PasswordHasher()  # argon2id, the library's defaults follow RFC 9106


@dataclass(frozen=True)
class Actor:
    """The caller of one API request or page; every query is scoped by `tenant_id`."""

    tenant_id: int
    tenant_slug: str
    role: str
    user_id: int | None = None
    token_id: int | None = None
    label: str = ""  # how timelines and audit records name the actor
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def require_admin(self, action: str) -> None:
        if not self.is_admin:
            raise Forbidden(action)


def role_of(user_role: str) -> str:
    """User roles are free words (`user add --role`); only `admin` grants the admin actions."""
    return ADMIN if user_role == ADMIN else "seller"


def actor_of_user(user: User, tenant: Tenant) -> Actor:
    return Actor(tenant.id, tenant.slug, role_of(user.role), user_id=user.id, label=user.email, email=user.email)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def dummy_hash() -> str:
    """A hash of nothing anyone knows: verified against when the e-mail is unknown."""
    return _hasher.hash(secrets.token_urlsafe(16))


def check_password_rules(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("password", f"use at least {MIN_PASSWORD} characters", code="password_short",
                           params={"min": MIN_PASSWORD})
    if len(password) > MAX_PASSWORD:
        raise InvalidInput("password", f"use at most {MAX_PASSWORD} characters", code="too_long",
                           params={"max": MAX_PASSWORD})
    return password


def set_password(session: Session, user: User, password: str) -> User:
    user.password_hash = hash_password(check_password_rules(password))
    session.flush()
    return user


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or dummy_hash(), password[:MAX_PASSWORD]) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, email: str, password: str, tenant_slug: str | None = None) -> User:
    """The user whose password this is. An e-mail known in several tenants needs `tenant_slug`."""
    address = folded_email(email)
    q = select(User, Tenant.slug).join(Tenant, Tenant.id == User.tenant_id).where(User.email == address)
    if tenant_slug:
        q = q.where(Tenant.slug == tenant_slug.strip().lower())
    rows = session.execute(q.order_by(User.id)).all()
    if not rows:
        _verify(None, password)  # same cost as a wrong password
        raise NotAuthenticated("wrong e-mail or password")
    matching = [user for user, _slug in rows if _verify(user.password_hash, password)]
    if not matching:
        raise NotAuthenticated("wrong e-mail or password")
    if len(matching) > 1:
        raise InvalidInput("tenant", "this e-mail is a user of several tenants: give the tenant's slug")
    user = matching[0]
    if _hasher.check_needs_rehash(user.password_hash or ""):  # parameters raised since it was set
        user.password_hash = hash_password(password)
    return user


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, tenant: Tenant, name: str, role: str, created_by: str, clock: Clock
) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once)."""
    name = clean_text(name, "name", 100)
    if not name:
        raise InvalidInput("name", "a token needs a name (what uses it)", code="required")
    role = (role or "seller").strip().lower()
    if role not in ROLES:
        raise InvalidInput("role", f"use one of {', '.join(ROLES)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(tenant_id=tenant.id, name=name, role=role, token_hash=_token_hash(secret),
                   prefix=secret[:12], created_at=clock.now(), created_by=created_by)
    session.add(row)
    session.flush()
    return row, secret


def verify_token(session: Session, secret: str, clock: Clock) -> tuple[Actor, bool]:
    """The actor of a bearer token, and whether its last-used time is stale (then call `touch_token`
    in a write transaction: verifying itself only reads, so a GET never takes the write lock)."""
    digest = _token_hash(secret[:200])
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        raise NotAuthenticated("unknown or revoked token")
    stale = row.last_used_at is None or clock.now() - row.last_used_at >= TOKEN_TOUCH_EVERY
    slug = session.scalar(select(Tenant.slug).where(Tenant.id == row.tenant_id)) or ""
    return Actor(row.tenant_id, slug, row.role, token_id=row.id, label=f"token:{row.name}"), stale


def touch_token(session: Session, token_id: int, now: dt.datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def list_tokens(session: Session, tenant_id: int | None = None) -> list[ApiToken]:
    q = select(ApiToken).order_by(ApiToken.id)
    if tenant_id is not None:
        q = q.where(ApiToken.tenant_id == tenant_id)
    return list(session.scalars(q))


def revoke_token(session: Session, token_id: int, clock: Clock, tenant_id: int | None = None) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
        raise NotFound("token", token_id)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
    session.flush()
    return row


def token_view(row: ApiToken, tenant_slug: str | None = None) -> dict[str, Any]:
    return {"id": row.id, "tenant_id": row.tenant_id, "tenant": tenant_slug, "name": row.name, "role": row.role,
            "prefix": row.prefix, "created_at": row.created_at.isoformat(), "created_by": row.created_by,
            "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None}
