"""The README's command summary names every command of the CLI and every exit code."""

from __future__ import annotations

import re
from pathlib import Path

import click

from quotemaild.edges.cli.context import EXIT
from quotemaild.edges.cli.main import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out.extend(commands(cmd, (*prefix, name)))
        else:
            out.append((*prefix, name))
    return out


def summary() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Command line"):]
    return section[:section.index("\n## ", 5)]


def test_every_command_is_in_the_summary():
    block = summary()
    missing = []
    for path in commands(cli):
        # "contact field add" may be written "contact field add"; a group's commands on one line as
        # "tenant add ... | tenant list" — each full path must appear literally.
        if not re.search(r"(?<![\w-])" + re.escape(" ".join(path)) + r"(?![\w-])", block):
            missing.append(" ".join(path))
    assert missing == []


def test_every_exit_code_is_in_the_table():
    block = summary()
    for code in EXIT.values():
        assert re.search(rf"^\| {code} \|", block, re.M), code
