"""The Dovecot test fixture: a real private IMAP server with a user, APPEND, IDLE and auth errors."""

from __future__ import annotations

import time

import pytest
from imapclient.exceptions import LoginError

pytestmark = pytest.mark.e2e

RAW = (
    b"From: Customer <customer@client.test>\r\nTo: sales@tenant.test\r\n"
    b"Subject: Quote please\r\nMessage-ID: <imap-1@client.test>\r\n\r\nTwo pallets, please.\r\n"
)


def test_append_and_read_back(dovecot):
    """APPEND stores the exact bytes; a second client fetches them by the returned UID."""
    uid = dovecot.append(RAW)
    assert uid is not None
    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search() == [uid]
        assert client.fetch([uid], ["RFC822"])[uid][b"RFC822"] == RAW
        client.logout()


def test_append_to_new_folder_and_recreate_changes_uidvalidity(dovecot):
    """recreate_folder empties the folder and gives it a new UIDVALIDITY."""
    dovecot.append(RAW, folder="Quotes")
    before = dovecot.uidvalidity("Quotes")
    after = dovecot.recreate_folder("Quotes")
    assert after != before
    with dovecot.client() as client:
        assert client.select_folder("Quotes")[b"EXISTS"] == 0
        client.logout()


def test_idle_sees_a_new_message(dovecot):
    """A client in IDLE gets an EXISTS push when another client appends."""
    with dovecot.client() as idler:
        idler.select_folder("INBOX")
        idler.idle()
        t0 = time.monotonic()
        dovecot.append(RAW)
        responses = []
        while time.monotonic() - t0 < 5 and not any(r[1] == b"EXISTS" for r in responses):
            responses += idler.idle_check(timeout=1)
        idler.idle_done()
        idler.logout()
    assert any(r[1] == b"EXISTS" for r in responses), responses


def test_wrong_password_is_a_login_error_and_password_change_recovers(dovecot):
    """A wrong password fails with LoginError; after set_password the new one works, the old fails."""
    with pytest.raises(LoginError):
        dovecot.client(password="not-the-password")
    old = dovecot.password
    dovecot.set_password("rotated-pw")
    with pytest.raises(LoginError):
        dovecot.client(password=old)
    with dovecot.client(password="rotated-pw") as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        client.logout()


def test_private_instance_restart_keeps_mail(dovecot_factory):
    """A private instance can be stopped and started again on the same port with the mail kept."""
    server = dovecot_factory()
    server.append(RAW)
    port = server.port
    server.stop()
    server.start()
    assert server.port == port
    with server.client() as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 1
        client.logout()
