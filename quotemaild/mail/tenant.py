"""What provenance needs to know about a tenant: its proposals address(es) and its own mail."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TenantIdentity:
    """Lower-cased addresses and domains. The caller builds it from the tenant row and config."""

    proposals_addresses: frozenset[str]  # e.g. {"starcomm-524@proposals.example.com"}
    own_addresses: frozenset[str]  # the tenant's own mailboxes (sales@firma.be, jan@firma.be)
    own_domains: frozenset[str]  # the tenant's own domains (firma.be); subdomains count too
    proposals_domain: str  # the proposals subdomain: any address on it is ours, never a requester
    known_forwarders: frozenset[str] = field(default_factory=frozenset)  # e.g. a Google Group

    def is_own(self, email: str) -> bool:
        value = email.lower()
        if value in self.own_addresses:
            return True
        domain = value.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.own_domains if d)

    def is_proposals(self, email: str) -> bool:
        value = email.lower()
        domain = value.rpartition("@")[2]
        plain = _without_tag(value)
        return (
            value in self.proposals_addresses
            or plain in self.proposals_addresses
            or (bool(self.proposals_domain) and domain == self.proposals_domain.lower())
        )

    def is_forwarder(self, email: str) -> bool:
        return email.lower() in self.known_forwarders


def _without_tag(email: str) -> str:
    local, _, domain = email.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"
