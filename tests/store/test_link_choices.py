"""The contacts the request page offers to link: the tenant's own, by name, with a first address."""

from __future__ import annotations

import datetime as dt

from quotemaild.clock import SystemClock
from quotemaild.services.request_contacts import link_choices
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import Contact

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_link_choices_are_the_tenants_by_name(session):
    acme = add_tenant(session, NewTenant(name="Acme", slug="acme"), SystemClock())
    other = add_tenant(session, NewTenant(name="Other", slug="other"), SystemClock())
    for tenant, name, emails, kind in ((acme, "Zeno BV", ["zeno@z.example", "b@z.example"], "customer"),
                                       (acme, "Anna", [], "prospect"), (other, "Bert", ["b@o.example"], "prospect")):
        session.add(Contact(tenant_id=tenant.id, name=name, emails=emails, kind=kind, created_at=NOW, updated_at=NOW))
    session.flush()
    choices = link_choices(session, acme.id)
    assert [(c["name"], c["email"], c["kind"]) for c in choices] == [("Anna", None, "prospect"),
                                                                     ("Zeno BV", "zeno@z.example", "customer")]
    assert [c["name"] for c in link_choices(session, acme.id, limit=1)] == ["Anna"]
