"""`quotemaild quote ...`: create from a request, show, pdf, send, accept, reject.

Every change is recorded on the request's timeline as `--actor` (default "cli").
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from quotemaild import wiring
from quotemaild.edges.cli.context import AppContext, emit, handle_errors, pass_app
from quotemaild.errors import InvalidInput
from quotemaild.services.quote_send import render_pdf_for, send_quote
from quotemaild.services.quotes import create_quote, decide_quote, get_quote, quote_view


def _text(view: dict[str, Any]) -> str:
    out = [f"quote {view['id']} {view['number']} [{view['status']}] for {view['contact']['name']}"
           f" (request {view['request_id']}), valid until {view['valid_until']}"]
    if view["notes"]:
        out.append("  notes: " + " ".join(view["notes"].split()))
    for line in view["lines"]:
        out.append(f"  {line['position']:>3}. {line['description']}  {line['quantity']} {line['unit']}"
                   f" x {line['unit_price']}  {line['vat_rate']}%  = {line['line_total']}")
    for t in view["totals"]["by_rate"]:
        out.append(f"  VAT {t['rate']}% on {t['base']}: {t['vat']}")
    out.append(f"  total excl. {view['totals']['excl']}  incl. {view['totals']['incl']} {view['currency']}")
    return "\n".join(out)


def show_quote(app: AppContext, quote_id: int, as_json: bool) -> None:
    with app.reading() as session:
        view = quote_view(session, get_quote(session, quote_id))
    emit(view, as_json, _text)


@click.group()
def quote() -> None:
    """Quotes made from a request: lines, totals per VAT rate, PDF, mail, decision."""


@quote.command("create")
@click.option("--request", "request_id", type=int, required=True, metavar="ID")
@click.option("--line", "lines", multiple=True, required=True, metavar="SPEC",
              help='"description;quantity;unit price;vat%[;unit[;discount%]]" (repeat; \\; for a ; in the text; '
                   "an empty VAT takes the contact's regime rate).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def quote_create(app: AppContext, request_id: int, lines: tuple[str, ...], as_json: bool) -> None:
    """Create a draft quote on REQUEST ID; the contact's data is copied onto it."""
    with app.transaction() as session:
        quote_id = create_quote(session, request_id, list(lines), app.actor, app.clock).id
    show_quote(app, quote_id, as_json)


@quote.command("show")
@click.argument("quote_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def quote_show(app: AppContext, quote_id: int, as_json: bool) -> None:
    """Show a quote: copied contact data, lines, totals per VAT rate."""
    show_quote(app, quote_id, as_json)


@quote.command("pdf")
@click.argument("quote_id", type=int)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: stdout).")
@pass_app
@handle_errors
def quote_pdf(app: AppContext, quote_id: int, output: Path | None) -> None:
    """The quote as PDF (the one that was sent, once it was sent)."""
    with app.reading() as session:
        data = render_pdf_for(session, get_quote(session, quote_id), app.config.mail.domain)
    if output is None:
        if sys.stdout.isatty():
            raise InvalidInput("output", "refusing to write a PDF to a terminal: redirect stdout or use --output")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)


@quote.command("send")
@click.argument("quote_id", type=int)
@click.option("--to", metavar="EMAIL", help="Another address (default: the contact's quote address).")
@click.option("--subject", metavar="TEXT", help="Another subject for this sending (default: the standard one).")
@click.option("--body-file", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="The mail text for this sending ('-' reads stdin; default: the standard text).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def quote_send(app: AppContext, quote_id: int, to: str | None, subject: str | None, body_file: Any,
               as_json: bool) -> None:
    """Mail the quote via its request (standard text per language, PDF attached, accept/reject links)."""
    body = body_file.read() if body_file is not None else None
    with app.transaction() as session:
        queued = send_quote(session, wiring.send_settings(app.config), quote_id, app.actor, app.clock, to=to,
                            subject=subject, body=body)
    if not queued.loops_back:
        click.echo("warning: sent from the tenant's own address; answers will not come back to this request", err=True)
    emit({"quote_id": quote_id, "message_id": queued.message_pk, "outbox_id": queued.outbox_id,
          "loops_back": queued.loops_back, "warnings": list(queued.warnings), "not_sent": queued.held},
         as_json, lambda r: (f"quote {quote_id} queued, not sent: {queued.held} (outbox {r['outbox_id']})"
                             if queued.held else f"quote {quote_id} queued (outbox {r['outbox_id']})"))


def _decide(action: str):  # type: ignore[no-untyped-def]
    @click.argument("quote_id", type=int)
    @click.option("--json", "as_json", is_flag=True)
    @pass_app
    @handle_errors
    def command(app: AppContext, quote_id: int, as_json: bool) -> None:
        with app.transaction() as session:
            decide_quote(session, quote_id, action, app.actor, app.clock)
        show_quote(app, quote_id, as_json)

    command.__doc__ = f"Record that the customer {'accepted' if action == 'accept' else 'rejected'} the quote."
    return quote.command(action)(command)


quote_accept = _decide("accept")
quote_reject = _decide("reject")


def register(cli: click.Group) -> None:
    from quotemaild.edges.cli import quote_manage  # noqa: F401  (attaches list, line, update... to `quote`)

    cli.add_command(quote)
