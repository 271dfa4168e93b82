"""A raw copy emptied by retention is never served or re-processed as if it were the mail."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import delete, update

from quotemaild.config import load_config
from quotemaild.store import db
from quotemaild.store.models import RawData, RawMessage
from tests.conftest import make_mail
from tests.integration.test_cli import store_raw


def test_purged_raw_copy_is_refused_by_message_raw_and_reprocess(run_cli):
    """`message raw` exits 3 and `reprocess RAW_ID` exits 4, both saying the copy was purged."""
    tenant = json.loads(run_cli("tenant", "add", "Acme", "--slug", "acme", "--json").stdout)
    raw_id = store_raw(run_cli.config_path, tenant["id"], make_mail())
    request = json.loads(run_cli("request", "list", "--json").stdout)[0]
    message_pk = json.loads(run_cli("request", "show", str(request["id"]), "--json").stdout)["messages"][0]["id"]

    engine = db.make_engine(load_config(run_cli.config_path).store)
    with db.make_sessionmaker(engine).begin() as s:
        s.execute(delete(RawData).where(RawData.raw_id == raw_id))  # what the retention task does
        s.execute(update(RawMessage).where(RawMessage.id == raw_id).values(purged_at=dt.datetime.now(dt.UTC)))
    engine.dispose()

    assert "purged" in run_cli("message", "raw", str(message_pk), expect=3).stderr
    assert "purged" in run_cli("reprocess", str(raw_id), expect=4).stderr
    shown = json.loads(run_cli("request", "show", str(request["id"]), "--json").stdout)
    assert shown["messages"][0]["text"].startswith("Graag een prijs")  # the parsed message stays
