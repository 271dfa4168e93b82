"""tests/support/net.py: free loopback ports and waiting for a listener."""

from __future__ import annotations

import socket
import time

import pytest

from tests.support.net import LOOPBACK, free_port, port_is_open, wait_for_port, wait_until


def test_free_port_can_be_bound():
    """free_port returns a port that a server can bind on 127.0.0.1."""
    port = free_port()
    with socket.socket() as sock:
        sock.bind((LOOPBACK, port))
        sock.listen()
        assert port_is_open(LOOPBACK, port)


def test_wait_for_port_returns_once_listening():
    """wait_for_port returns at once for a listening port."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen()
        wait_for_port(LOOPBACK, sock.getsockname()[1], timeout=2)


def test_wait_for_port_times_out_on_a_closed_port():
    """wait_for_port raises TimeoutError, naming the address, when nothing listens."""
    port = free_port()
    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match=f"127.0.0.1:{port}"):
        wait_for_port(LOOPBACK, port, timeout=0.3)
    assert time.monotonic() - t0 < 2


def test_wait_until_returns_the_truthy_value_or_times_out():
    """wait_until returns the predicate's value; TimeoutError names what it waited for."""
    assert wait_until(lambda: [1], timeout=1) == [1]
    with pytest.raises(TimeoutError, match="the moon"):
        wait_until(lambda: None, timeout=0.1, what="the moon")
