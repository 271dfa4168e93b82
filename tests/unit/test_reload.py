"""What SIGHUP applies live and what needs a restart; the new config keys with strict checking."""

from __future__ import annotations

from pathlib import Path

import pytest

from quotemaild.config import Listen, config_from_dict
from quotemaild.errors import ConfigError
from quotemaild.reload import RELOADABLE, plan_reload
from tests.conftest import config_dict

BASE = Path("/srv/q")


def cfg(**sections):
    data = config_dict(BASE, **{k: v for k, v in sections.items() if isinstance(v, dict)})
    data.update({k: v for k, v in sections.items() if not isinstance(v, dict)})
    return config_from_dict(data, base_dir=BASE)


@pytest.mark.parametrize(
    ("change", "applied", "restart"),
    [
        ({}, (), ()),
        ({"log": {"level": "warning"}}, ("log.level",), ()),
        ({"log": {"format": "json"}}, ("log.format",), ()),
        ({"smtp": {"max_recipients": 5}}, ("smtp.max_recipients",), ()),
        ({"mail": {"max_message_size": 1000}}, ("mail.max_message_size",), ()),
        ({"retention": {"raw_days": 30, "interval": 60}}, ("retention.interval", "retention.raw_days"), ()),
        ({"shutdown_grace": 5}, ("shutdown_grace",), ()),
        ({"smtp": {"listen": "127.0.0.1:25"}}, (), ("smtp.listen",)),
        ({"http": {"listen": "127.0.0.1:9100"}}, (), ("http.listen",)),
        ({"mail": {"domain": "other.example.test"}}, (), ("mail.domain",)),
        ({"store": {"url": "sqlite:////elsewhere/q.db"}}, (), ("store.url",)),
        ({"security": {"secret": "another-secret-0123456789"}}, (), ("security.secret",)),
        ({"log": {"level": "error"}, "smtp": {"timeout": 60}}, ("log.level",), ("smtp.timeout",)),
    ],
)
def test_plan_reload(change, applied, restart):
    """Reloadable keys are applied; the rest keep their running value and are reported."""
    running, new = cfg(), cfg(**change)
    plan = plan_reload(running, new)
    assert (plan.applied, plan.needs_restart) == (applied, restart)
    for key in applied:
        section, _, name = key.partition(".")
        got = getattr(getattr(plan.config, section), name) if name else getattr(plan.config, section)
        want = getattr(getattr(new, section), name) if name else getattr(new, section)
        assert got == want
    assert plan.config.smtp.listen == running.smtp.listen and plan.config.store == running.store
    assert plan_reload(plan.config, new).applied == ()  # a second SIGHUP has nothing new to apply


def test_every_reloadable_key_exists():
    """RELOADABLE names real config keys."""
    from quotemaild.reload import flatten

    assert RELOADABLE <= set(flatten(cfg()))


@pytest.mark.parametrize(
    ("sections", "key"),
    [
        ({"http": {"listen": "nowhere"}}, "http.listen"),
        ({"http": {"listen": "unix:relative.sock"}}, "http.listen"),
        ({"http": {"bind": "127.0.0.1:1"}}, "http.bind"),
        ({"retention": {"raw_days": 1.5}}, "retention.raw_days"),
        ({"retention": {"interval": 0}}, "retention.interval"),
        ({"retention": {"batch": -3}}, "retention.batch"),
        ({"shutdown_grace": -1}, "shutdown_grace"),
        ({"shutdown_grace": True}, "shutdown_grace"),
    ],
)
def test_new_keys_are_checked_strictly(sections, key):
    """Bad values and unknown keys in the new sections are refused naming the key."""
    with pytest.raises(ConfigError) as err:
        cfg(**sections)
    assert err.value.key == key


def test_new_keys_parse():
    """[http] listen, [retention] and shutdown_grace land in the frozen config."""
    c = cfg(http={"listen": "[::1]:9100"}, retention={"raw_days": 90}, shutdown_grace=0)
    assert c.http.listen == Listen("::1", 9100)
    assert (c.retention.raw_days, c.retention.interval, c.retention.batch) == (90, 3600.0, 500)
    assert c.shutdown_grace == 0.0
    d = cfg()
    assert (d.http.listen, d.retention.raw_days, d.shutdown_grace) == (None, 0, 30.0)
