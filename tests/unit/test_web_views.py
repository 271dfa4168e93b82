"""Presentation helpers of the web pages: conversation order, timeline sentences, reply opening,
safe redirects, quote editor rows, the status moves offered."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from quotemaild.edges.http.web.auth import safe_next
from quotemaild.edges.http.web.quotes import lines_from_form
from quotemaild.edges.http.web.request_page import allowed_moves
from quotemaild.edges.http.web.views import conversation, reply_text, timeline_text


def gettext(message: str, **values: object) -> str:
    return message % values if values else message


def test_conversation_interleaves_mail_and_notes_by_time():
    detail = {
        "messages": [
            {"id": 1, "direction": "in", "created_at": "2026-01-05T09:00:00+00:00", "date": "2026-01-05T10:00:00+01:00",
             "text": "Graag een prijs.\n\nOp 4 jan schreef X:\n> oud\n", "from": {"name": "Jan", "email": "jan@x.test"}},
            {"id": 2, "direction": "out", "created_at": "2026-01-05T11:00:00+00:00", "text": "Prijs volgt.",
             "from": {"email": "acme@p.test"}, "to": [{"email": "jan@x.test"}],
             "delivery": {"state": "queued", "sent": False, "reason": "no smarthost"}},
        ],
        "timeline": [{"kind": "note", "at": "2026-01-05T10:30:00+00:00", "actor": "rita", "detail": {"body": "Bellen"}}],
    }
    items = conversation(detail, gettext)
    assert [i["kind"] for i in items] == ["in", "note", "out"]
    assert items[0]["who"] == "Jan <jan@x.test>"
    assert items[2]["queued"] and items[2]["queued_reason"] == "no smarthost"
    assert items[1]["text"] == "Bellen"


def test_the_body_marker_is_not_shown_to_the_seller():
    detail = {"messages": [{"id": 1, "direction": "out", "created_at": "2026-01-05T11:00:00+00:00",
                            "text": "Beste Jan,\n\nHierbij de schets.\n\n[ref:r5.vaj4rjeqpvktje3n]\n"}]}
    assert conversation(detail, gettext)[0]["text"] == "Beste Jan,\n\nHierbij de schets."


def test_html_is_shown_only_when_there_is_no_text():
    detail = {"messages": [{"id": 1, "direction": "in", "text": "", "html": "<p>safe</p>"},
                           {"id": 2, "direction": "in", "text": "plain", "html": "<p>ignored</p>"}], "timeline": []}
    first, second = conversation(detail, gettext)
    assert first["html"] == "<p>safe</p>" and second["html"] is None


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"kind": "assigned", "detail": {"name": "Rita", "email": "r@x"}}, "Assigned to Rita"),
        ({"kind": "status_changed", "detail": {"from": "received", "to": "answered"}}, "Status: received → answered"),
        ({"kind": "quote_sent", "detail": {"number": "OF-1", "to": "jan@x"}}, "Quote OF-1 sent to jan@x"),
        ({"kind": "human_received", "detail": {}}, "Mail received"),
        ({"kind": "something_new", "detail": {}}, "something new"),
        ({"kind": "verdict_corrected", "detail": {"before": "out_of_office", "after": "human"}},
         "A mail was marked as written by a person"),
        ({"kind": "verdict_corrected", "detail": {"before": "human", "after": "auto_reply"}},
         "A mail was marked as an automatic answer"),
        ({"kind": "quote_superseded", "detail": {"number": "OF-1"}}, "Quote OF-1 replaced by a new version"),
        ({"kind": "prospect_activated", "detail": {"name": "Jan"}}, "Prospect Jan is now active"),
    ],
)
def test_timeline_sentences(entry, expected):
    assert timeline_text(entry, gettext, lambda code: code) == expected


@pytest.mark.parametrize(
    ("language", "name", "expected"),
    [("nl", "Jan Peeters", "Beste Jan,\n\n"), ("fr", "Marie", "Bonjour Marie,\n\n"), ("en", None, "Hello,\n\n")],
)
def test_reply_opening(language, name, expected):
    assert reply_text(language, name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("/requests/3?x=1", "/requests/3?x=1"), ("//evil.test/", "/"), ("https://evil.test/", "/"),
     ("/\\evil", "/"), ("", "/"), (None, "/"), ("requests", "/")],
)
def test_safe_next_stays_on_this_site(value, expected):
    assert safe_next(value) == expected


def test_quote_editor_rows_become_line_specs():
    form = FormData([
        ("lines-0-description", "Ramen; dubbel glas"), ("lines-0-quantity", "2"), ("lines-0-unit_price", "100"),
        ("lines-0-vat_rate", "21"), ("lines-0-unit", "st"), ("lines-0-discount", "5"),
        ("lines-1-description", ""), ("lines-1-quantity", "1"), ("lines-1-unit_price", ""),
        ("lines-10-description", "Plaatsing"), ("lines-10-quantity", "1"), ("lines-10-unit_price", "50"),
        ("lines-10-vat_rate", "6"), ("csrf", "x"),
    ])
    filled, specs = lines_from_form(form)
    assert len(filled) == 2
    assert specs == ["Ramen\\; dubbel glas;2;100;21;st;5", "Plaatsing;1;50;6;;"]


@pytest.mark.parametrize(
    ("status", "previous", "must", "must_not"),
    [
        ("received", None, {"answered", "quote_created"}, {"received", "cancelled"}),
        ("cancelled", "answered", {"answered"}, {"cancelled", "accepted"}),
    ],
)
def test_status_moves_come_from_the_workflow(status, previous, must, must_not):
    moves = set(allowed_moves(status, previous))
    assert must <= moves and not (must_not & moves)


@pytest.mark.parametrize(("lang", "value", "shown"), [
    ("en", "2027-01-06", "6 Jan 2027"),
    ("nl", "2027-01-06", "6 jan 2027"),
    ("fr", "2027-01-06", "6 janv. 2027"),
    ("en", "", ""),
])
def test_a_quote_validity_date_is_shown_in_the_page_language(lang, value, shown):
    """Quotes show "valid until" as a date in the seller's language, not as ISO text."""
    from quotemaild.edges.http.web.render import make_environment

    env = make_environment()
    assert env.from_string("{{ day(v) }}").render(lang=lang, v=value) == shown
