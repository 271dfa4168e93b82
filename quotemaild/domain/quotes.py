"""Quote lines and totals with Decimal arithmetic.

- A line's net amount is quantity x unit price less its discount, rounded to cents half up.
- VAT is computed per rate on the sum of the line amounts at that rate (as a Belgian invoice
  shows it), rounded to cents half up; totals per rate and grand totals follow.
- A quote is valid until issue date + N days.
- The CLI's `--line "desc;qty;unit price;vat%[;unit[;discount%]]"` is parsed by `parse_line_spec`;
  a `;` inside the description is written `\\;`. Errors name the line (counted from 1, as typed)
  and the field: `line[2].quantity`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from quotemaild.domain.quote_states import parse_quote_state, quote_transition
from quotemaild.domain.parsing import cents, clean_text, parse_decimal, parse_int
from quotemaild.errors import InvalidInput

HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class QuoteLine:
    description: str
    quantity: Decimal
    unit_price: Decimal  # excluding VAT
    vat_rate: Decimal  # percent: 21, 12, 6, 0
    unit: str = ""  # "st", "m²", "uur", ...
    discount_percent: Decimal = Decimal("0")

    @property
    def gross(self) -> Decimal:
        return cents(self.quantity * self.unit_price)

    @property
    def net(self) -> Decimal:
        """The line amount excluding VAT after discount, rounded to cents half up."""
        return cents(self.quantity * self.unit_price * (HUNDRED - self.discount_percent) / HUNDRED)


@dataclass(frozen=True)
class VatTotal:
    rate: Decimal
    base: Decimal
    vat: Decimal
    total: Decimal


@dataclass(frozen=True)
class QuoteTotals:
    by_rate: tuple[VatTotal, ...]  # highest rate first
    net: Decimal
    vat: Decimal
    total: Decimal


def _limited(value: object, field: str, places: int) -> Decimal:
    number = parse_decimal(value, field)
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInput(field, f"at most {places} decimals", code="decimals", params={"places": places})
    return number


def _percent(value: object, field: str) -> Decimal:
    number = _limited(value, field, 2)
    if not 0 <= number <= 100:
        raise InvalidInput(field, "must be 0-100 %", code="percent_range")
    return number


def make_line(
    description: object,
    quantity: object,
    unit_price: object,
    vat_rate: object,
    unit: object = "",
    discount_percent: object = "0",
    *,
    position: int = 1,
) -> QuoteLine:
    """A checked quote line; InvalidInput names `line[position].<field>`."""
    prefix = f"line[{position}]."
    text = clean_text(description, prefix + "description", 2000, multiline=True)
    if not text:
        raise InvalidInput(prefix + "description", "is required", code="required")
    quantity_value = _limited(quantity, prefix + "quantity", 4)
    if quantity_value == 0:
        raise InvalidInput(prefix + "quantity", "must not be zero", code="zero_quantity")
    return QuoteLine(
        description=text,
        quantity=quantity_value,
        unit_price=_limited(unit_price, prefix + "unit_price", 4),
        vat_rate=_percent(vat_rate, prefix + "vat_rate"),
        unit=clean_text(unit, prefix + "unit", 20),
        discount_percent=_percent(discount_percent or "0", prefix + "discount_percent"),
    )


_SPEC_FIELDS = ("description", "quantity", "unit_price", "vat_rate", "unit", "discount_percent")


def parse_line_spec(spec: str, position: int = 1, default_vat_rate: object = None) -> QuoteLine:
    """`"desc;qty;unit price;vat%"`, optionally `";unit;discount%"`, into a checked line.

    An empty VAT field takes `default_vat_rate` (the contact's regime rate) when one is given.
    """
    parts = [p.replace("\\;", ";").strip() for p in re.split(r"(?<!\\);", spec)]
    if not 4 <= len(parts) <= 6:
        raise InvalidInput(
            f"line[{position}]",
            f"expected 'description;quantity;unit price;vat%[;unit[;discount%]]', got {len(parts)} fields",
        )
    values = dict(zip(_SPEC_FIELDS, parts, strict=False))
    if not values["vat_rate"] and default_vat_rate is not None:
        values["vat_rate"] = str(default_vat_rate)
    for name in ("quantity", "unit_price", "vat_rate"):
        if not values[name]:
            raise InvalidInput(f"line[{position}].{name}", "is required", code="required")
    return make_line(**values, position=position)


def _rate_key(rate: Decimal) -> Decimal:
    """21.00, 21.0 and 21 are one rate, shown as 21 (and 20 as 20, not 2E+1)."""
    key = rate.normalize()
    return key.quantize(Decimal(1)) if key.as_tuple().exponent > 0 else key  # type: ignore[operator]


def compute_totals(lines: Iterable[QuoteLine]) -> QuoteTotals:
    """Totals per VAT rate (base, VAT, total) and grand totals, all in cents."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = _rate_key(line.vat_rate)
        bases[rate] = bases.get(rate, ZERO) + line.net
    by_rate = []
    for rate in sorted(bases, reverse=True):
        base = bases[rate]
        vat = cents(base * rate / HUNDRED)
        by_rate.append(VatTotal(rate, base, vat, base + vat))
    net = sum((t.base for t in by_rate), ZERO)
    vat = sum((t.vat for t in by_rate), ZERO)
    return QuoteTotals(tuple(by_rate), net, vat, net + vat)


def validity_date(issue_date: dt.date, days: object) -> dt.date:
    """The last day the quote is valid: issue date + N days (N from 0 to 365)."""
    count = parse_int(days, "validity_days")
    if not 0 <= count <= 365:
        raise InvalidInput("validity_days", "must be 0-365 days", code="days_range")
    return issue_date + dt.timedelta(days=count)


# --- The customer's decision (the states themselves: domain/quote_states.py) ---------------------

DECIDED = {"accept": "accepted", "reject": "rejected"}


def decide(status: str, action: str) -> str | None:
    """The quote's status after the customer's `action` (accept/reject).

    None when it already has that status (a link followed twice: nothing to do); InvalidInput when
    it was decided the other way (reopen the request and send a new quote instead) or cannot be
    decided in its state (superseded).
    """
    if action not in DECIDED:
        raise InvalidInput("action", f"must be accept or reject, got {action!r}")
    parse_quote_state(status, "status")
    target = DECIDED[action]
    if status == target:
        return None
    if status in DECIDED.values():
        raise InvalidInput("quote", f"was already {status}")
    return quote_transition(status, action).value


def address_lines(street: str, postal_code: str, city: str, country: str, home_country: str = "BE") -> list[str]:
    """The postal address as printed on a document; the country only when it is not `home_country`."""
    lines = [street.strip()] if street.strip() else []
    place = " ".join(p for p in (postal_code.strip(), city.strip()) if p)
    if place:
        lines.append(place)
    if country and country.strip().upper() != home_country and lines:
        lines.append(country.strip().upper())
    return lines
