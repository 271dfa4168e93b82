"""Fixtures for end-to-end tests against real Postfix and Dovecot instances (tests/support/)."""

from tests.support.dovecot import dovecot, dovecot_factory  # noqa: F401  (pytest fixtures)
from tests.support.postfix import postfix_factory  # noqa: F401
from tests.support.smtp_capture import capture_factory  # noqa: F401
