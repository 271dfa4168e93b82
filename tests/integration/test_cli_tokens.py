"""`user add --password-file`, `user set-password`, `token create/list/revoke` through the real CLI."""

from __future__ import annotations

import json

from sqlalchemy import select

from quotemaild.clock import SystemClock
from quotemaild.config import load_config
from quotemaild.errors import NotAuthenticated
from quotemaild.services.identity import authenticate, verify_token
from quotemaild.store import db
from quotemaild.store.models import ApiToken, User


def j(run_cli, *args: str, expect: int = 0):
    return json.loads(run_cli(*args, "--json", expect=expect).stdout)


def sessions(run_cli):
    return db.make_sessionmaker(db.make_engine(load_config(run_cli.config_path).store))


def test_user_add_with_a_password_file_can_log_in_and_set_password_changes_it(run_cli, tmp_path):
    """The file's content (without its newline) is the password; only an argon2id hash is stored."""
    j(run_cli, "tenant", "add", "Acme", "--slug", "acme")
    pw = tmp_path / "pw"
    pw.write_text("first password 1\n")
    j(run_cli, "user", "add", "--tenant", "acme", "--name", "Jan", "--email", "jan@acme.test", "--password-file", str(pw))
    made = sessions(run_cli)
    with made() as s:
        stored = s.scalar(select(User.password_hash))
        assert stored.startswith("$argon2id$") and "first password" not in stored
        assert authenticate(s, "jan@acme.test", "first password 1").email == "jan@acme.test"
    pw.write_text("second password 2")
    out = j(run_cli, "user", "set-password", "JAN@acme.test", "--password-file", str(pw))
    assert out["email"] == "jan@acme.test" and out["sessions_ended"] == 0
    with made() as s:
        try:
            authenticate(s, "jan@acme.test", "first password 1")
            raise AssertionError("the old password still works")
        except NotAuthenticated:
            pass
        assert authenticate(s, "jan@acme.test", "second password 2").id == out["id"]
    made.kw["bind"].dispose()


def test_bad_password_files_exit_4_naming_the_option(run_cli, tmp_path):
    """A missing file or a too-short password: exit 4, the option named; nothing stored."""
    j(run_cli, "tenant", "add", "Acme", "--slug", "acme")
    r = run_cli("user", "add", "--tenant", "acme", "--name", "J", "--email", "j@acme.test",
                "--password-file", str(tmp_path / "missing"), expect=4)
    assert "--password-file" in r.stderr
    (tmp_path / "short").write_text("short")
    r = run_cli("user", "add", "--tenant", "acme", "--name", "J", "--email", "j@acme.test",
                "--password-file", str(tmp_path / "short"), expect=4)
    assert "password" in r.stderr
    assert j(run_cli, "user", "list", "--tenant", "acme") == []
    run_cli("user", "set-password", "nobody@acme.test", "--password-file", str(tmp_path / "short"), expect=4)
    (tmp_path / "ok").write_text("long enough password")
    run_cli("user", "set-password", "nobody@acme.test", "--password-file", str(tmp_path / "ok"), expect=3)


def test_token_create_list_revoke(run_cli):
    """create prints id and secret once; list never shows the secret; a revoked token stops verifying."""
    j(run_cli, "tenant", "add", "Acme", "--slug", "acme")
    made = j(run_cli, "token", "create", "--tenant", "acme", "--name", "invoicing", "--role", "admin")
    assert set(made) >= {"id", "token"} and made["token"].startswith("qmd_") and made["role"] == "admin"
    listed = j(run_cli, "token", "list")
    assert [(t["id"], t["name"], t["tenant"], t["revoked_at"]) for t in listed] == [(made["id"], "invoicing", "acme", None)]
    assert made["token"] not in json.dumps(listed)
    made_sessions = sessions(run_cli)
    with made_sessions() as s:
        assert s.scalar(select(ApiToken.token_hash)) != made["token"]
        actor, _ = verify_token(s, made["token"], SystemClock())
        assert (actor.tenant_slug, actor.role) == ("acme", "admin")
    revoked = j(run_cli, "token", "revoke", str(made["id"]))
    assert revoked["revoked_at"] is not None
    with made_sessions() as s:
        try:
            verify_token(s, made["token"], SystemClock())
            raise AssertionError("a revoked token still verifies")
        except NotAuthenticated:
            pass
    made_sessions.kw["bind"].dispose()
    run_cli("token", "revoke", "999", expect=3)
    run_cli("token", "create", "--tenant", "acme", "--name", "  ", expect=4)
