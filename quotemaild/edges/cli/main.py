"""`quotemaild` command line: the stable contract for scripts and ops (see README)."""

from __future__ import annotations

import click

from quotemaild import __version__
from quotemaild.edges.cli import (
    admin,
    contacts,
    contacts_io,
    messages,
    ops,
    outbound,
    quotes,
    request_workflow,
    requests,
    sources,
    tenants,
    tokens,
    users,
)
from quotemaild.edges.cli.context import DEFAULT_ACTOR, AppContext


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    envvar="QUOTEMAILD_CONFIG",
    metavar="PATH",
    help="Config file (TOML). Also from $QUOTEMAILD_CONFIG; else ./quotemaild.toml, "
         "then /etc/quotemaild/quotemaild.toml.",
)
@click.option(
    "--actor",
    envvar="QUOTEMAILD_ACTOR",
    default=DEFAULT_ACTOR,
    show_default=True,
    metavar="EMAIL",
    help="Who changes are recorded as on timelines and audit records. Also $QUOTEMAILD_ACTOR.",
)
@click.version_option(__version__, prog_name="quotemaild")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, actor: str) -> None:
    """quotemaild turns e-mail sent to a tenant's proposals address into quote requests.

    Every command that prints data takes --json: then stdout holds exactly one JSON
    document, and logs and errors go to stderr. Exit codes: 0 ok, 1 error, 2 usage,
    3 not found, 4 invalid input, 5 config error, 6 store unavailable,
    7 outside service (VIES) unavailable.
    """
    ctx.obj = AppContext(config_path, actor=actor.strip() or DEFAULT_ACTOR)


for module in (
    admin, tenants, users, requests, request_workflow, contacts, contacts_io, messages, outbound, quotes, sources, ops,
    tokens,
):
    module.register(cli)


def main() -> None:
    cli(prog_name="quotemaild")
