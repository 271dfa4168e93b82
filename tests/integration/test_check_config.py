"""`check-config`: the effective config with secrets masked, listeners and store checked, clear exit codes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import config_dict, is_postgresql, write_config
from tests.integration.daemon_proc import cli_inproc


def check(tmp_path, **sections):
    cfg = write_config(tmp_path / "c.toml", config_dict(tmp_path, **sections))
    return cli_inproc(cfg, "check-config", "--json")


def test_ok_prints_listeners_and_store_state(tmp_path, run_cli):
    """Exit 0; http.listen and the store check are in the document; the schema is reported."""
    out = json.loads(check(tmp_path, http={"listen": "127.0.0.1:9100"}).stdout)
    assert out["http"]["listen"] == "127.0.0.1:9100" and out["smtp"]["listen"] == "127.0.0.1:0"
    # SQLite: no file yet; PostgreSQL: the database exists, with no tables yet.
    backend, schema = ("postgresql", "empty") if is_postgresql() else ("sqlite", "absent")
    assert out["checks"]["store"] == {"ok": True, "backend": backend, "url": out["store"]["url"], "schema": schema,
                                      "detail": out["checks"]["store"]["detail"]}
    assert out["retention"] == {"raw_days": 0, "interval": 3600.0, "batch": 500} and out["shutdown_grace"] == 30.0
    run_cli("migrate")
    current = json.loads(run_cli("check-config", "--json").stdout)["checks"]["store"]
    assert current["schema"] == "current" and current["revision"]


def test_password_in_store_url_is_masked(tmp_path):
    """A password in store.url never reaches the output."""
    out = check(tmp_path, store={"url": "postgresql+nosuchdriver://q:hunter2@db/q"})
    assert "hunter2" not in out.stdout + out.stderr


@pytest.mark.parametrize(
    ("sections", "key"),
    [
        ({"http": {"listen": "localhost"}}, "http.listen"),
        ({"http": {"port": 80}}, "http.port"),
        ({"smtp": {"listen": "127.0.0.1:2525"}, "http": {"listen": "127.0.0.1:2525"}}, "http.listen"),
        ({"retention": {"raw_days": -1}}, "retention.raw_days"),
        ({"retention": {"days": 3}}, "retention.days"),
        ({"store": {"url": "not a url"}}, "store.url"),
        ({"store": {"url": "mysql+nosuchdriver://u@h/db"}}, "store.url"),
        ({"store": {"url": "sqlite://"}}, "store.url"),
    ],
)
def test_bad_values_exit_5_naming_the_key(tmp_path, sections, key):
    """A listener that does not parse, an unknown key or an unusable URL: exit 5, key named, stdout empty."""
    result = check(tmp_path, **sections)
    assert result.returncode == 5, result.stderr
    assert f"config: {key}:" in result.stderr and result.stdout == ""


def test_top_level_shutdown_grace_must_be_a_number(tmp_path):
    """shutdown_grace = "soon" is refused naming the key."""
    data = config_dict(tmp_path)
    data["shutdown_grace"] = "soon"
    result = cli_inproc(write_config(tmp_path / "c.toml", data), "check-config")
    assert result.returncode == 5 and "config: shutdown_grace:" in result.stderr


def test_store_that_cannot_be_created_exits_6(tmp_path):
    """An SQLite path below a regular file: the document says why, exit 6."""
    (tmp_path / "afile").write_text("x")
    result = check(tmp_path, store={"url": f"sqlite:///{tmp_path}/afile/q.db"})
    assert result.returncode == 6
    assert json.loads(result.stdout)["checks"]["store"]["ok"] is False
    assert "store.url" in result.stderr and "not a writable directory" in result.stderr


@pytest.mark.postgresql
def test_a_postgresql_server_that_does_not_answer_exits_6(tmp_path):
    """A PostgreSQL URL whose server is not there: the store check fails, exit 6, no password shown."""
    from tests.support.net import free_port

    result = check(tmp_path, store={"url": f"postgresql://q:hunter2@127.0.0.1:{free_port()}/q", "busy_timeout": 2})
    assert result.returncode == 6, result.stderr
    assert json.loads(result.stdout)["checks"]["store"]["ok"] is False and "cannot connect" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql+psycopg2://u@h/db", "oracle://u@h/db"])
def test_store_backends_other_than_sqlite_and_psycopg_are_refused(tmp_path, url):
    """Only sqlite:/// and postgresql+psycopg:// (or plain postgresql://) are accepted, by field."""
    result = check(tmp_path, store={"url": url})
    assert result.returncode == 5 and "config: store.url:" in result.stderr
