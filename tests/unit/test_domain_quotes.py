"""Quote lines, totals per VAT rate, validity date and the CLI line spec."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from quotemaild.domain.quotes import (
    QuoteLine,
    VatTotal,
    address_lines,
    compute_totals,
    decide,
    make_line,
    parse_line_spec,
    validity_date,
)
from quotemaild.errors import InvalidInput


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "net"),
    [("1", "100", "0", "100.00"), ("3", "0.335", "0", "1.01"), ("2.5", "12.99", "0", "32.48"),
     ("1", "0.125", "0", "0.13"), ("1", "99.99", "10", "89.99"), ("3", "33.33", "33.33", "66.66"),
     ("-1", "50", "0", "-50.00"), ("7", "0.005", "0", "0.04")],
)
def test_line_net_rounds_half_up_per_line(quantity, price, discount, net):
    """A line's net amount is qty x price less discount, rounded half up to cents."""
    line = QuoteLine("x", D(quantity), D(price), D("21"), discount_percent=D(discount))
    assert line.net == D(net)


def test_totals_per_rate():
    """VAT is computed per rate on the sum of the lines at that rate; rates highest first."""
    lines = [
        QuoteLine("Ramen", D("2"), D("450.00"), D("21")),
        QuoteLine("Plaatsing", D("6"), D("55.00"), D("6"), unit="uur"),
        QuoteLine("Afbraak", D("1"), D("120.555"), D("21.00")),
        QuoteLine("Verlegd", D("1"), D("100"), D("0")),
    ]
    totals = compute_totals(lines)
    assert totals.by_rate == (
        VatTotal(D("21"), D("1020.56"), D("214.32"), D("1234.88")),
        VatTotal(D("6"), D("330.00"), D("19.80"), D("349.80")),
        VatTotal(D("0"), D("100.00"), D("0.00"), D("100.00")),
    )
    assert (totals.net, totals.vat, totals.total) == (D("1450.56"), D("234.12"), D("1684.68"))
    assert str(totals.by_rate[0].rate) == "21"


def test_vat_rounding_on_base_not_per_line():
    """Three lines of 0.10 at 21 % give 0.06 VAT (on 0.30), not 3 x 0.02."""
    totals = compute_totals([QuoteLine("x", D("1"), D("0.10"), D("21"))] * 3)
    assert (totals.net, totals.vat, totals.total) == (D("0.30"), D("0.06"), D("0.36"))


def test_empty_quote():
    """A quote without lines totals zero."""
    totals = compute_totals([])
    assert (totals.by_rate, totals.net, totals.vat, totals.total) == ((), D("0.00"), D("0.00"), D("0.00"))


def test_rate_twenty_displays_plainly():
    """Rates are shown plainly (20, not 2E+1)."""
    assert str(compute_totals([QuoteLine("x", D(1), D(1), D("20.00"))]).by_rate[0].rate) == "20"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("Ramen;2;450;21", QuoteLine("Ramen", D("2"), D("450"), D("21"))),
        ("Plaatsing ; 1,5 ; 55,00 ; 6% ; uur", QuoteLine("Plaatsing", D("1.5"), D("55.00"), D("6"), "uur")),
        ("Deur;1;1.234,50;21;st;10", QuoteLine("Deur", D("1"), D("1234.50"), D("21"), "st", D("10"))),
        ("A\\;B;1;1;0", QuoteLine("A;B", D("1"), D("1"), D("0"))),
        ("Korting;-1;50;21;;", QuoteLine("Korting", D("-1"), D("50"), D("21"))),
    ],
)
def test_parse_line_spec(spec, expected):
    """CLI line specs accept Belgian decimals, %, an optional unit and discount."""
    assert parse_line_spec(spec) == expected


def test_parse_line_spec_default_vat():
    """An empty VAT field takes the contact regime's rate when given."""
    assert parse_line_spec("Werk;1;100;", default_vat_rate=D("6")).vat_rate == D("6")


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("Ramen;2;450", "line[3]"),
        ("a;1;2;3;4;5;6", "line[3]"),
        (";2;450;21", "line[3].description"),
        ("Ramen;twee;450;21", "line[3].quantity"),
        ("Ramen;0;450;21", "line[3].quantity"),
        ("Ramen;1.00001;450;21", "line[3].quantity"),
        ("Ramen;2;;21", "line[3].unit_price"),
        ("Ramen;2;4.50001;21", "line[3].unit_price"),
        ("Ramen;2;450;", "line[3].vat_rate"),
        ("Ramen;2;450;121", "line[3].vat_rate"),
        ("Ramen;2;450;-6", "line[3].vat_rate"),
        ("Ramen;2;450;21;" + "u" * 21, "line[3].unit"),
        ("Ramen;2;450;21;st;150", "line[3].discount_percent"),
    ],
)
def test_parse_line_spec_errors(spec, field):
    """Errors name the line position (from 1) and the field."""
    with pytest.raises(InvalidInput) as info:
        parse_line_spec(spec, position=3)
    assert info.value.field == field


def test_make_line_keyword_values():
    """make_line checks values from the API the same way."""
    assert make_line("x", 1, "9.99", 21).net == D("9.99")


@pytest.mark.parametrize(
    ("issue", "days", "expected"),
    [(dt.date(2026, 11, 23), 30, dt.date(2026, 12, 23)), (dt.date(2026, 2, 1), "28", dt.date(2026, 3, 1)),
     (dt.date(2026, 12, 31), 0, dt.date(2026, 12, 31))],
)
def test_validity_date(issue, days, expected):
    """Valid until issue date + N days."""
    assert validity_date(issue, days) == expected


@pytest.mark.parametrize("days", [-1, 366, "1.5", "soon"])
def test_validity_days_refused(days):
    """Validity outside 0-365 whole days is refused, naming `validity_days`."""
    with pytest.raises(InvalidInput) as info:
        validity_date(dt.date(2026, 1, 1), days)
    assert info.value.field == "validity_days"


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [("draft", "accept", "accepted"), ("sent", "accept", "accepted"), ("draft", "reject", "rejected"),
     ("sent", "reject", "rejected"), ("accepted", "accept", None), ("rejected", "reject", None)],
)
def test_decide(status, action, expected):
    """A draft or sent quote can be decided; the same decision again is a no-op (None)."""
    assert decide(status, action) == expected


@pytest.mark.parametrize(("status", "action", "field"),
                         [("accepted", "reject", "quote"), ("rejected", "accept", "quote"),
                          ("sent", "maybe", "action"), ("lost", "accept", "status")])
def test_decide_refused(status, action, field):
    """The other decision after one was made, an unknown action or status: InvalidInput naming the field."""
    with pytest.raises(InvalidInput) as info:
        decide(status, action)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("parts", "expected"),
    [(("Kerkstraat 1", "9000", "Gent", "BE"), ["Kerkstraat 1", "9000 Gent"]),
     (("Rue Haute 2", "75001", "Paris", "fr"), ["Rue Haute 2", "75001 Paris", "FR"]),
     (("", "", "Namur", "BE"), ["Namur"]),
     (("", "", "", "NL"), [])],
)
def test_address_lines(parts, expected):
    """Street, then postal code and city, then the country only when abroad; nothing for no address."""
    assert address_lines(*parts) == expected
