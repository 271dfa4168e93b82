"""Tenant slugs never look like a robot that refuses replies (the one no-reply rule, mail/no_reply.py)."""

from __future__ import annotations

import pytest

from quotemaild.clock import SystemClock
from quotemaild.errors import InvalidInput
from quotemaild.mail.no_reply import robot_sender
from quotemaild.services.tenants import NewTenant, add_tenant


@pytest.mark.parametrize(
    "slug", ["noreply", "no-reply", "no-reply-shop", "donotreply", "geen-antwoord", "nepasrepondre",
             "postmaster", "mailer-daemon", "bounce", "bounces", "listserv", "autoreply", "abuse"],  # fmt: skip
)
def test_robot_slugs_are_refused(session, slug: str) -> None:
    """An explicit slug that is a no-reply, mail-system, list or autoresponder address is reserved."""
    with pytest.raises(InvalidInput, match="reserved"):
        add_tenant(session, NewTenant(name="Shop", slug=slug), SystemClock())


@pytest.mark.parametrize("slug", ["noreen", "replyteam", "website", "forms", "acme"])
def test_people_and_web_form_slugs_are_allowed(session, slug: str) -> None:
    """Names that merely resemble one (or a web form's robot, which relays a person) are fine."""
    assert add_tenant(session, NewTenant(name="Shop", slug=slug), SystemClock()).slug == slug


@pytest.mark.parametrize("name", ["No Reply", "Postmaster", "Ne pas répondre", "Bounce"])
def test_a_robot_name_gets_a_neutral_slug(session, name: str) -> None:
    """A slug made from such a name falls back to `tenant-NNN` rather than a no-reply address."""
    slug = add_tenant(session, NewTenant(name=name), SystemClock()).slug
    assert slug.startswith("tenant-") and robot_sender(slug) is None
