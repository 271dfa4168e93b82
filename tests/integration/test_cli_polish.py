"""What a new user meets first: the config found without an export, check-config in TOML with a
smarthost warning, header rows and a tenant column in lists, a hint when assigning an unknown user."""

from __future__ import annotations

import json
import tomllib

from click.testing import CliRunner

from quotemaild.edges.cli.context import find_config
from quotemaild.edges.cli.main import cli
from tests.conftest import config_dict, make_mail, write_config
from tests.integration.test_cli import store_raw


def j(run_cli, *args: str, expect: int = 0):
    return json.loads(run_cli(*args, "--json", expect=expect).stdout)


def test_config_is_found_in_the_working_directory(tmp_path, monkeypatch):
    """Without --config or $QUOTEMAILD_CONFIG, ./quotemaild.toml is used; without it, exit 5 naming
    both places looked at."""
    monkeypatch.delenv("QUOTEMAILD_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    missing = CliRunner().invoke(cli, ["tenant", "list"])
    assert missing.exit_code == 5
    assert "./quotemaild.toml, /etc/quotemaild/quotemaild.toml" in missing.stderr
    write_config(tmp_path / "quotemaild.toml", config_dict(tmp_path))
    found = CliRunner().invoke(cli, ["tenant", "add", "Acme", "--slug", "acme", "--json"])
    assert found.exit_code == 0, found.stderr
    assert json.loads(found.stdout)["slug"] == "acme"


def test_find_config_order(tmp_path):
    """The first existing file of the search list wins (the working directory before /etc)."""
    here, etc = tmp_path / "quotemaild.toml", tmp_path / "etc.toml"
    assert find_config((here, etc)) is None
    etc.write_text("")
    assert find_config((here, etc)) == etc
    here.write_text("")
    assert find_config((here, etc)) == here


def test_check_config_prints_toml_and_warns_without_smarthost(run_cli):
    """The text output parses as TOML with the values as written; no smarthost: a warning on stderr,
    in the JSON, and exit 0 all the same."""
    result = run_cli("check-config")
    assert "outbound.smarthost is not set" in result.stderr
    parsed = tomllib.loads(result.stdout)
    assert parsed["smtp"]["listen"] == "127.0.0.1:0" and parsed["security"]["secret"] == "***"
    assert parsed["retention"]["raw_days"] == 0 and parsed["mail"]["max_message_size"] == 52428800
    assert "smarthost" not in parsed["outbound"] and "# smarthost = (not set)" in result.stdout
    assert j(run_cli, "check-config")["warnings"][0].startswith("outbound.smarthost is not set")


def test_lists_have_a_header_and_a_tenant_column_across_tenants(run_cli):
    """request list without --tenant shows TENANT first; with --tenant it does not; tenant, user and
    message lists print a header row."""
    acme = j(run_cli, "tenant", "add", "Acme", "--slug", "acme")
    other = j(run_cli, "tenant", "add", "Other", "--slug", "other")
    store_raw(run_cli.config_path, acme["id"], make_mail(subject="Ramen"))
    store_raw(run_cli.config_path, other["id"], make_mail(subject="Deuren", message_id="<m2@example.org>"),
              rcpt_to="other@proposals.example.test")
    across = run_cli("request", "list").stdout.splitlines()
    assert across[0].split()[:3] == ["TENANT", "ID", "STATUS"]
    assert sorted(line.split()[0] for line in across[1:]) == ["acme", "other"]
    one = run_cli("request", "list", "--tenant", "acme").stdout.splitlines()
    assert one[0].split()[:2] == ["ID", "STATUS"] and len(one) == 2
    assert run_cli("tenant", "list").stdout.splitlines()[0].split() == ["SLUG", "LANG", "ADDRESS", "NAME"]
    assert run_cli("message", "list").stdout.splitlines()[0].split()[:2] == ["TENANT", "ID"]
    run_cli("user", "add", "--tenant", "acme", "--name", "Jan", "--email", "jan@acme.be")
    assert run_cli("user", "list", "--tenant", "acme").stdout.splitlines()[0].split() == ["ID", "EMAIL", "ROLE",
                                                                                         "NAME"]
    assert run_cli("outbox", "list").stdout.strip() == "(outbox empty)"
    run_cli("token", "create", "--tenant", "acme", "--name", "invoicing")
    tokens = run_cli("token", "list").stdout.splitlines()
    assert tokens[0].split()[:3] == ["TENANT", "ID", "NAME"] and tokens[1].startswith("acme")


def test_assigning_an_unknown_user_says_how_to_add_one(run_cli):
    acme = j(run_cli, "tenant", "add", "Acme", "--slug", "acme")
    store_raw(run_cli.config_path, acme["id"], make_mail())
    request_id = j(run_cli, "request", "list")[0]["id"]
    result = run_cli("request", "assign", str(request_id), "piet@acme.be", expect=3)
    assert "quotemaild user add --tenant acme --name NAME --email piet@acme.be" in result.stderr
