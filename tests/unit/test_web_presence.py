"""Presence on a request: others viewing, others typing, expiry, tenants apart."""

from __future__ import annotations

import datetime as dt

from quotemaild.edges.http.web.presence import TTL, TYPING_TTL, Presence

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def test_others_viewing_and_typing_expire():
    p = Presence()
    p.ping(1, 7, 10, "Rita", T0)
    p.ping(1, 7, 11, "Sam", T0, typing=True)
    assert p.others(1, 7, 10, T0) == {"viewing": ["Sam"], "typing": ["Sam"]}
    assert p.others(1, 7, 11, T0) == {"viewing": ["Rita"], "typing": []}
    later = T0 + TYPING_TTL + dt.timedelta(seconds=1)
    assert p.others(1, 7, 10, later) == {"viewing": ["Sam"], "typing": []}
    assert p.others(1, 7, 10, T0 + TTL + dt.timedelta(seconds=1)) == {"viewing": [], "typing": []}


def test_tenants_and_requests_are_apart():
    p = Presence()
    p.ping(1, 7, 10, "Rita", T0)
    assert p.others(2, 7, 99, T0) == {"viewing": [], "typing": []}
    assert p.others(1, 8, 99, T0) == {"viewing": [], "typing": []}
