"""The card options shared by `contact add` and `contact update`, turned into contact input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from quotemaild.errors import InvalidInput

F = TypeVar("F", bound=Callable[..., Any])
_TIME = re.compile(r"\d{1,2}[:uh.]\d{2}")
MOMENTS = ("first_contact", "appointment", "call_back", "sold")

# (option, input key, help); `multiple` options collect lists.
_SIMPLE = (
    ("--type", "type", "company or person (default: company when it has a VAT number)"),
    ("--number", "number", "customer number (default: the next one for a customer)"),
    ("--phone", "phone", None),
    ("--language", "language", "nl, fr or en: language of documents and mails"),
    ("--currency", "currency", "three-letter code, default EUR"),
    ("--vat", "vat_number", "VAT number; normalised and checked (a warning, never a refusal)"),
    ("--vat-regime", "vat_regime", "standard, reduced_12, renovation_6, co_contractor, exempt, intra_eu"),
    ("--payment-term", "payment_term_days", "days"),
    ("--discount", "discount_percent", "percent"),
    ("--quote-email", "quote_email", "send quotes to this address instead"),
    ("--invoice-email", "invoice_email", "send invoices to this address instead"),
    ("--lead-source", "lead_source", "how the contact was found (\"Adres via\")"),
    ("--note", "internal_note", "internal note on the card"),
)
_ADDRESS = (("--street", "street"), ("--postal-code", "postal_code"), ("--city", "city"), ("--country", "country"))


def card_options(fn: F) -> F:
    """Decorate a command with every card option (all optional)."""
    opts: list[Callable[[F], F]] = [
        click.option("--email", "emails", multiple=True, help="E-mail address (repeat; on update: replaces them)."),
        click.option("--group", "groups", multiple=True, help="Group, e.g. PVC (repeat; on update: replaces them)."),
        click.option("--custom", multiple=True, metavar="KEY=VALUE", help="A custom field (repeat)."),
        click.option("--person", "persons", multiple=True, metavar="NAME;EMAIL;PHONE;ROLE",
                     help="A contact person (repeat); later parts may be left out. On update: replaces them all."),
        click.option("--data", "data_file", type=click.Path(dir_okay=False, allow_dash=True),
                     help="JSON object with any contact fields (- for stdin); options win."),
    ]
    for name, _key, help_text in _SIMPLE:
        opts.append(click.option(name, help=help_text))
    for name, _key in _ADDRESS:
        opts.append(click.option(name))
    for moment in MOMENTS:
        opts.append(click.option(f"--{moment.replace('_', '-')}", moment, metavar="DATE [TIME] [NOTE]"))
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def card_input(options: dict[str, Any]) -> dict[str, Any]:
    """The contact input given by the card options (only what was given)."""
    data: dict[str, Any] = {}
    if options.get("data_file"):
        data.update(_read_json(options["data_file"]))
    for name, key, _help in _SIMPLE:
        value = options.get(name.removeprefix("--").replace("-", "_"))
        if value is not None:
            data[key] = value
    address = {key: options[key] for _name, key in _ADDRESS if options.get(key) is not None}
    if address:
        data["address"] = {**data.get("address", {}), **address}
    if options.get("emails"):
        data["emails"] = list(options["emails"])
    if options.get("groups"):
        data["groups"] = list(options["groups"])
    if options.get("custom"):
        custom = dict(data.get("custom", {}))
        for item in options["custom"]:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise InvalidInput("custom", f"{item!r}: use KEY=VALUE")
            custom[key.strip()] = value
        data["custom"] = custom
    if options.get("persons"):
        data["persons"] = [_person(p) for p in options["persons"]]
    for moment in MOMENTS:
        if options.get(moment):
            data[moment] = _moment(options[moment])
    return data


def _read_json(path: str) -> dict[str, Any]:
    try:
        text = click.get_text_stream("stdin").read() if path == "-" else Path(path).read_text(encoding="utf-8")
        value = json.loads(text)
    except (OSError, ValueError) as exc:
        raise InvalidInput("--data", f"cannot read a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidInput("--data", "must hold a JSON object")
    return value


def _person(spec: str) -> dict[str, str]:
    parts = [p.strip() for p in spec.split(";")] + ["", "", ""]
    person = {"name": parts[0], "email": parts[1], "phone": parts[2], "role": parts[3]}
    return {k: v for k, v in person.items() if v}


def _moment(spec: str) -> dict[str, str]:
    words = spec.split(None, 2)
    moment = {"date": words[0] if words else ""}
    rest = words[1:]
    if rest and _TIME.fullmatch(rest[0]):
        moment["time"] = rest.pop(0)
    if rest:
        moment["note"] = " ".join(rest)
    return moment
