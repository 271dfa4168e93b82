"""Threading decisions: duplicates, In-Reply-To before References, newest reference first."""

import pytest

from quotemaild.mail.threading import candidate_ids, decide_thread

CASES = [
    # (name, in_reply_to, references, duplicate_of, known, token, expected verdict, expected request)
    ("duplicate wins over everything", "<a@x>", ["<a@x>"], 7, {"<a@x>": 1}, 3, "duplicate", None),
    ("token before headers", "<a@x>", [], None, {"<a@x>": 1}, 3, "join", 3),
    ("in-reply-to known", "<a@x>", [], None, {"<a@x>": 1}, None, "join", 1),
    ("only references known", None, ["<a@x>", "<b@x>"], None, {"<a@x>": 1}, None, "join", 1),
    ("in-reply-to beats references", "<b@x>", ["<a@x>"], None, {"<a@x>": 1, "<b@x>": 2}, None, "join", 2),
    ("newest reference first", None, ["<a@x>", "<b@x>"], None, {"<a@x>": 1, "<b@x>": 2}, None, "join", 2),
    ("unknown in-reply-to falls back to references", "<z@x>", ["<a@x>"], None, {"<a@x>": 1}, None, "join", 1),
    ("nothing known is new", "<z@x>", ["<y@x>"], None, {}, None, "new", None),
    ("known id without request does not join", "<a@x>", [], None, {"<a@x>": None}, None, "new", None),
    ("no headers is new", None, [], None, {}, None, "new", None),
]

MARKER_CASES = [
    ("headers beat the body marker", "<a@x>", {"<a@x>": 1}, None, 5, 1),
    ("marker when headers know nothing", "<z@x>", {}, None, 5, 5),
    ("token beats the marker", None, {}, 3, 5, 3),
    ("no marker, no headers: new", None, {}, None, None, None),
]


@pytest.mark.parametrize(("name", "irt", "known", "token", "marker", "want"), MARKER_CASES)
def test_body_marker_is_step_four(name, irt, known, token, marker, want):
    """A signed marker in the quoted body joins only when no token or header did."""
    decision = decide_thread("<m@x>", irt, [], None, known, token, marker)
    assert decision.request_id == want, name


@pytest.mark.parametrize(("name", "irt", "refs", "dup", "known", "token", "verdict", "want"), CASES)
def test_decide_thread(name, irt, refs, dup, known, token, verdict, want):
    """Each rule of the threading order picks the expected request."""
    decision = decide_thread("<m@x>", irt, refs, dup, known, token)
    assert (decision.verdict, decision.request_id) == (verdict, want), name
    assert decision.reason


def test_candidate_ids_caps_references_to_newest_32():
    """Only the newest 32 references are looked up, newest first, In-Reply-To before them."""
    refs = [f"<r{i}@x>" for i in range(40)]
    ids = candidate_ids("<irt@x>", refs)
    assert ids[0] == "<irt@x>"
    assert ids[1] == "<r39@x>"
    assert ids[-1] == "<r8@x>"
    assert len(ids) == 33


def test_candidate_ids_no_repeats():
    """An id in both In-Reply-To and References is looked up once."""
    assert candidate_ids("<a@x>", ["<a@x>", "<b@x>"]) == ["<a@x>", "<b@x>"]
