"""Company data by VAT number (EU VIES), behind a small interface so use-cases never do I/O.

`VatLookup` is what a use-case needs; `edges/vies.py` implements it over HTTP. A lookup that
cannot be answered (offline, timeout, the member state's service down) raises RemoteUnavailable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from quotemaild.domain.vat import VatWarningCode, check_vat, vat_key
from quotemaild.errors import InvalidInput


@dataclass(frozen=True)
class VatLookupResult:
    country: str  # VIES country code ("BE", "EL")
    number: str  # without the country code, as VIES wants it
    valid: bool
    name: str
    address: str
    request_date: str

    def view(self) -> dict[str, Any]:
        return {"vat_number": check_vat(self.country + self.number).normalized, "country": self.country,
                "valid": self.valid, "name": self.name, "address": self.address,
                "request_date": self.request_date}


class VatLookup(Protocol):
    def lookup(self, country: str, number: str) -> VatLookupResult: ...


def split_vat(value: str) -> tuple[str, str]:
    """("BE", "0477472701") from any spelling; a number without country is Belgian.

    A wrong check digit is left for VIES to judge; a number of the wrong shape is refused.
    """
    checked = check_vat(value)
    shape = {VatWarningCode.INVALID_FORMAT, VatWarningCode.UNKNOWN_COUNTRY}
    problems = [w.message for w in checked.warnings if w.code in shape]
    if checked.is_empty or problems:
        raise InvalidInput("vat_number", f"{value!r} is not a VAT number" + (f": {problems[0]}" if problems else ""))
    key = vat_key(value)
    return key[:2], key[2:]


def lookup_vat(client: VatLookup, value: str) -> VatLookupResult:
    country, number = split_vat(value)
    return client.lookup(country, number)


_POSTAL_CITY = re.compile(r"^(?:[A-Z]{1,2}-)?(\d{4,5}(?: ?[A-Z]{2})?)\s+(.+)$")


def card_fields(result: VatLookupResult) -> dict[str, str]:
    """What a VIES answer can fill on a card: name, VAT number and the address split as Belgian
    and most EU answers write it ("street\\npostal code city"). VIES writes "---" for unknown."""
    fields = {"vat_number": result.view()["vat_number"], "country": "GR" if result.country == "EL" else result.country}
    if result.name.strip() not in ("", "---"):
        fields["name"] = " ".join(result.name.split())
    lines = [line.strip() for line in result.address.replace("\r", "").split("\n") if line.strip() not in ("", "---")]
    if lines and (m := _POSTAL_CITY.match(lines[-1])):
        fields["postal_code"], fields["city"] = m.group(1), m.group(2).strip()
        lines = lines[:-1]
    if lines:
        fields["street"] = ", ".join(lines)
    return fields
