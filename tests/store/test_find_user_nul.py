"""A user looked up by an address holding a NUL (a fuzzer's favourite) is simply not found, on
both engines: PostgreSQL refuses NUL in text outright, which used to surface as a 500."""

from __future__ import annotations

import pytest

from quotemaild.clock import SystemClock
from quotemaild.errors import NotFound
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.services.users import add_user, find_user


def test_an_address_with_a_nul_finds_no_user(session):
    tenant = add_tenant(session, NewTenant(name="Acme", slug="acme"), SystemClock())
    add_user(session, tenant, "Jan", "jan@acme.test", "seller", SystemClock())
    assert find_user(session, tenant.id, "JAN@acme.test").email == "jan@acme.test"
    with pytest.raises(NotFound):
        find_user(session, tenant.id, "jan@acme.test\x00")
