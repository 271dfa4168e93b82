"""Fixtures for end-to-end tests against real Postfix and Dovecot instances (tests/support/)."""

from tests.support.dovecot import dovecot, dovecot_factory, dovecot_server  # noqa: F401  (fixtures)
from tests.support.postfix import postfix_factory  # noqa: F401
from tests.support.smtp_capture import capture_factory  # noqa: F401
