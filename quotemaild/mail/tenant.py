"""What provenance needs to know about a tenant: its proposals address(es) and its own mail."""

from __future__ import annotations

from dataclasses import dataclass, field

from quotemaild.mail.addresses import address_key, domain_key


@dataclass(frozen=True)
class TenantIdentity:
    """A tenant's addresses and domains, in any spelling: they are turned into comparison keys
    (addresses.address_key / domain_key) here, so `Jan@Firma.BE`, an IDN domain in Unicode and
    the same domain in punycode all match. The caller builds it from the tenant row and config."""

    proposals_addresses: frozenset[str]  # e.g. {"starcomm-524@proposals.example.com"}
    own_addresses: frozenset[str]  # the tenant's own mailboxes (sales@firma.be, jan@firma.be)
    own_domains: frozenset[str]  # the tenant's own domains (firma.be); subdomains count too
    proposals_domain: str  # the proposals subdomain: any address on it is ours, never a requester
    known_forwarders: frozenset[str] = field(default_factory=frozenset)  # e.g. a Google Group

    def __post_init__(self) -> None:
        object.__setattr__(self, "proposals_addresses", _keys(self.proposals_addresses))
        object.__setattr__(self, "own_addresses", _keys(self.own_addresses))
        object.__setattr__(self, "known_forwarders", _keys(self.known_forwarders))
        object.__setattr__(self, "own_domains", frozenset(domain_key(d) for d in self.own_domains if d))
        object.__setattr__(self, "proposals_domain", domain_key(self.proposals_domain) if self.proposals_domain else "")

    def is_own(self, email: str) -> bool:
        value = address_key(email)
        if value in self.own_addresses:
            return True
        domain = value.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.own_domains if d)

    def is_proposals(self, email: str) -> bool:
        value = address_key(email)
        domain = value.rpartition("@")[2]
        plain = _without_tag(value)
        return (
            value in self.proposals_addresses
            or plain in self.proposals_addresses
            or (bool(self.proposals_domain) and domain == self.proposals_domain)
        )

    def is_forwarder(self, email: str) -> bool:
        return address_key(email) in self.known_forwarders


def _keys(values: frozenset[str]) -> frozenset[str]:
    return frozenset(address_key(v) for v in values)


def _without_tag(email: str) -> str:
    local, _, domain = email.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"
