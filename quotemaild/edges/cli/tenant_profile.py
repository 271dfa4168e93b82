"""The seller's company on documents: `tenant update` profile options and `tenant profile SLUG`.

Per-language texts are given as `LANG=TEXT` (`--terms fr="Conditions..."`) or from a file
(`--terms-file nl=voorwaarden.txt`); an empty text clears that language.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from quotemaild.domain.tenant_profile import LANGUAGES
from quotemaild.errors import InvalidInput
from quotemaild.services.tenant_profile import set_logo, update_profile

# option name -> (profile key, help)
TEXT_OPTIONS = {
    "legal_name": "Legal name printed on documents (default: the tenant's name).",
    "street": "Street and number.",
    "postal_code": "Postal code.",
    "city": "City.",
    "country": "Two-letter country code (BE, NL, FR...).",
    "vat_number": "The seller's VAT number (checked).",
    "company_number": "Company registration number (KBO/BCE).",
    "iban": "Bank account (IBAN, checked).",
    "bic": "BIC of the bank.",
    "phone": "Phone number.",
    "website": "Website.",
    "email": "Address printed on documents (default: the proposals address).",
    "timezone": "Time zone of appointments and call-backs (default Europe/Brussels).",
}
PROFILE_KEYS = (*TEXT_OPTIONS, "payment_days", "terms", "terms_file", "signature", "signature_file", "logo",
                "no_logo")


def profile_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the profile options to a command (they arrive in its **options)."""
    decorators = [click.option(f"--{name.replace('_', '-')}", name, metavar="TEXT", help=help_)
                  for name, help_ in TEXT_OPTIONS.items()]
    decorators += [
        click.option("--payment-days", "payment_days", metavar="N",
                     help="Default payment term in days printed on quotes (0: on receipt; '' clears)."),
        click.option("--terms", "terms", multiple=True, metavar="LANG=TEXT",
                     help="Quote terms/footer text in one language; repeatable."),
        click.option("--terms-file", "terms_file", multiple=True, metavar="LANG=FILE"),
        click.option("--signature", "signature", multiple=True, metavar="LANG=TEXT",
                     help="E-mail signature in one language, under replies and quote mails; repeatable."),
        click.option("--signature-file", "signature_file", multiple=True, metavar="LANG=FILE"),
        click.option("--logo", "logo", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="PNG or JPEG logo printed on quotes (at most 1 MiB)."),
        click.option("--no-logo", "no_logo", is_flag=True, default=None, help="Remove the logo."),
    ]
    for decorate in reversed(decorators):
        fn = decorate(fn)
    return fn


def _per_language(option: str, values: tuple[str, ...], files: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        lang, sep, rest = value.partition("=")
        lang = lang.strip().lower()
        if not sep or lang not in LANGUAGES:
            raise InvalidInput(option, f"give LANG={'FILE' if files else 'TEXT'} with LANG one of nl, fr, en")
        if files:
            try:
                rest = Path(rest).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidInput(option, f"cannot read {rest!r}: {exc}") from None
        out[lang] = rest
    return out


def pop_profile(options: dict[str, Any]) -> dict[str, Any]:
    """Take the profile options out of a command's options; only the ones given."""
    return {k: options.pop(k) for k in PROFILE_KEYS if k in options}


def apply_profile(session: Session, slug: str, given: dict[str, Any]) -> bool:
    """Apply the given profile options; True when something was changed."""
    changes: dict[str, Any] = {k: v for k, v in given.items() if k in TEXT_OPTIONS and v is not None}
    if given.get("payment_days") is not None:
        changes["payment_days"] = given["payment_days"]
    for key in ("terms", "signature"):
        texts = {**_per_language(f"--{key}", given.get(key) or (), False),
                 **_per_language(f"--{key}-file", given.get(f"{key}_file") or (), True)}
        if texts:
            changes[key] = texts
    if changes:
        update_profile(session, slug, changes)
    if given.get("logo") is not None and given.get("no_logo"):
        raise InvalidInput("--logo", "give --logo or --no-logo, not both")
    if given.get("logo") is not None:
        set_logo(session, slug, given["logo"].read_bytes())
    elif given.get("no_logo"):
        set_logo(session, slug, None)
    return bool(changes) or given.get("logo") is not None or bool(given.get("no_logo"))
