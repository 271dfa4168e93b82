"""Tenants: create, find, list. The caller owns the transaction."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.numbering import parse_format
from quotemaild.domain.parsing import clean_text
from quotemaild.mail.addresses import AddressError, address_key, clean_email, split_domain
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.mail.no_reply import robot_sender
from quotemaild.store.models import Tenant

LANGUAGES = ("nl", "fr", "en")
SENDER_MODES = ("tenant", "own")
# RFC 2142 role addresses that are no robot; besides these, no slug may look like a robot that
# refuses replies (mail/no_reply.py: noreply, postmaster, mailer-daemon, bounce...): the tenant's
# address sends our acknowledgements and replies, and answers must come back to it.
RESERVED_SLUGS = frozenset({"abuse"})
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:40].strip("-") or "tenant"


def _reserved(slug: str) -> bool:
    robot = robot_sender(slug)
    return slug in RESERVED_SLUGS or (robot is not None and robot.refuses_replies)


def validate_slug(slug: str) -> str:
    if _reserved(slug):
        raise InvalidInput("slug", f"{slug!r} is reserved (bounces, RFC 2142 role and no-reply addresses)")
    if not _SLUG.match(slug):
        raise InvalidInput(
            "slug", f"{slug!r} must be 1-64 of a-z, 0-9 and '-', not starting or ending with '-'"
        )
    return slug


@dataclass(frozen=True)
class NewTenant:
    name: str
    slug: str | None = None
    language: str = "nl"


def add_tenant(session: Session, new: NewTenant, clock: Clock) -> Tenant:
    name = " ".join(new.name.split())
    if not name:
        raise InvalidInput("name", "must not be empty", code="required")
    if new.language not in LANGUAGES:
        raise InvalidInput("language", f"must be one of {', '.join(LANGUAGES)}")
    if new.slug is not None:
        slug = validate_slug(new.slug.lower())
        if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
            raise InvalidInput("slug", f"{slug!r} is already taken")
    else:
        base = slugify(name)
        slug = _free_slug(session, "tenant" if _reserved(base) else base)
    tenant = Tenant(
        slug=slug,
        name=name,
        language=new.language,
        auto_reply=True,
        sender_mode="tenant",
        own_addresses=[],
        own_domains=[],
        created_at=clock.now(),
    )
    session.add(tenant)
    session.flush()
    return tenant


def _free_slug(session: Session, base: str) -> str:
    """`base-NNN` with a random number, like `starcomm-524`; longer numbers if crowded."""
    for digits in (3, 3, 3, 4, 5, 6, 8):
        candidate = f"{base}-{secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1)}"
        if session.scalar(select(Tenant.id).where(Tenant.slug == candidate)) is None:
            return candidate
    raise InvalidInput("slug", f"could not find a free slug for {base!r}; pass --slug")


def get_tenant(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug.lower()))
    if tenant is None:
        raise NotFound("tenant", slug)
    return tenant


def list_tenants(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.id)))


def tenant_address(tenant: Tenant, domain: str) -> str:
    return f"{tenant.slug}@{domain}"


@dataclass(frozen=True)
class TenantUpdate:
    """What `tenant update` may change; None leaves a setting as it is. Add new settings here."""

    name: str | None = None  # the name shown in lists and mails (the slug and address stay)
    language: str | None = None
    customer_number_format: str | None = None
    auto_reply: str | None = None  # "on" | "off"
    sender_mode: str | None = None  # "tenant" | "own"
    own_address: tuple[str, ...] = ()  # added to the tenant's own addresses
    own_domain: tuple[str, ...] = ()  # added to the tenant's own domains
    clear_own: bool = False  # forget the own addresses and domains first
    quote_number_format: str | None = None
    quote_validity_days: int | None = None


def update_tenant(session: Session, slug: str, changes: TenantUpdate) -> Tenant:
    tenant = get_tenant(session, slug)
    if changes.name is not None:
        name = clean_text(changes.name, "name", 200)
        if not " ".join(name.split()):
            raise InvalidInput("name", "must not be empty", code="required")
        tenant.name = " ".join(name.split())
    if changes.auto_reply is not None:
        if changes.auto_reply not in ("on", "off"):
            raise InvalidInput("auto_reply", "must be on or off")
        tenant.auto_reply = changes.auto_reply == "on"
    if changes.clear_own:
        tenant.own_addresses, tenant.own_domains = [], []
    if changes.own_address:
        addresses = list(tenant.own_addresses)
        for value in changes.own_address:
            cleaned = clean_email(value)
            if cleaned is None:
                raise InvalidInput("own_address", f"{value!r} is not an e-mail address", code="not_an_email")
            if address_key(cleaned) not in (address_key(a) for a in addresses):
                addresses.append(cleaned)
        tenant.own_addresses = addresses
    if changes.own_domain:
        domains = list(tenant.own_domains)
        for value in changes.own_domain:
            try:  # stored as U-labels (shown as typed in Unicode); compared as A-labels
                domain = split_domain(value)[1]
            except AddressError as exc:
                raise InvalidInput("own_domain", f"{value!r} is not a domain name", code="not_a_domain") from exc
            if "." not in domain:
                raise InvalidInput("own_domain", f"{value!r} is not a domain name", code="not_a_domain")
            if domain not in domains:
                domains.append(domain)
        tenant.own_domains = domains
    if changes.sender_mode is not None:
        if changes.sender_mode not in SENDER_MODES:
            raise InvalidInput("sender_mode", f"must be one of {', '.join(SENDER_MODES)}")
        tenant.sender_mode = changes.sender_mode
    if tenant.sender_mode == "own" and not tenant.own_addresses:
        raise InvalidInput("sender_mode", "own needs an own address to send from: add --own-address ADDR",
                           code="own_address_needed")
    if changes.language is not None:
        if changes.language not in LANGUAGES:
            raise InvalidInput("language", f"must be one of {', '.join(LANGUAGES)}")
        tenant.language = changes.language
    if changes.customer_number_format is not None:
        tenant.customer_number_format = parse_format(changes.customer_number_format, "customer_number_format").text
    if changes.quote_number_format is not None:
        tenant.quote_number_format = parse_format(changes.quote_number_format, "quote_number_format").text
    if changes.quote_validity_days is not None:
        if not 0 <= changes.quote_validity_days <= 365:
            raise InvalidInput("quote_validity_days", "must be 0-365 days", code="days_range")
        tenant.quote_validity_days = changes.quote_validity_days
    session.flush()
    return tenant
