"""Generated requests for every operation of the OpenAPI document (schemathesis): never a 500.

Bounded on purpose (a few examples per operation, no shrinking database): it runs in well under a
minute and catches unhandled input; the hand-written API tests pin the behaviour.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.integration.api_support import threaded_api

EXAMPLES = 8
SKIP = {"/api/v1/events",  # an endless stream; tested on its own
        "/api/v1/vat-lookup"}  # asks EU VIES (an outside service: 503 when unreachable); tested with a fake


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with threaded_api(tmp_path_factory.mktemp("fuzz"), outbound={"public_url": "https://quotes.example.test"}) as a:
        yield a


def test_no_generated_request_gets_a_500(api):
    """Every operation, with a seller token, an admin token and none: any status but 5xx, and
    every error under /api/ is problem+json."""
    with httpx.Client(base_url=api.base, headers={"Authorization": f"Bearer {api.tokens['acme-admin']}"}) as c:
        c.post("/api/v1/requests", json={"subject": "Seed", "body": "b", "customer_name": "Piet"})
        doc = c.get("/api/v1/openapi.json").json()
    schema = schemathesis.openapi.from_dict(doc)
    failures: list[str] = []
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 35
    for op in operations:
        if op.path in SKIP:
            continue
        auths = [None, api.tokens["acme"], api.tokens["acme-admin"]]

        @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def check(case) -> None:
            token = auths[hash(repr(case.body)) % len(auths)]
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = case.call(base_url=api.base, headers=headers, timeout=10)
            if response.status_code >= 500:
                failures.append(f"{op.method.upper()} {op.path}: {response.status_code} {response.text[:300]}")
            elif response.status_code >= 400:
                ctype = response.headers.get("content-type") or [""]
                if (ctype[0] if isinstance(ctype, list) else ctype) != "application/problem+json":
                    failures.append(f"{op.method.upper()} {op.path}: {response.status_code} not problem+json")

        check()
    assert failures == []
