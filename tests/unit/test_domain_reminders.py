"""Reminder timing and how reminders follow a card's moments; prospect activation."""

from __future__ import annotations

import datetime as dt

import pytest

from quotemaild.domain.prospects import activates
from quotemaild.domain.reminders import Stored, Wanted, due_at, is_due, plan, reminder_mail, wanted, zone
from quotemaild.errors import InvalidInput

BXL = zone("Europe/Brussels")
UTC = dt.UTC


@pytest.mark.parametrize(("date", "time", "expected"), [
    (dt.date(2026, 1, 15), dt.time(14, 30), dt.datetime(2026, 1, 15, 13, 30, tzinfo=UTC)),  # winter: UTC+1
    (dt.date(2026, 7, 15), dt.time(14, 30), dt.datetime(2026, 7, 15, 12, 30, tzinfo=UTC)),  # summer: UTC+2
    (dt.date(2026, 3, 29), dt.time(3, 30), dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),    # the DST night
    (dt.date(2026, 1, 15), None, dt.datetime(2026, 1, 15, 8, 0, tzinfo=UTC)),               # no time: 09:00
])
def test_due_at_is_local_time(date, time, expected):
    assert due_at(date, time, BXL) == expected


def test_unknown_zone():
    with pytest.raises(InvalidInput) as info:
        zone("Mars/Olympus")
    assert info.value.field == "profile.timezone"


def test_wanted_only_appointments_and_call_backs():
    moments = {"appointment": {"date": "2026-02-01", "time": "14:30", "note": "stalen"},
               "call_back": {"date": "2026-02-03", "time": "", "note": ""},
               "first_contact": {"date": "2026-01-01", "time": "10:00", "note": "beurs"},
               "sold": {"date": "2026-01-01", "time": "", "note": ""}}
    assert wanted(moments, BXL) == {
        "appointment": Wanted(dt.datetime(2026, 2, 1, 13, 30, tzinfo=UTC), "stalen"),
        "call_back": Wanted(dt.datetime(2026, 2, 3, 8, 0, tzinfo=UTC), ""),
    }


T1 = dt.datetime(2026, 2, 1, 13, 30, tzinfo=UTC)
T2 = dt.datetime(2026, 2, 2, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(("stored", "want", "expected"), [
    ({}, {"appointment": Wanted(T1, "n")}, [("appointment", "create")]),
    ({"appointment": Stored(T1, "n", "sent")}, {"appointment": Wanted(T1, "n")}, []),        # saved again: sent once
    ({"appointment": Stored(T1, "n", "sent")}, {"appointment": Wanted(T2, "n")}, [("appointment", "reset")]),
    ({"appointment": Stored(T1, "n", "pending")}, {"appointment": Wanted(T1, "m")}, [("appointment", "note")]),
    ({"appointment": Stored(T1, "n", "sent")}, {}, [("appointment", "delete")]),
    ({"call_back": Stored(T1, "", "skipped")}, {"appointment": Wanted(T2, "")},
     [("appointment", "create"), ("call_back", "delete")]),
])
def test_plan(stored, want, expected):
    assert [(s.kind, s.action) for s in plan(stored, want)] == expected


@pytest.mark.parametrize(("state", "at", "now", "expected"), [
    ("pending", T1, T1, True),                          # at the set time
    ("pending", T1, T1 - dt.timedelta(seconds=1), False),
    ("pending", T1, T1 + dt.timedelta(days=30), True),  # fell due while the daemon was stopped
    ("sent", T1, T2, False),
    ("skipped", T1, T2, False),
])
def test_is_due(state, at, now, expected):
    assert is_due(state, at, now) is expected


@pytest.mark.parametrize(("language", "subject"), [
    ("nl", "Afspraak met Bouw NV op 01/02/2026 14:30"),
    ("fr", "Rendez-vous avec Bouw NV le 01/02/2026 14:30"),
    ("en", "Appointment with Bouw NV on 2026-02-01 14:30"),
])
def test_reminder_mail(language, subject):
    local = T1.astimezone(BXL)
    got_subject, text = reminder_mail("appointment", language, "Bouw NV", 7, local, "stalen meebrengen",
                                      ["09 123 45 67"])
    assert got_subject == subject
    assert "stalen meebrengen" in text and "09 123 45 67" in text and "contact show 7" in text


@pytest.mark.parametrize(("kind", "active", "status", "expected"), [
    ("prospect", False, "answered", True),
    ("prospect", False, "quote_created", True),
    ("prospect", False, "quote_sent", True),
    ("prospect", False, "accepted", True),
    ("prospect", False, "rejected", True),
    ("prospect", False, "received", False),
    ("prospect", False, "cancelled", False),   # a cancel is not activity
    ("prospect", True, "answered", False),     # already active
    ("customer", False, "answered", False),    # only prospects
])
def test_activates(kind, active, status, expected):
    assert activates(kind, active, status) is expected
