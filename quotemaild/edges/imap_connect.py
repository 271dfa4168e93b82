"""Opening an authenticated IMAP connection for a source, and saying clearly why it failed.

Secrets are fetched at connect time and never stored: the password is read from the source's
password file; for XOAUTH2 (Gmail, Microsoft 365) the token command prints a fresh access token.
"""

from __future__ import annotations

import imaplib
import shlex
import socket
import ssl
import subprocess

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from quotemaild.errors import StoreUnavailable
from quotemaild.services.sources import SourceSnapshot

TOKEN_COMMAND_TIMEOUT = 30.0


class CredentialError(Exception):
    """The password file or token command did not give us a secret."""


def connect(source: SourceSnapshot, timeout: float) -> IMAPClient:
    context = ssl.create_default_context()
    client = IMAPClient(
        source.host,
        port=source.port,
        ssl=source.tls == "ssl",
        ssl_context=context if source.tls == "ssl" else None,
        timeout=timeout,
    )
    try:
        if source.tls == "starttls":
            client.starttls(context)
        if source.auth == "xoauth2":
            client.oauth2_login(source.username, access_token(source))
        else:
            client.login(source.username, password(source))
    except BaseException:
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass
        raise
    return client


def password(source: SourceSnapshot) -> str:
    assert source.password_file is not None
    try:
        with open(source.password_file, encoding="utf-8") as fh:
            secret = fh.read().rstrip("\r\n")
    except OSError as exc:
        raise CredentialError(f"cannot read password file {source.password_file}: {exc.strerror}") from exc
    if not secret:
        raise CredentialError(f"password file {source.password_file} is empty")
    return secret


def access_token(source: SourceSnapshot) -> str:
    assert source.token_command is not None
    argv = shlex.split(source.token_command)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TOKEN_COMMAND_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CredentialError(f"token command failed to run: {exc}") from exc
    if done.returncode != 0:
        raise CredentialError(f"token command exited {done.returncode}: {done.stderr.strip()[:300]}")
    token = done.stdout.strip()
    if not token:
        raise CredentialError("token command printed no token")
    return token


def describe_error(exc: BaseException, source: SourceSnapshot) -> str:
    """One line an operator can act on; never a secret, never a traceback."""
    where = f"{source.host}:{source.port}"
    if isinstance(exc, CredentialError):
        return str(exc)
    if isinstance(exc, LoginError):
        return f"login failed for {source.username} at {where}: {_text(exc)}"
    if isinstance(exc, StoreUnavailable):
        return f"store unavailable: {exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error with {where}: {exc.reason or exc}"
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"timeout talking to {where}"
    if isinstance(exc, ConnectionError):
        return f"connection to {where} lost: {exc.strerror or type(exc).__name__}"
    if isinstance(exc, OSError):
        return f"cannot connect to {where}: {exc.strerror or exc}"
    if isinstance(exc, imaplib.IMAP4.abort):
        return f"server {where} closed the connection: {_text(exc)}"
    if isinstance(exc, IMAPClientError | imaplib.IMAP4.error):
        return f"IMAP error from {where}: {_text(exc)}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _text(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
        text = text[2:-1]
    return text[:300]
