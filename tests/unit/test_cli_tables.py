"""Plain-text tables and TOML output of the CLI (pure)."""

from __future__ import annotations

import tomllib

from quotemaild.edges.cli.tables import Column, table
from quotemaild.edges.cli.toml_out import to_toml

COLS = [Column("ID", lambda r: r["id"], right=True, width=4), Column("NAME", lambda r: r["name"])]


def test_header_rows_and_empty():
    rows = [{"id": 1, "name": "Ann", "t": "acme"}, {"id": 22, "name": None, "t": "other"}]
    assert table(rows, COLS, "(none)") == "  ID  NAME\n   1  Ann\n  22  -"
    assert table([], COLS, "(none)") == "(none)"


def test_tenant_column_first_and_whitespace_folded():
    rows = [{"id": 1, "name": "Ann\nB", "t": "acme"}, {"id": 2, "name": "C", "t": "longer-slug"}]
    assert table(rows, COLS, "", tenant=lambda r: r["t"]).splitlines() == [
        "TENANT         ID  NAME", "acme            1  Ann B", "longer-slug     2  C"]


def test_toml_round_trips():
    settings = {"state_dir": "var", "flag": True, "smtp": {"listen": "127.0.0.1:25", "timeout": 300.0,
                                                           "names": ["a", "é\"b"], "unset": None}}
    text = to_toml(settings)
    assert "# unset = (not set)" in text
    assert tomllib.loads(text) == {"state_dir": "var", "flag": True,
                                   "smtp": {"listen": "127.0.0.1:25", "timeout": 300.0, "names": ["a", "é\"b"]}}
