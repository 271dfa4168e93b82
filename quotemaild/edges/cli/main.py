"""`quotemaild` command line: the stable contract for scripts and ops (see README)."""

from __future__ import annotations

import click

from quotemaild import __version__
from quotemaild.edges.cli import admin, messages, outbound, requests, tenants
from quotemaild.edges.cli.context import AppContext


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    envvar="QUOTEMAILD_CONFIG",
    metavar="PATH",
    help="Config file (TOML). Also from $QUOTEMAILD_CONFIG.",
)
@click.version_option(__version__, prog_name="quotemaild")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """quotemaild turns e-mail sent to a tenant's proposals address into quote requests.

    Every command that prints data takes --json: then stdout holds exactly one JSON
    document, and logs and errors go to stderr. Exit codes: 0 ok, 1 error, 2 usage,
    3 not found, 4 invalid input, 5 config error, 6 store unavailable.
    """
    ctx.obj = AppContext(config_path)


for module in (admin, tenants, requests, messages, outbound):
    module.register(cli)


def main() -> None:
    cli(prog_name="quotemaild")
