"""A status that contradicts the request's quotes is a 409 in the API, like a forbidden move."""

from __future__ import annotations

from quotemaild.edges.http.problems import from_error
from quotemaild.errors import InvalidInput, InvalidTransition, StatusConflict


def test_status_conflict_is_409_with_its_own_type():
    problem = from_error(StatusConflict("accepted", "its quote OF-2026-0001 is draft"))
    assert (problem.status, problem.slug) == (409, "status-conflict")
    assert problem.extra == {"field": "status", "status_wanted": "accepted",
                             "quotes": "its quote OF-2026-0001 is draft"}
    assert "OF-2026-0001 is draft" in problem.detail


def test_the_other_invalid_inputs_keep_their_status():
    assert from_error(InvalidTransition("received", "accept")).status == 409
    assert from_error(InvalidInput("body", "empty")).status == 422
