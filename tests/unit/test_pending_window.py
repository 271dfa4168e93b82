"""The dispatcher's bounded window of pending ids: reports while there is room, refills after."""

from __future__ import annotations

from quotemaild.edges.pending_window import PendingWindow


def caught_up(size: int) -> PendingWindow:
    w = PendingWindow(size)
    w.refilled([], w.refill_room(), set())  # the store had nothing pending at start
    return w


def test_at_start_the_store_is_read_first():
    w = PendingWindow(4)
    w.offer([1, 2])
    assert len(w) == 0 and w.behind  # reports wait until the store was read
    assert w.refill_room() == 4
    w.refilled([1, 2, 3], 4, handed=set())
    assert (w.take(10), w.cursor, w.behind) == ((1, 2, 3), 3, False)


def test_reports_fill_the_window_until_it_is_full_then_the_store_is_ahead():
    w = caught_up(3)
    w.offer([5, 6, 7, 8])
    assert (len(w), w.cursor, w.behind) == (3, 7, True)
    assert w.refill_room() == 0  # still more than half full
    assert w.take(2) == (5, 6)
    assert w.refill_room() == 2
    w.refilled([8], 2, handed=set())
    assert (w.take(5), w.behind) == ((7, 8), False)


def test_ids_already_taken_are_not_taken_again():
    w = caught_up(5)
    w.offer([3, 4])
    w.offer([4, 2])  # a late or repeated report
    assert w.take(5) == (3, 4)


def test_a_refill_leaves_out_what_a_child_holds_but_moves_past_it():
    w = PendingWindow(4)
    w.refilled([1, 2, 3], 4, handed={2})
    assert (w.take(4), w.cursor) == ((1, 3), 3)


def test_batches_are_the_oldest_ids_sorted():
    w = caught_up(10)
    w.add([9, 4])  # orphans of another instance, whatever the cursor
    w.offer([11, 12])
    assert w.take(3) == (4, 9, 11) and w.take(3) == (12,)
