"""The inbox's text search: the trigram index (SQLite) gives exactly the LIKE's results, stays in
step with every insert, update and delete of the text, and erasure leaves no trace of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, event, func, insert, select, text, update

from quotemaild.clock import FixedClock, SystemClock
from quotemaild.edges.pipeline import Steps, process_batch
from quotemaild.services import inbox
from quotemaild.services.identity import actor_of_user
from quotemaild.services.ingest import IngestSettings
from quotemaild.services.privacy import forget_contact
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.services.users import add_user
from quotemaild.store import search
from quotemaild.store.models import Contact, Message, QuoteRequest, Tenant
from quotemaild.store.queries import matching_requests, request_query
from tests.conftest import DOMAIN, make_mail
from tests.support.raws import add_pending_raw

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# (subject, requester e-mail, requester name, message texts)
ROWS: list[tuple[str, str, str | None, list[str]]] = [
    ("Zonnepanelen voor ons dak", "jan@klant.example", "Jan Peeters", ["Graag een offerte voor 12 panelen."]),
    ("Offerte warmtepomp", "marie@client.example", "Marie Dubois", ["Bonjour, une pompe à chaleur SVP.",
                                                                    "Réponse: le devis est accepté."]),
    ("ÉCLAIRAGE LED", "ETIENNE@CLIENT.EXAMPLE", "Étienne", ["Éclairage pour l'entrepôt, 100% LED."]),
    ("Vraag", "info@firma.example", None, ["order_nr 4411 voor de 2e verdieping", "Met vriendelijke groet"]),
    ("Re: dak", "jan@klant.example", "Jan", ["Het dak is 40 m² groot; de nok 7,5 m."]),
    ("Question", "bob@other.example", "Bob", ["Do you sell \"solar\" panels? a%b_c"]),
]
TERMS = [
    "zonnepanelen", "ZONNEPANELEN", "panelen", "offerte", "Offerte", "pompe à", "POMPE À", "accepté", "ACCEPTÉ",
    "éclairage", "Éclairage", "ÉCLAIRAGE", "eclairage", "clairage", "étienne", "Étienne", "etienne@", "client.example",
    "order_nr", "order%nr", "100%", "a%b", "%b_", "_", "%", "m²", "groet", "vriendelijke groet", '"solar"', "solar",
    "jan@", "Peeters", "Contact Acme", "acme", "nowhere-to-be-found", "dak", "ak", "a", "#3", "3", "warmte",
]


def _setup(s: Any) -> tuple[Any, Any, dict[str, int]]:
    clock = SystemClock()
    acme = add_tenant(s, NewTenant(name="Acme", slug="acme"), clock)
    other = add_tenant(s, NewTenant(name="Other", slug="other"), clock)
    user = add_user(s, acme, "Ann", "ann@acme.example", "seller", clock)
    contact = Contact(tenant_id=acme.id, name="Contact Acme NV", emails=["jan@klant.example"], created_at=NOW,
                      updated_at=NOW)
    s.add(contact)
    s.flush()
    ids: dict[str, int] = {}
    for tenant in (acme, other):  # the same text in another tenant must never show up
        for k, (subject, email, name, texts) in enumerate(ROWS):
            req = QuoteRequest(tenant_id=tenant.id, subject=subject, requester_email=email, requester_name=name,
                               message_count=len(texts), created_at=NOW, updated_at=NOW + dt.timedelta(minutes=k),
                               contact_id=contact.id if tenant is acme and k == 0 else None)
            s.add(req)
            s.flush()
            s.execute(insert(Message), [dict(tenant_id=tenant.id, request_id=req.id, direction="in",
                                             message_id=f"<{tenant.id}.{k}.{j}@x>", text=t, created_at=NOW)
                                        for j, t in enumerate(texts)])  # fmt: skip
            ids[f"{tenant.slug}{k}"] = req.id
    s.flush()
    return acme, actor_of_user(user, acme), ids


def _listed(s: Any, actor: Any, term: str) -> list[int]:
    return [r["id"] for r in inbox.list_requests(s, actor, inbox.InboxFilter(q=term), limit=200).items]


def _by_like(s: Any, tenant_id: int, term: str) -> list[int]:
    q = request_query(None, None, term).where(QuoteRequest.tenant_id == tenant_id).limit(200)
    return [row[0].id for row in s.execute(q)]


def _integrity(s: Any) -> None:
    """FTS5 compares the index with the content tables (rank 1); a drift raises."""
    for table in search.FTS_TABLES:
        s.execute(text(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"))


@pytest.mark.parametrize("term", TERMS)
def test_search_equals_the_like(sessions, term):
    """Every term, with or without the index (accents, case, LIKE's own characters, short terms)."""
    with sessions() as s:
        acme, actor, _ = _setup(s)
        assert _listed(s, actor, term) == _by_like(s, acme.id, term)
        s.rollback()


@pytest.mark.sqlite_only
def test_search_results_table(sessions):
    """What SQLite's LIKE means, and so what the index must give: ASCII case folds, accents and
    other letters match only as written, `%` and `_` are plain characters, one tenant only."""
    expected = {
        "ZONNEPANELEN": [0], "pompe à": [1], "POMPE À": [], "ACCEPTÉ": [], "accepté": [1], "éclairage": [],
        "Éclairage": [2], "ÉCLAIRAGE": [2], "eclairage": [], "clairage": [2], "étienne": [], "etienne@": [2],
        "order_nr": [3], "order%nr": [], "100%": [2], "a%b": [5], "%b_": [5], "_": [3, 5], "%": [2, 5],
        "m²": [4], "vriendelijke groet": [3], '"solar"': [5], "jan@": [0, 4], "Contact Acme": [0],
        "nowhere-to-be-found": [], "ak": [0, 4],
    }
    with sessions() as s:
        acme, actor, ids = _setup(s)
        for term, rows in expected.items():
            want = sorted((ids[f"acme{k}"] for k in rows), reverse=True)
            assert _listed(s, actor, term) == want, term
        assert _listed(s, actor, f"#{ids['acme3']}") == [ids["acme3"]]
        assert _listed(s, actor, f"#{ids['other3']}") == []  # another tenant's number
        candidates = search.candidate_ids(s, acme.id, "éclairage")  # the index folds more than LIKE ...
        assert candidates == {ids["acme2"]}  # ... so it only proposes; the LIKE decides
        assert search.candidate_ids(s, acme.id, "ak") is None  # too short for a trigram
        assert search.candidate_ids(s, acme.id, "panelen", cap=0) is None  # too many: walk with LIKE
        s.rollback()


@pytest.mark.sqlite_only
def test_the_index_follows_every_write(sessions):
    """ORM and Core inserts, updates of the indexed columns, deletes and FK cascades."""
    with sessions.begin() as s:
        acme, actor, ids = _setup(s)
        _integrity(s)
        assert _listed(s, actor, "warmtepomp") == [ids["acme1"]]
        s.execute(update(Message).where(Message.request_id == ids["acme1"]).values(text="nieuwe tekst"))
        s.execute(update(QuoteRequest).where(QuoteRequest.id == ids["acme3"]).values(subject="Isolatie",
                                                                                     requester_name="Nora"))
        s.flush()
        _integrity(s)
        assert _listed(s, actor, "pompe à") == [] and _listed(s, actor, "nieuwe tekst") == [ids["acme1"]]
        assert _listed(s, actor, "isolatie") == [ids["acme3"]] and _listed(s, actor, "nora") == [ids["acme3"]]
        s.execute(delete(QuoteRequest).where(QuoteRequest.id == ids["acme0"]))  # messages go by cascade
        s.execute(delete(Message).where(Message.request_id == ids["acme4"]))
        s.flush()
        _integrity(s)
        assert _listed(s, actor, "zonnepanelen") == [] and _listed(s, actor, "m²") == []
        phrase = search.fts_query("zonnepanelen")
        assert s.scalar(text("SELECT count(*) FROM requests_fts WHERE requests_fts MATCH :p"), {"p": phrase}) == 1
    with sessions.begin() as s:  # a deleted tenant takes its requests and messages along
        s.execute(delete(Tenant).where(Tenant.slug == "other"))
    with sessions.begin() as s:
        _integrity(s)
        assert s.scalar(text("SELECT count(*) FROM requests_fts WHERE requests_fts MATCH :p"), {"p": phrase}) == 0
        assert s.scalar(select(func.count()).select_from(text("messages_fts"))) == s.scalar(
            select(func.count()).select_from(Message))


def _index_bytes(s: Any) -> bytes:
    return b"".join(s.scalars(text("SELECT block FROM messages_fts_data UNION ALL SELECT block FROM requests_fts_data")))


@pytest.mark.sqlite_only
def test_erasure_leaves_nothing_in_the_index(sessions):
    """After a contact is forgotten, its mail text is not in the index's pages any more, even as
    trigrams (with positions, they would spell the text out again)."""
    # Terms are stored prefix-compressed: "☃qz" is the only term starting with ☃, so whatever it
    # shares with the term before it, its bytes after the first one are written out.
    secret = "Xaverius ☃qzj Quokkastraat"
    with sessions.begin() as s:
        acme, actor, ids = _setup(s)
        s.execute(insert(Message), [dict(tenant_id=acme.id, request_id=ids["acme0"], direction="in",
                                         message_id="<secret@x>", text=secret, created_at=NOW)])
        contact_id = s.scalar(select(Contact.id).where(Contact.tenant_id == acme.id))
    mark = "☃qz".encode()[1:]
    with sessions.begin() as s:
        assert mark in _index_bytes(s)
        assert _listed(s, actor, "quokka") == [ids["acme0"]]
    with sessions.begin() as s:
        forget_contact(s, contact_id, "admin", FixedClock(NOW))
    with sessions.begin() as s:
        _integrity(s)
        assert _listed(s, actor, "quokka") == []
        assert mark not in _index_bytes(s)


@pytest.mark.sqlite_only
def test_the_processing_pipeline_keeps_the_index(sessions):
    """Mail processed by the pipeline (its Core inserts, in batches) is found by its text at once."""
    mails = [make_mail(subject="Veranda", message_id="<v1@example.org>", body="Een veranda van 4 bij 3 meter.\n"),
             make_mail(subject="Re: Veranda", message_id="<v2@example.org>", extra="In-Reply-To: <v1@example.org>",
                       body="Liefst in antraciet aluminium.\n"),
             make_mail(subject="Carport", message_id="<c1@example.org>", sender="piet@example.org")]
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant("Acme", "acme"), SystemClock())
        user = add_user(s, tenant, "Ann", "ann@acme.example", "seller", SystemClock())
        actor = actor_of_user(user, tenant)
        ids = [add_pending_raw(s, tenant.id, m, mail_from="klant@example.org") for m in mails]
    process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), SystemClock()))
    with sessions() as s:
        _integrity(s)
        veranda = _listed(s, actor, "veranda")
        assert len(veranda) == 1 and _listed(s, actor, "ANTRACIET") == veranda
        assert len(_listed(s, actor, "piet@")) == 1 and _listed(s, actor, "beton") == []


