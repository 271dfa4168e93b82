"""Users of a tenant (sellers and others), who requests are assigned to. Caller owns the transaction."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.parsing import clean_text, parse_email
from quotemaild.mail.addresses import folded_email
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.store.models import Tenant, User

DEFAULT_ROLE = "seller"
_ROLE = re.compile(r"[a-z][a-z0-9_-]{0,39}")


def add_user(session: Session, tenant: Tenant, name: str, email: str, role: str, clock: Clock) -> User:
    name = clean_text(name, "name", 200)
    if not name:
        raise InvalidInput("name", "must not be empty", code="required")
    address = folded_email(parse_email(email, "email"))  # users are found by this form
    role = (role or DEFAULT_ROLE).strip().lower()
    if not _ROLE.fullmatch(role):
        raise InvalidInput("role", "use 1-40 of a-z, 0-9, _ and -, starting with a letter")
    if session.scalar(select(User.id).where(User.tenant_id == tenant.id, User.email == address)) is not None:
        raise InvalidInput("email", f"{address} is already a user of {tenant.slug}", code="user_exists",
                           params={"email": address})
    user = User(tenant_id=tenant.id, name=name, email=address, role=role, created_at=clock.now())
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, tenant_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.tenant_id == tenant_id).order_by(User.name, User.id)))


def find_user(session: Session, tenant_id: int, email: str) -> User:
    if "\x00" in email:  # no user's address holds one, and PostgreSQL cannot compare text with it
        raise NotFound("user", email)
    user = session.scalar(select(User).where(User.tenant_id == tenant_id, User.email == folded_email(email)))
    if user is None:
        raise NotFound("user", email)
    return user


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "tenant_id": user.tenant_id, "name": user.name, "email": user.email,
            "role": user.role, "created_at": user.created_at.isoformat()}
