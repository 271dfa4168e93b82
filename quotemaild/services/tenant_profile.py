"""The seller's company (tenant profile) and logo: set, show, and what a document prints of it.

The rules are pure (`domain/tenant_profile.py`); this module loads the tenant, applies them and
builds the `Seller` block the quote PDF prints. The caller owns the transaction.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from quotemaild.domain.tenant_profile import address_of, logo_type, merge_profile, text_in
from quotemaild.mail.quote_pdf import Seller
from quotemaild.services.tenants import get_tenant
from quotemaild.store.models import Tenant


def update_profile(session: Session, slug: str, changes: Mapping[str, Any]) -> Tenant:
    """Apply `changes` to the tenant's profile ("" clears a field; terms/signature per language)."""
    tenant = get_tenant(session, slug)
    tenant.profile = merge_profile(tenant.profile or {}, changes)
    session.flush()
    return tenant


def set_logo(session: Session, slug: str, data: bytes | None) -> Tenant:
    """Store a PNG or JPEG logo (at most 1 MiB) printed on quotes; None removes it."""
    tenant = get_tenant(session, slug)
    if data is None:
        tenant.logo, tenant.logo_type = None, ""
    else:
        tenant.logo_type = logo_type(data)
        tenant.logo = data
    session.flush()
    return tenant


def profile_view(tenant: Tenant) -> dict[str, Any]:
    """The profile as JSON: every field, the logo as type, size and sha256 (not its bytes)."""
    profile = dict(tenant.profile or {})
    logo = None
    if tenant.logo:
        logo = {"type": tenant.logo_type, "size": len(tenant.logo),
                "sha256": hashlib.sha256(tenant.logo).hexdigest()}
    return {"slug": tenant.slug, "name": tenant.name, "language": tenant.language, **profile,
            "quote_validity_days": tenant.quote_validity_days, "logo": logo}


def logo_data_uri(tenant: Tenant) -> str | None:
    """The logo as a data: URI for HTML pages (no separate request, nothing fetched from outside)."""
    if not tenant.logo:
        return None
    return f"data:{tenant.logo_type};base64,{base64.b64encode(tenant.logo).decode()}"


def seller_block(tenant: Tenant, fallback_email: str) -> Seller:
    """What documents print about the seller: the legal name (else the tenant's name) and the rest."""
    p = tenant.profile or {}
    return Seller(
        name=p.get("legal_name") or tenant.name, address_lines=address_of(p), vat=p.get("vat_number", ""),
        company_number=p.get("company_number", ""), phone=p.get("phone", ""),
        email=p.get("email") or fallback_email, website=p.get("website", ""), iban=p.get("iban", ""),
        bic=p.get("bic", ""),
    )


def document_texts(tenant: Tenant, language: str) -> dict[str, str]:
    """The terms text and mail signature in `language` (else the tenant's language, else any)."""
    p = tenant.profile or {}
    return {"terms": text_in(p, "terms", language, tenant.language),
            "signature": text_in(p, "signature", language, tenant.language)}
