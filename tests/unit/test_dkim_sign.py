"""DKIM signatures that a verifier accepts, and that break when the signed content changes."""

import base64
import shutil
import subprocess

import dkim
import pytest

from quotemaild.errors import InvalidInput
from quotemaild.mail.dkim_sign import DkimKey, dkim_sign

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test key")

MAIL = (
    b"From: Acme <acme@proposals.example.com>\r\nTo: klant@example.org\r\nSubject: Offerte\r\n"
    b"Date: Mon, 05 Jan 2026 10:00:00 +0000\r\nMessage-ID: <q.1.2.abc@proposals.example.com>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBeste klant,\r\n"
)


@pytest.fixture(scope="module")
def keypair():
    private = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"], input=private, capture_output=True, check=True).stdout
    return private, base64.b64encode(der)


def dns_for(public: bytes):
    def dnsfunc(name, timeout=5):
        assert name == b"q1._domainkey.proposals.example.com."
        return b"v=DKIM1; k=rsa; p=" + public

    return dnsfunc


def test_signed_mail_verifies(keypair):
    """The signature verifies against the published key, with d= our domain."""
    private, public = keypair
    signed = dkim_sign(MAIL, DkimKey("proposals.example.com", "q1", private))
    assert signed.startswith(b"DKIM-Signature:")
    assert b"d=proposals.example.com" in signed
    assert dkim.verify(signed, dnsfunc=dns_for(public))


def test_changed_body_fails_verification(keypair):
    """Tampering with the body after signing breaks the signature."""
    private, public = keypair
    signed = dkim_sign(MAIL, DkimKey("proposals.example.com", "q1", private))
    assert not dkim.verify(signed.replace(b"Beste klant", b"Beste boef"), dnsfunc=dns_for(public))


def test_bad_key_is_a_clear_error():
    """A key that is not a private key gives InvalidInput naming dkim."""
    with pytest.raises(InvalidInput) as err:
        dkim_sign(MAIL, DkimKey("proposals.example.com", "q1", b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"))
    assert err.value.field == "dkim"


def test_utf8_header_mail_verifies(keypair):
    """Mail to a UTF-8 local part (RFC 6532 headers) is signed over its UTF-8 bytes and verifies."""
    private, public = keypair
    mail = MAIL.replace(b"To: klant@example.org", "To: Jürgen <jürgen@exämple.de>".encode())
    signed = dkim_sign(mail, DkimKey("proposals.example.com", "q1", private))
    assert dkim.verify(signed, dnsfunc=dns_for(public))
    assert not dkim.verify(signed.replace("jürgen".encode(), "jurgen".encode()), dnsfunc=dns_for(public))
