"""Which quote request does a message belong to? Pure: the store's answers are passed in.

The order (DESIGN.md "Threading"), first hit wins:
1. a duplicate (tenant, Message-ID) is the same stored message (idempotent redelivery);
2. a signed token (recipient address or our own Message-ID format) — resolved by the caller;
3. In-Reply-To, then References newest first (the last 32), against ids we already know;
4. a signed marker in the quoted body — resolved by the caller;
5. otherwise a new request. Subject similarity never joins.

Everything here works within one tenant: the caller only passes ids known to that tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from quotemaild.mail.ids import MAX_REFERENCES

Verdict = Literal["duplicate", "join", "new"]


@dataclass(frozen=True)
class ThreadDecision:
    verdict: Verdict
    request_id: int | None = None
    reason: str = ""


def candidate_ids(in_reply_to: str | None, references: tuple[str, ...] | list[str]) -> list[str]:
    """The ids to look up, in the order they are tried: In-Reply-To, then newest References."""
    ordered: dict[str, None] = {}
    if in_reply_to:
        ordered[in_reply_to] = None
    for ref in reversed(list(references)[-MAX_REFERENCES:]):
        ordered.setdefault(ref, None)
    return list(ordered)


def decide_thread(
    message_id: str,
    in_reply_to: str | None,
    references: tuple[str, ...] | list[str],
    duplicate_of: int | None,
    known: Mapping[str, int | None],
    token_request: int | None = None,
    marker_request: int | None = None,
) -> ThreadDecision:
    """Decide from what the store knows.

    `duplicate_of`: the stored message that already has `message_id`, if any.
    `known`: id -> request id for every candidate id the tenant's store knows (None when the
    known message belongs to no request, e.g. a system mail).
    `token_request`: a request a verified token points at (step 2: plus address, our Message-ID).
    `marker_request`: a request a verified marker in the quoted body points at (step 4).
    """
    if duplicate_of is not None:
        return ThreadDecision("duplicate", None, f"Message-ID {message_id} already stored")
    if token_request is not None:
        return ThreadDecision("join", token_request, "signed token")
    for position, ref in enumerate(candidate_ids(in_reply_to, references)):
        request_id = known.get(ref)
        if request_id is not None:
            header = "In-Reply-To" if in_reply_to and position == 0 else "References"
            return ThreadDecision("join", request_id, f"{header} {ref}")
    if marker_request is not None:
        return ThreadDecision("join", marker_request, "signed marker in the quoted body")
    return ThreadDecision("new", None, "no known reference")