@pytest.mark.parametrize("term", ["panelen", "accepté", "Contact Acme", "ak", "nowhere-to-be-found", "#3"])
def test_the_command_line_search_equals_the_like(sessions, term):
    """`request list --tenant acme --search TERM` (store/queries.matching_requests) lists what the
    LIKE finds, index or not."""
    with sessions() as s:
        acme, _, _ = _setup(s)
        listed = [r["id"] for r in matching_requests(s, "ACME", None, term, None, 200)]
        assert listed == _by_like(s, acme.id, term)
        s.rollback()


@pytest.mark.sqlite_only
def test_the_command_line_search_of_one_tenant_asks_the_index(sessions):
    """Within one tenant the index narrows the walk, as in the inbox; across tenants it cannot."""
    asked: list[str] = []

    def seen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        asked.append(statement)

    with sessions() as s:
        _, _, ids = _setup(s)
        event.listen(s.get_bind(), "before_cursor_execute", seen)
        try:
            assert [r["id"] for r in matching_requests(s, "acme", None, "panelen", None, 50)] == [ids["acme0"]]
            assert any(f"{search.MESSAGES_FTS} MATCH" in q for q in asked)
            asked.clear()
            both = [r["id"] for r in matching_requests(s, None, None, "panelen", None, 50)]
            assert sorted(both) == sorted([ids["acme0"], ids["other0"]])
            assert not any("MATCH" in q for q in asked)
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", seen)
        s.rollback()
