"""parse_loose_date(): the dates clients write in forward headers, in nl/fr/en/de."""

from __future__ import annotations

import datetime as dt

import pytest

from quotemaild.mail.dates import parse_loose_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 3 Mar 2025 10:00:00 +0100", dt.datetime(2025, 3, 3, 9, 0)),
        ("maandag 3 maart 2025 09:12", dt.datetime(2025, 3, 3, 9, 12)),
        ("ma 3 mrt. 2025 om 09:12", dt.datetime(2025, 3, 3, 9, 12)),
        ("lundi 3 mars 2025 10:00", dt.datetime(2025, 3, 3, 10, 0)),
        ("jeu. 6 avr. 2023 à 16:17", dt.datetime(2023, 4, 6, 16, 17)),
        ("Montag, 3. März 2025 10:00", dt.datetime(2025, 3, 3, 10, 0)),
        ("Mi., 5. Dez. 2024 um 08:30 Uhr", dt.datetime(2024, 12, 5, 8, 30)),
        ("Wednesday, October 27, 2021 3:14 PM", dt.datetime(2021, 10, 27, 15, 14)),
        ("Wed, Oct 27, 2021 at 9:31 AM", dt.datetime(2021, 10, 27, 9, 31)),
        ("28/10/2021 12:46", dt.datetime(2021, 10, 28, 12, 46)),
        ("2021-10-27 09:31", dt.datetime(2021, 10, 27, 9, 31)),
    ],
)
def test_localised_dates(text, expected):
    """Each client format gives the datetime (UTC; zone-less times are taken as UTC)."""
    assert parse_loose_date(text) == expected.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize("text", [None, "", "nonsense", "31 février 2024 10:00", "26 жовтня 2021", "9" * 500])
def test_unreadable_dates_are_none(text):
    """Anything we cannot read is None, never an exception."""
    assert parse_loose_date(text) is None
