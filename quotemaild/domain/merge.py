"""Merging two contacts ("Klanten samenvoegen", seeds 001 and 004), as a pure plan.

The rules of the manuals, exactly:
- irreversible: the source card is deleted; the plan's audit detail is all that remains of it;
- the documents (requests, quotes, notes, attachments, invoices) move to the target;
- documents already rendered (PDFs) keep the data they were made with: a move changes which
  contact owns a document, never its rendered content;
- no data of the target is swapped or filled in from the source, *even where the target's field
  is empty* (the seed's example: the target has no phone or e-mail, the source has; they are not
  copied). The plan lists those values under `not_copied` so the user can see what is lost.

Decisions where the seeds are silent:
- revenue is a sum over invoices, not card data: the invoices move, so the source's revenue is
  added to the target's;
- the target keeps its kind and number; a customer merged into a prospect leaves a warning
  (convert the target if needed); the source's contact persons are card data and are dropped;
- merging a contact into itself, across tenants or with an unsaved contact is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from quotemaild.domain.contacts import Contact, ContactKind
from quotemaild.errors import InvalidInput


class DocumentKind(StrEnum):
    REQUEST = "request"
    QUOTE = "quote"
    NOTE = "note"
    ATTACHMENT = "attachment"
    INVOICE = "invoice"


@dataclass(frozen=True, order=True)
class DocumentRef:
    kind: DocumentKind
    id: int


@dataclass(frozen=True)
class MergePlan:
    tenant_id: int | None
    source_id: int
    target_id: int
    moves: tuple[DocumentRef, ...]  # re-own these from source to target; rendered content untouched
    dropped: tuple[tuple[str, Any], ...]  # every filled-in field of the source card, deleted with it
    not_copied: tuple[str, ...]  # fields empty on the target that the source had: NOT filled in
    revenue_added: Decimal
    target: Contact  # the target as it is after the merge (only revenue may change)
    warnings: tuple[str, ...]

    def audit_detail(self) -> dict[str, Any]:
        """A JSON-able record of the merge, for the audit log that survives the source."""
        moved: dict[str, list[int]] = {}
        for ref in self.moves:
            moved.setdefault(ref.kind.value, []).append(ref.id)
        return {
            "action": "contact.merge",
            "source_id": self.source_id,
            "target_id": self.target_id,
            "moved": moved,
            "source": {name: _jsonable(value) for name, value in self.dropped},
            "not_copied": list(self.not_copied),
            "revenue_added": str(self.revenue_added),
            "warnings": list(self.warnings),
        }


_BOOKKEEPING = {"id", "tenant_id", "converted_on"}


def _is_empty(value: object) -> bool:
    if isinstance(value, Decimal):
        return value == 0
    if dataclasses.is_dataclass(value) and hasattr(value, "is_empty"):
        return bool(value.is_empty)
    return value in (None, "", ())


def _card_fields(contact: Contact) -> list[tuple[str, Any]]:
    """The filled-in card data of a contact (revenue is derived from invoices, not card data)."""
    return [
        (f.name, getattr(contact, f.name))
        for f in dataclasses.fields(Contact)
        if f.name not in _BOOKKEEPING and f.name != "revenue" and not _is_empty(getattr(contact, f.name))
    ]


def plan_merge(source: Contact, target: Contact, source_documents: Iterable[DocumentRef]) -> MergePlan:
    """What merging `source` into `target` does; nothing is changed until the caller applies it."""
    if source.id is None:
        raise InvalidInput("source", "must be a stored contact")
    if target.id is None:
        raise InvalidInput("target", "must be a stored contact")
    if source.id == target.id:
        raise InvalidInput("target", "cannot merge a contact into itself", code="merge_itself")
    if source.tenant_id != target.tenant_id:
        raise InvalidInput("target", "belongs to another tenant")
    try:
        moves = tuple(sorted({DocumentRef(DocumentKind(ref.kind), ref.id) for ref in source_documents}))
    except ValueError as exc:
        raise InvalidInput("documents", str(exc)) from None
    dropped = tuple(_card_fields(source))
    not_copied = tuple(name for name, _ in dropped if _is_empty(getattr(target, name)))
    warnings = []
    if source.kind is ContactKind.CUSTOMER and target.kind is ContactKind.PROSPECT:
        warnings.append(f"{source.name} is a customer ({source.number or 'no number'}); "
                        f"{target.name} stays a prospect until converted")
    if source.persons:
        warnings.append(f"{len(source.persons)} contact person(s) of {source.name} are not copied")
    if not_copied:
        warnings.append("not copied to the target: " + ", ".join(not_copied))
    return MergePlan(
        tenant_id=target.tenant_id,
        source_id=source.id,
        target_id=target.id,
        moves=moves,
        dropped=dropped,
        not_copied=not_copied,
        revenue_added=source.revenue,
        target=dataclasses.replace(target, revenue=target.revenue + source.revenue),
        warnings=tuple(warnings),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value
