"""The contact card's own forms (persons, follow-up dates, custom fields) as service input.

Pure functions: a submitted form (any mapping of field -> text) becomes the `changes` mapping
`services.contacts.update_contact` takes, the same shape the API's `PATCH /contacts/{id}` sends.
Checking stays in the domain (`domain/contact_input.py`); here we only reshape, so a page and its
JSON twin refuse the same input with the same field name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from quotemaild.domain.contacts import CustomFieldDef, CustomFieldKind, MomentKind
from quotemaild.errors import InvalidInput

PERSON_FIELDS = ("name", "role", "emails", "phone", "street", "postal_code", "city", "country")
ADDRESS_FIELDS = ("street", "postal_code", "city", "country")
MOMENT_PARTS = ("date", "time", "note")
_SPLIT = re.compile(r"[,;\n]")


def _text(form: Mapping[str, Any], key: str) -> str:
    return str(form.get(key) or "").strip()


def person_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """One contact person as typed (the service checks it): e-mails one per line or comma-separated."""
    return {
        "name": _text(form, "name"),
        "role": _text(form, "role"),
        "emails": [e.strip() for e in _SPLIT.split(_text(form, "emails")) if e.strip()],
        "phone": _text(form, "phone"),
        "address": {f: _text(form, f) for f in ADDRESS_FIELDS},
    }


def person_typed(form: Mapping[str, Any]) -> dict[str, str]:
    """What was typed in a person form, to show again after a refusal."""
    return {f: str(form.get(f) or "") for f in PERSON_FIELDS}


def person_values(person: Mapping[str, Any]) -> dict[str, str]:
    """A stored person (as `contact_view` shows it) as form values."""
    address = person.get("address") or {}
    values = {f: str(person.get(f) or "") for f in ("name", "role", "phone")}
    values["emails"] = "\n".join(person.get("emails") or [])
    values.update({f: str(address.get(f) or "") for f in ADDRESS_FIELDS})
    return values


def replace_person(persons: Sequence[Mapping[str, Any]], ids: Sequence[int], person_id: int,
                   new: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The persons list with the person `person_id` replaced by `new` (or left out when None).

    `ids` are the stored ids in the same order as `persons`; an id that is not there (the card
    changed since the form was shown) is refused rather than editing someone else."""
    if person_id not in ids:
        raise InvalidInput("person", f"contact person {person_id} is no longer on this card; reload it",
                           code="person_gone")
    out: list[dict[str, Any]] = []
    for pid, person in zip(ids, persons, strict=True):
        if pid != person_id:
            out.append(dict(person))
        elif new is not None:
            out.append(dict(new))
    return out


def moments_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The four follow-up moments: `{kind}_date`, `{kind}_time`, `{kind}_note` each.

    All three empty clears the moment (""); a time or note without a date is passed on so the
    domain refuses it as `appointment.date`, naming the field."""
    changes: dict[str, Any] = {}
    for kind in MomentKind:
        parts = {p: _text(form, f"{kind.value}_{p}") for p in MOMENT_PARTS}
        changes[kind.value] = parts if any(parts.values()) else ""
    return changes


def moment_values(moments: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Stored moments as the follow-up form's values."""
    return {f"{kind.value}_{p}": str((moments.get(kind.value) or {}).get(p) or "")
            for kind in MomentKind for p in MOMENT_PARTS}


BOOLEAN_VALUES = {True: "yes", False: "no"}


def custom_from_form(form: Mapping[str, Any], definitions: Sequence[CustomFieldDef]) -> dict[str, Any]:
    """`{"custom": {key: text}}` for every defined field (`custom_<key>`); "" clears a value."""
    return {"custom": {d.key: _text(form, f"custom_{d.key}") for d in definitions}}


def custom_values(custom: Mapping[str, object], definitions: Sequence[CustomFieldDef]) -> dict[str, str]:
    """Stored custom values as the form's values (yes/no for a boolean)."""
    values = {}
    for d in definitions:
        value = custom.get(d.key)
        if d.kind is CustomFieldKind.BOOLEAN and isinstance(value, bool):
            values[d.key] = BOOLEAN_VALUES[value]
        else:
            values[d.key] = "" if value is None else str(value)
    return values


# Field names in errors ("persons[0].email", "appointment.date", "custom.colour") -> the form
# control that holds the value, so the page can mark it and say which field is wrong.
_PERSON_PART = re.compile(r"^persons\[\d+\]\.(?:address\.)?(\w+)(?:\[\d+\])?$")


def control_for(field: str) -> str:
    """The form control name an error field points at ("" when none)."""
    if m := _PERSON_PART.match(field):
        return "emails" if m.group(1) == "email" else m.group(1)
    if field.startswith("custom."):
        return "custom_" + field.removeprefix("custom.")
    kind, _, part = field.partition(".")
    if kind in {k.value for k in MomentKind}:
        return f"{kind}_{part or 'date'}"
    return field
