"""The `source` CLI: add-imap validation, list --json as one document, remove; no secret in the DB."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import store_url


@pytest.fixture
def tenant(run_cli) -> str:
    run_cli("tenant", "add", "Acme", "--slug", "acme")
    return "acme"


def test_add_list_remove(run_cli, tenant, tmp_path):
    """add-imap prints the source; list --json is exactly one JSON list; remove deletes it."""
    pw = tmp_path / "pw"
    pw.write_text("hunter2-secret\n")
    pw.chmod(0o600)
    added = json.loads(run_cli("source", "add-imap", "--tenant", tenant, "--host", "imap.example.org", "--tls", "starttls",
                               "--user", "offers@acme.example", "--password-file", str(pw), "--move-to", "Done", "--json").stdout)
    assert (added["port"], added["auth"], added["state"], added["folder"], added["move_to"]) == (143, "password", "new", "INBOX", "Done")
    listed = json.loads(run_cli("source", "list", "--json").stdout)
    assert [s["id"] for s in listed] == [added["id"]]
    assert {"state", "last_error", "last_success_at", "imported", "backoff_seconds"} <= set(listed[0])
    db = create_engine(store_url(tmp_path))
    with db.connect() as conn:
        dump = "\n".join(str(row) for row in conn.execute(text("SELECT * FROM imap_sources")))
    db.dispose()
    assert "hunter2" not in dump and str(pw) in dump
    assert json.loads(run_cli("source", "remove", str(added["id"]), "--json").stdout) == {"id": added["id"], "removed": True}
    assert json.loads(run_cli("source", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--password-file", "/nonexistent/pw"], 4, "password-file"),
        ([], 4, "--password-file or --token-command"),
        (["--token-command", "echo t", "--tenant", "ghost"], 3, "tenant ghost not found"),
        (["--token-command", "echo t", "--move-to", "INBOX"], 4, "move-to"),
    ],
)
def test_add_imap_refuses_bad_input(run_cli, tenant, args, code, needle):
    """Bad input exits with the documented code and a message on stderr, nothing on stdout."""
    base = ["source", "add-imap", "--tenant", tenant, "--host", "imap.example.org", "--user", "u"]
    result = run_cli(*base, *args, expect=code)
    assert needle in result.stderr
    assert result.stdout == ""


def test_remove_unknown_source_is_not_found(run_cli):
    """`source remove` of an unknown id exits 3."""
    assert "source 99 not found" in run_cli("source", "remove", "99", expect=3).stderr
