"""`quotemaild tenant ...`: the businesses that own proposals addresses."""

from __future__ import annotations

import click

from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.edges.cli.tables import Column, table
from quotemaild.edges.cli.tenant_profile import apply_profile, pop_profile, profile_options
from quotemaild.services.tenants import (
    LANGUAGES,
    NewTenant,
    TenantUpdate,
    add_tenant,
    get_tenant,
    list_tenants,
    update_tenant,
)
from quotemaild.services.tenant_profile import profile_view
from quotemaild.store.queries import tenant_view


@click.group()
def tenant() -> None:
    """Manage tenants (businesses with a proposals address)."""


@tenant.command("add")
@click.argument("name")
@click.option("--slug", help="Local part of the address; default: the name plus a short number.")
@click.option("--language", type=click.Choice(LANGUAGES), default="nl", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def tenant_add(app: AppContext, name: str, slug: str | None, language: str, as_json: bool) -> None:
    """Add a tenant called NAME and print its proposals address."""
    with app.transaction() as session:
        created = add_tenant(session, NewTenant(name=name, slug=slug, language=language), app.clock)
        view = tenant_view(created, app.config.mail.domain)
    emit(view, as_json, lambda v: f"tenant {v['slug']} created: forward quote requests to {v['address']}")


@tenant.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def tenant_list(app: AppContext, as_json: bool) -> None:
    """List tenants."""
    with app.reading() as session:
        views = [tenant_view(t, app.config.mail.domain) for t in list_tenants(session)]
    emit(views, as_json, lambda vs: table(vs, TENANT_COLUMNS, "(no tenants)"))


TENANT_COLUMNS = [
    Column("SLUG", lambda v: v["slug"]),
    Column("LANG", lambda v: v["language"]),
    Column("ADDRESS", lambda v: v["address"]),
    Column("NAME", lambda v: v["name"]),
]


@tenant.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def tenant_show(app: AppContext, slug: str, as_json: bool) -> None:
    """Show one tenant."""
    with app.reading() as session:
        view = tenant_view(get_tenant(session, slug), app.config.mail.domain)
    emit(view, as_json)


@tenant.command("update")
@click.argument("slug")
@click.option("--name", metavar="NAME", help="The tenant's name (its slug and proposals address stay).")
@click.option("--language", type=click.Choice(LANGUAGES), help="Language of mails and status labels.")
@click.option("--customer-number-format", metavar="F",
              help="Format of new customer numbers, e.g. 'C{year}{seq:04}' ({year}, {month}, {seq}).")
@click.option("--auto-reply", type=click.Choice(["on", "off"]), help="Acknowledge new requests automatically.")
@click.option("--sender-mode", type=click.Choice(["tenant", "own"]),
              help="tenant: send from the proposals address (answers come back); own: from the own address.")
@click.option("--own-address", multiple=True, metavar="ADDR",
              help="An address of the business itself (forwards from it are unwrapped); repeatable, added.")
@click.option("--own-domain", multiple=True, metavar="DOMAIN",
              help="A domain of the business itself; repeatable, added.")
@click.option("--clear-own", is_flag=True, default=None, help="Forget the own addresses and domains first.")
@click.option("--quote-number-format", metavar="F", help="Format of new quote numbers, e.g. 'OF-{year}-{seq:04}'.")
@click.option("--quote-validity-days", type=int, metavar="N", help="New quotes are valid N days (0-365).")
@profile_options
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def tenant_update(app: AppContext, slug: str, as_json: bool, **options: object) -> None:
    """Change settings of tenant SLUG; options left out keep their value.

    Each option is a field of services.tenants.TenantUpdate with the same name, or a field of the
    company profile printed on documents (see `tenant profile`).
    """
    given = {k: v for k, v in options.items() if v is not None and v != ()}  # () = a multiple option left out
    profile = pop_profile(given)
    changes = TenantUpdate(**given)  # type: ignore[arg-type]
    with app.transaction() as session:
        apply_profile(session, slug, profile)
        view = tenant_view(update_tenant(session, slug, changes), app.config.mail.domain)
    if changes.sender_mode == "own":
        click.echo(
            "warning: in 'own' sender mode mail goes out From the business's own address: customers' "
            "answers will not come back to the request, and that domain's SPF/DKIM must allow our smarthost",
            err=True,
        )
    emit(view, as_json)


@tenant.command("profile")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def tenant_profile(app: AppContext, slug: str, as_json: bool) -> None:
    """Show the company data printed on quotes (set with `tenant update SLUG --legal-name ...`)."""
    with app.reading() as session:
        view = profile_view(get_tenant(session, slug))
    emit(view, as_json, _profile_text)


def _profile_text(view: dict[str, object]) -> str:
    lines = []
    for key, value in view.items():
        if isinstance(value, dict) and key in ("terms", "signature"):
            lines.extend(f"{key}[{lang}]: {' / '.join(str(text).splitlines())}" for lang, text in value.items())
        elif isinstance(value, dict):
            lines.append(f"{key}: {value.get('type')} ({value.get('size')} bytes)")
        else:
            lines.append(f"{key}: {'-' if value is None else value}")
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    cli.add_command(tenant)
