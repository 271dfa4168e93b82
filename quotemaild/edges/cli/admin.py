"""Daemon and maintenance commands: serve, migrate, check-config, reprocess."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import click

from sqlalchemy import select
from sqlalchemy.engine import make_url

from quotemaild import wiring
from quotemaild.edges.cli.context import AppContext, emit, fail, handle_errors, pass_app
from quotemaild.edges.cli.toml_out import to_toml
from quotemaild.edges.pipeline import process_one
from quotemaild.errors import InvalidInput, StoreUnavailable
from quotemaild.services.ingest import IngestResult, reset_for_reprocess
from quotemaild.store import db
from quotemaild.store.models import RawMessage
from quotemaild.store.probe import probe_store
from quotemaild.store.queries import failed_raw_ids


@click.command()
@pass_app
@handle_errors
def serve(app: AppContext) -> None:
    """Run the daemon: SMTP (and LMTP) listeners, IMAP sources, commit writer, processing
    worker, outbox delivery, [http] health/metrics.

    SIGTERM/SIGINT drain and exit 0 (new sessions get 421, DATA in flight may finish within
    shutdown_grace); SIGHUP reloads the config file and tenants. systemd Type=notify aware.
    """
    from quotemaild import daemon

    asyncio.run(daemon.run(app.config))


@click.command()
@pass_app
@handle_errors
def migrate(app: AppContext) -> None:
    """Create or upgrade the database schema to the current version."""
    db.migrate(app.engine)
    click.echo("schema is current", err=True)


@click.command("check-config")
@click.option("--json", "as_json", is_flag=True, help="Print the effective config as JSON.")
@pass_app
@handle_errors
def check_config(app: AppContext, as_json: bool) -> None:
    """Validate the config file and print the effective settings (secrets masked).

    Also checks that the store URL is usable (connects read-only; creates nothing). Exit 0 ok,
    5 the file or a value in it is wrong (the key is named), 6 the store does not answer.
    """
    cfg = effective_config(app)
    try:
        store = {"ok": True, **probe_store(app.config.store)}
    except StoreUnavailable as exc:
        store = {"ok": False, "error": str(exc)}
    cfg["checks"] = {"listeners": "ok", "store": store}
    cfg["warnings"] = config_warnings(app)
    for warning in cfg["warnings"]:
        click.echo(f"quotemaild: warning: {warning}", err=True)
    emit(cfg, as_json, _config_text)
    if not store["ok"]:
        fail(f"store.url: store unavailable: {store['error']}", "store")


def effective_config(app: AppContext) -> dict[str, Any]:
    cfg = dataclasses.asdict(app.config)
    cfg["security"]["secret"] = "***" if cfg["security"]["secret"] else ""
    cfg["smtp"]["listen"] = str(app.config.smtp.listen)
    lmtp_listen = app.config.lmtp.listen
    cfg["lmtp"]["listen"] = str(lmtp_listen) if lmtp_listen else None
    cfg["http"]["listen"] = str(app.config.http.listen) if app.config.http.listen else None
    cfg["store"]["url"] = make_url(app.config.store.url).render_as_string(hide_password=True)
    cfg["state_dir"] = str(cfg["state_dir"])
    cfg["source"] = str(cfg["source"]) if cfg["source"] else None
    smarthost = app.config.outbound.smarthost
    cfg["outbound"]["smarthost"] = str(smarthost) if smarthost else None
    if cfg["outbound"].get("password"):
        cfg["outbound"]["password"] = "***"
    if "private_key" in cfg.get("dkim", {}):
        cfg["dkim"]["private_key"] = "***" if cfg["dkim"]["private_key"] else None
    return cfg


def config_warnings(app: AppContext) -> list[str]:
    """What works but will surprise: settings that keep mail from leaving."""
    warnings = []
    if app.config.outbound.smarthost is None:
        warnings.append("outbound.smarthost is not set: acknowledgements, replies and quotes stay queued "
                        "and nothing leaves (set it to your MTA, e.g. smarthost = \"127.0.0.1:25\")")
    return warnings


def _config_text(cfg: dict[str, Any]) -> str:
    """The effective settings as TOML, as one would write them in the file, then the checks."""
    settings = {k: v for k, v in cfg.items() if k not in ("checks", "warnings", "source")}
    store = cfg["checks"]["store"]
    detail = f"{store.get('backend')}, schema {store.get('schema')}" if store["ok"] else store["error"]
    head = [f"# config ok: {cfg['source'] or '(built-in defaults)'}"]
    tail = ["", f"# check listeners: {cfg['checks']['listeners']}",
            f"# check store: {'ok' if store['ok'] else 'FAILED'} ({detail})"]
    tail += [f"# warning: {w}" for w in cfg["warnings"]]
    return "\n".join(head) + "\n" + to_toml(settings) + "\n" + "\n".join(tail)


@click.command()
@click.argument("raw_id", required=False, type=int)
@click.option("--failed", is_flag=True, help="Re-process every message whose processing failed.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def reprocess(app: AppContext, raw_id: int | None, failed: bool, as_json: bool) -> None:
    """Run processing again for stored message RAW_ID (see `request show`: raw_id), or --failed.

    What earlier processing derived from the message is replaced; the raw copy is never touched.
    """
    if (raw_id is None) == (not failed):
        raise InvalidInput("RAW_ID", "give a raw message id or --failed (one of them)")
    with app.reading() as session:
        ids = list(failed_raw_ids(session)) if failed else [raw_id]
        purged = set(session.scalars(select(RawMessage.id).where(RawMessage.id.in_(ids), RawMessage.purged_at.is_not(None))))
    if purged and not failed:
        raise InvalidInput("RAW_ID", f"raw message {raw_id} was purged by [retention] raw_days: nothing to re-process")
    ids = [one for one in ids if one not in purged]
    # The daemon's own settings, signer included, so a reply found only by our signed Reply-To or
    # Message-ID joins its request here too. Not its acknowledgement hook: a message processed
    # again may be days old, and a late "we received your request" would mislead.
    settings, _acknowledge = wiring.processing_side(app.config, app.clock)
    results = []
    for one in ids:
        assert one is not None
        with app.transaction() as session:
            reset_for_reprocess(session, one)
        outcome = process_one(app.sessions, one, settings, app.clock)
        result = outcome if isinstance(outcome, IngestResult) else None
        results.append(
            {
                "raw_id": one,
                "ok": result is not None,
                "request_id": result.request_id if result else None,
                "verdict": result.decision.verdict if result else "failed",
            }
        )
    emit(results, as_json, lambda rows: "\n".join(
        f"raw {r['raw_id']}: {'ok' if r['ok'] else 'FAILED'} request={r['request_id']}" for r in rows
    ) or "nothing to re-process")


def register(cli: click.Group) -> None:
    for command in (serve, migrate, check_config, reprocess):
        cli.add_command(command)
