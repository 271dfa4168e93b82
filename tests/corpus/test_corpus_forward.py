"""Crisp forward fixtures, wrapped in a mail from the tenant: the requester is the original sender."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from quotemaild.mail.parse import parse_message
from quotemaild.mail.provenance import understand
from quotemaild.mail.tenant import TenantIdentity

TENANT = TenantIdentity(
    proposals_addresses=frozenset({"acme-1@proposals.example.com"}),
    own_addresses=frozenset({"forwarder@tenant.example"}),
    own_domains=frozenset({"tenant.example"}),
    proposals_domain="proposals.example.com",
)
REQUESTER_FLOOR = 0.95


def wrap(body: str, subject: str) -> bytes:
    """The fixture body as the tenant would send it to its proposals address."""
    msg = EmailMessage(policy=default_policy)
    msg["From"] = "Tenant Seller <forwarder@tenant.example>"
    msg["To"] = "acme-1@proposals.example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = "<fwd-test@tenant.example>"
    msg.set_content(body)
    return msg.as_bytes()


@pytest.mark.corpus
def test_crisp_forward_fixtures(corpus_dir):
    """>= 95 % of the forward fixtures give the original sender as requester; no-forward ones give none."""
    root = corpus_dir / "crisp-email-forward-parser"
    cases = json.loads((root / "expected" / "forward-expected.json").read_text(encoding="utf-8"))["cases"]
    constant_subject = "Integer consequat non purus"
    requester_total = requester_ok = name_ok = subject_ok = subject_total = 0
    negatives = negatives_ok = preamble_total = preamble_ok = 0
    misses: list[str] = []
    for key, case in cases.items():
        body = (root / case["body_fixture"]).read_text(encoding="utf-8")
        # Outer subject: the subject fixture when upstream has one, else the bare original subject
        # (no forward prefix), so that the body alone has to carry the forward.
        if "subject_fixture" in case:
            subject = (root / case["subject_fixture"]).read_text(encoding="utf-8").strip()
        else:
            subject = constant_subject
        u = understand(parse_message(wrap(body, subject)), "forwarder@tenant.example", TENANT)
        expected = case["expected"]
        if not expected["forwarded"]:
            negatives += 1
            if u.provenance != "manual_forward" and u.requester is None:
                negatives_ok += 1
            else:
                misses.append(f"{key}: negative parsed as {u.provenance} {u.requester}")
            continue
        original = expected.get("email", {})
        if "subject" in original:
            subject_total += 1
            subject_ok += u.original_subject == original["subject"]
        if expected.get("message") is not None or "message" in expected:
            preamble_total += 1
            preamble_ok += (u.preamble or None) == expected.get("message")
        sender = original.get("from") or {}
        if not sender.get("address"):
            continue  # upstream asserts no address (e.g. "From: John Doe" only)
        requester_total += 1
        if u.provenance == "manual_forward" and u.requester and u.requester.email == sender["address"]:
            requester_ok += 1
            name_ok += u.requester.name == (sender.get("name") or "")
        else:
            misses.append(f"{key}: {u.provenance} {u.requester}")
    accuracy = requester_ok / requester_total
    summary = (
        f"crisp forwards: requester {requester_ok}/{requester_total} = {accuracy:.1%}; "
        f"name {name_ok}/{requester_total}; original subject {subject_ok}/{subject_total}; "
        f"preamble {preamble_ok}/{preamble_total}; no-forward negatives {negatives_ok}/{negatives}"
    )
    print(summary)
    assert accuracy >= REQUESTER_FLOOR, summary + "\n" + "\n".join(misses)
    assert negatives_ok == negatives, summary + "\n" + "\n".join(misses)
