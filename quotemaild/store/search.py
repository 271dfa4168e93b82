"""Full-text candidates for the inbox's text search (SQLite FTS5, trigram tokenizer).

The inbox searches subject, requester e-mail and name, the linked contact's name, the request
number and the text of every message, as a case-insensitive substring (`store/queries.py`,
`search_clause`). As a LIKE that reads every message of the tenant: seconds at 100k requests
when few match. On SQLite two external-content FTS5 tables index the same text by trigrams:

    messages_fts   messages.text                                         (rowid = messages.id)
    requests_fts   quote_requests.subject, requester_email, requester_name (rowid = quote_requests.id)

Triggers on `messages` and `quote_requests` (migration 0018) keep them in step in the writer's own
transaction, whoever writes (daemon, processing child, CLI, bulk loads): insert, delete (FK
cascades included) and update of the indexed columns. The contact's name is not indexed: a
tenant's contacts are few, so they are matched with LIKE and their requests found by
`ix_quote_requests_contact_id`.

`candidate_ids` returns the tenant's requests whose text *may* match: the index keeps which rows
hold a trigram, not where (detail=none), and it folds case for every script where SQLite's LIKE
folds ASCII only, so it finds a superset. The caller still
applies the LIKE to the candidates, and the results are exactly the LIKE's. It returns None when
the index cannot help — terms under 3 characters (no trigram), other engines, or more than `cap`
candidates (a frequent term: walking the newest requests with LIKE finds a page quickly then).

`purge_deleted` rewrites both indexes: FTS5 deletes only add tombstones, and the deleted text's
trigrams (with positions: enough to read the text back) stay in the older segments until a merge.
Erasure calls it, so erased text really leaves the store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select, text
from sqlalchemy.orm import Session

from quotemaild.store.models import Contact, QuoteRequest

MESSAGES_FTS = "messages_fts"
REQUESTS_FTS = "requests_fts"
FTS_TABLES = (MESSAGES_FTS, REQUESTS_FTS)
MIN_TERM = 3  # characters: the trigram tokenizer cannot match less
DEFAULT_CAP = 2000


def is_search_table(name: str | None) -> bool:
    """The FTS tables and their shadow tables (`messages_fts_data`, ...): not models."""
    return bool(name) and any(name == t or name.startswith(f"{t}_") for t in FTS_TABLES)


def fts_query(term: str) -> str:
    """Every trigram of the term, each a quoted FTS5 string (a `"` doubled), joined by AND.

    The tables keep no positions (detail=none), so this finds the rows holding all the trigrams
    anywhere: a superset of the rows holding the term, which the LIKE then narrows."""
    grams = dict.fromkeys(term[i:i + MIN_TERM] for i in range(len(term) - MIN_TERM + 1))
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)


def request_number(term: str) -> int | None:
    """`123` or `#123` also finds request 123."""
    number = term.strip().lstrip("#")
    return int(number) if number.isdigit() and len(number) < 16 else None


def usable(session: Session, term: str) -> bool:
    return session.get_bind().dialect.name == "sqlite" and len(term) >= MIN_TERM


# The index drives (CROSS JOIN keeps it outer: SQLite would rather walk the tenant's requests
# and probe the index per row) and LIMIT stops a frequent term early.
BY_TEXT = text(f"SELECT DISTINCT m.request_id FROM {MESSAGES_FTS} f CROSS JOIN messages m ON m.id = f.rowid "
               f"WHERE {MESSAGES_FTS} MATCH :phrase AND m.tenant_id = :tenant AND m.request_id IS NOT NULL "
               "LIMIT :limit")
BY_FIELDS = text(f"SELECT q.id FROM {REQUESTS_FTS} f CROSS JOIN quote_requests q ON q.id = f.rowid "
                 f"WHERE {REQUESTS_FTS} MATCH :phrase AND q.tenant_id = :tenant LIMIT :limit")


def candidate_ids(session: Session, tenant_id: int, term: str, cap: int = DEFAULT_CAP) -> set[int] | None:
    """Ids of the tenant's requests that may contain `term`; None: use the LIKE walk instead."""
    if not usable(session, term):
        return None
    params = {"phrase": fts_query(term), "tenant": tenant_id, "limit": cap + 1}
    found: set[int] = set()
    for stmt in (BY_FIELDS, BY_TEXT):
        found.update(int(r) for r in session.scalars(stmt, params))
        if len(found) > cap:
            return None
    contacts = select(Contact.id).where(Contact.tenant_id == tenant_id, Contact.name.icontains(term, autoescape=True))
    found.update(session.scalars(select(QuoteRequest.id).where(QuoteRequest.contact_id.in_(contacts))
                                 .limit(cap + 1)))
    number = request_number(term)
    if number is not None:
        found.add(number)
    return None if len(found) > cap else found


def narrow(session: Session, query: Select[Any], tenant_id: int, term: str) -> Select[Any]:
    """`query` (a request query already filtered by `search_clause(term)` and to this tenant)
    limited to the index's candidates, when the index can help; its results stay the LIKE's."""
    candidates = candidate_ids(session, tenant_id, term)
    if candidates is None:
        return query
    # none at all: a constant false, so SQLite walks nothing
    return query.where(QuoteRequest.id.in_(sorted(candidates)) if candidates else false())


def purge_deleted(session: Session) -> None:
    """Merge every segment of both indexes, so deleted text leaves them (SQLite; else nothing)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    for table in FTS_TABLES:
        session.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))
