"""Config: defaults, relative paths, and errors that name the key."""

from pathlib import Path

import pytest

from quotemaild.config import Listen, config_from_dict, parse_listen
from quotemaild.errors import ConfigError

BASE = {"mail": {"domain": "proposals.example.com"}, "security": {"secret": "s" * 20}}


def merged(**sections):
    data = {k: dict(v) for k, v in BASE.items()}
    for name, values in sections.items():
        if isinstance(values, dict):
            data.setdefault(name, {}).update(values)
        else:
            data[name] = values
    return data


def test_defaults():
    """A minimal config gets the documented defaults and an SQLite store in the state dir."""
    cfg = config_from_dict(BASE, base_dir=Path("/srv/q"))
    assert cfg.smtp.listen == Listen("127.0.0.1", 2525)
    assert cfg.mail.max_message_size == 50 * 1024 * 1024
    assert cfg.store.url == "sqlite:////srv/q/var/quotemaild.db"
    assert cfg.log.format == "json"


def test_relative_sqlite_path_is_relative_to_the_config_file():
    """sqlite:///rel/path resolves against the config file's directory."""
    cfg = config_from_dict(merged(store={"url": "sqlite:///data/q.db"}), base_dir=Path("/etc/q"))
    assert cfg.store.url == "sqlite:////etc/q/data/q.db"


def test_secret_file(tmp_path):
    """secret_file is read and stripped."""
    (tmp_path / "secret").write_text("abcdefghijklmnopqrstuvwxyz\n")
    cfg = config_from_dict({"mail": BASE["mail"], "security": {"secret_file": "secret"}}, base_dir=tmp_path)
    assert cfg.security.secret == "abcdefghijklmnopqrstuvwxyz"
    assert "abcdefghij" not in repr(cfg)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (merged(smtp={"lisen": "x"}), "smtp.lisen"),
        (merged(smtp={"listen": "nope"}), "smtp.listen"),
        (merged(smtp={"listen": "1.2.3.4:99999"}), "smtp.listen"),
        (merged(smtp={"timeout": 0}), "smtp.timeout"),
        (merged(smtp={"max_recipients": "10"}), "smtp.max_recipients"),
        (merged(mail={"domain": "not a domain"}), "mail.domain"),
        ({"security": {"secret": "s" * 20}}, "mail.domain"),
        (merged(mail={"max_message_size": -1}), "mail.max_message_size"),
        (merged(mail={"max_message_size": True}), "mail.max_message_size"),
        (merged(security={"secret": "short"}), "security.secret"),
        (merged(log={"level": "loud"}), "log.level"),
        (merged(log={"format": "xml"}), "log.format"),
        (merged(extra={"a": 1}), "extra"),
        (merged(smtp="x"), "smtp"),
        (merged(processing={"message_timeout": 0}), "processing.message_timeout"),
        (merged(processing={"message_timeout": "5m"}), "processing.message_timeout"),
        (merged(processing={"workers": -1}), "processing.workers"),
        (merged(processing={"workers": 1.5}), "processing.workers"),
        (merged(processing={"drain_workers": -1}), "processing.drain_workers"),
        (merged(processing={"drain_workers": True}), "processing.drain_workers"),
        (merged(processing={"max_backlog": -5}), "processing.max_backlog"),
        (merged(processing={"max_backlog": True}), "processing.max_backlog"),
        (merged(processing={"timeout": 5}), "processing.timeout"),
    ],
)
def test_bad_values_name_the_key(data, key):
    """Every bad or unknown key is refused with its dotted name in the message."""
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert err.value.key == key
    assert key in str(err.value)


def test_missing_secret_file_names_the_key(tmp_path):
    """An unreadable secret_file names security.secret_file."""
    with pytest.raises(ConfigError) as err:
        config_from_dict({"mail": BASE["mail"], "security": {"secret_file": "nope"}}, base_dir=tmp_path)
    assert err.value.key == "security.secret_file"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:25", Listen("127.0.0.1", 25)),
        ("[::1]:2525", Listen("::1", 2525)),
        (":2525", Listen("127.0.0.1", 2525)),
        ("unix:/run/q/lmtp.sock", Listen(unix_path="/run/q/lmtp.sock")),
    ],
)
def test_parse_listen(value, expected):
    """host:port, [v6]:port and unix:/path are understood."""
    assert parse_listen("k", value) == expected


def test_relative_unix_socket_is_refused():
    """A unix socket path must be absolute."""
    with pytest.raises(ConfigError):
        parse_listen("lmtp.listen", "unix:run/x.sock")


def test_processing_timeout_default_and_set():
    """[processing] message_timeout: 300 s unless set."""
    assert config_from_dict(BASE).processing.message_timeout == 300.0
    assert config_from_dict(merged(processing={"message_timeout": 20})).processing.message_timeout == 20.0


def test_processing_workers_and_backlog_default_and_set():
    """[processing] workers 0 (automatic) and max_backlog 100,000 unless set; 0 is allowed for both."""
    cfg = config_from_dict(BASE).processing
    assert (cfg.workers, cfg.max_backlog) == (0, 100_000)
    cfg = config_from_dict(merged(processing={"workers": 3, "max_backlog": 0})).processing
    assert (cfg.workers, cfg.max_backlog) == (3, 0)


def test_processing_drain_workers_default_to_one_and_may_be_none():
    assert config_from_dict(BASE).processing.drain_workers == 1
    assert config_from_dict(merged(processing={"drain_workers": 0})).processing.drain_workers == 0


def test_example_config_loads():
    """The shipped config.example.toml is valid (with its secret file present)."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "config.example.toml").read_text())
    data["security"] = {"secret": "x" * 32}
    cfg = config_from_dict(data, base_dir=root)
    assert cfg.mail.domain == "proposals.example.com"
