"""The [lmtp] and [imap] config sections, and the IMAP backoff schedule."""

from __future__ import annotations

import pytest

from quotemaild.config import Listen, config_from_dict
from quotemaild.errors import ConfigError
from quotemaild.services.sources import next_backoff
from tests.conftest import config_dict


def test_defaults_have_no_lmtp_and_sane_imap_timings(tmp_path):
    """Without [lmtp] there is no LMTP listener; IMAP re-issues IDLE well before 29 minutes."""
    cfg = config_from_dict(config_dict(tmp_path))
    assert cfg.lmtp.listen is None
    assert 0 < cfg.imap.idle_timeout < 29 * 60
    assert cfg.imap.backoff_initial <= cfg.imap.backoff_max


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("unix:/run/quotemaild/lmtp.sock", Listen(unix_path="/run/quotemaild/lmtp.sock")),
        ("127.0.0.1:24", Listen("127.0.0.1", 24)),
    ],
)
def test_lmtp_listen(tmp_path, value, expected):
    """lmtp.listen takes host:port or unix:/path, like smtp.listen."""
    assert config_from_dict(config_dict(tmp_path, lmtp={"listen": value})).lmtp.listen == expected


@pytest.mark.parametrize(
    ("section", "values", "key"),
    [
        ("lmtp", {"listen": "nowhere"}, "lmtp.listen"),
        ("lmtp", {"socket": "/x"}, "lmtp.socket"),
        ("imap", {"poll_intervall": 5}, "imap.poll_intervall"),
        ("imap", {"idle_timeout": 1800}, "imap.idle_timeout"),
        ("imap", {"poll_interval": 0}, "imap.poll_interval"),
        ("imap", {"backoff_initial": 10, "backoff_max": 5}, "imap.backoff_max"),
    ],
)
def test_bad_values_and_unknown_keys_are_refused_naming_the_key(tmp_path, section, values, key):
    """Typos and out-of-range values are refused with the key in the message."""
    with pytest.raises(ConfigError) as err:
        config_from_dict(config_dict(tmp_path, **{section: values}))
    assert err.value.key == key


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(1, 5.0), (2, 10.0), (3, 20.0), (6, 160.0), (8, 600.0), (200, 600.0)],
)
def test_backoff_doubles_up_to_the_ceiling(failures, expected):
    """5 s, 10 s, 20 s ... never above backoff_max."""
    assert next_backoff(failures, 5.0, 600.0) == expected
