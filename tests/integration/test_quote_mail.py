"""A quote sent via its request with the real daemon: smarthost delivery (aiosmtpd capture), the
signed accept link over real HTTP, a forged link refused, and the customer's answer threading back."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re

import aiosmtplib
import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.edges.cli.main import cli
from quotemaild.edges.quote_links import LINK_ACTOR
from quotemaild.store.models import Message, QuoteRequest, TimelineEvent
from tests.conftest import DOMAIN, config_dict, make_mail, start_daemon, write_config
from tests.support.smtp_capture import CaptureServer

PUBLIC = "https://quotes.example.test"


@pytest.fixture
async def world(tmp_path):
    with CaptureServer() as smarthost:
        data = config_dict(
            tmp_path,
            outbound={"smarthost": f"{smarthost.host}:{smarthost.port}", "poll_interval": 0.2, "public_url": PUBLIC},
            http={"listen": "127.0.0.1:0"},
        )
        cfg_path = write_config(tmp_path / "config.toml", data)
        running = await start_daemon(config_from_dict(data), slugs=("acme",))

        async def run(*args: str) -> dict:
            result = await asyncio.to_thread(
                CliRunner().invoke, cli, ["--config", str(cfg_path), *args, "--json"], catch_exceptions=False
            )
            assert result.exit_code == 0, result.stderr
            return json.loads(result.stdout)

        async with httpx.AsyncClient(base_url=f"http://{running.daemon.http.address}", timeout=5) as client:
            yield running, smarthost, run, client
        await daemon_mod.stop(running.daemon, grace=2)
        running.sessions.kw["bind"].dispose()


async def wait_mail(smarthost: CaptureServer, count: int) -> list[email.message.EmailMessage]:
    captured = await asyncio.to_thread(smarthost.wait_for, count, 15.0)
    return [email.message_from_bytes(m.data, policy=email.policy.default) for m in captured]  # type: ignore[misc]


async def test_quote_mail_accept_link_and_reply_thread_back(world):
    """`quote send` delivers from the tenant address with the PDF and signed links; the accept link
    (GET shows a button, POST decides) moves the request to accepted; forged links get 404; the
    other decision afterwards 410; the customer's answer lands in the same request."""
    running, smarthost, run, client = world
    await aiosmtplib.send(make_mail(subject="Prijs voor ramen", sender="klant@example.org"),
                          hostname=running.host, port=running.port, sender="klant@example.org",
                          recipients=[running.address("acme")])
    await running.wait_processed(1)
    request_id = (await run("request", "list"))[0]["id"]
    quote = await run("quote", "create", "--request", str(request_id), "--line", "Ramen;12;450;21;st")
    sent = await run("quote", "send", str(quote["id"]))
    assert sent["loops_back"] is True

    mails = await wait_mail(smarthost, 2)  # the acknowledgement, then the quote
    (mail,) = [m for m in mails if m["Subject"].startswith("Offerte ")]
    assert mail["From"].addresses[0].addr_spec == f"acme@{DOMAIN}"
    assert mail["To"].addresses[0].addr_spec == "klant@example.org"
    assert "Auto-Submitted" not in mail
    (pdf,) = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"{quote['number']}.pdf"
    assert pdf.get_content().startswith(b"%PDF-")
    text = mail.get_body(("plain",)).get_content()
    assert quote["number"] in text and "€ 6.534,00" in text
    accept = re.search(rf"{re.escape(PUBLIC)}(/q/{quote['id']}/accept/[a-z2-7]{{16}})", text).group(1)
    reject = re.search(rf"{re.escape(PUBLIC)}(/q/{quote['id']}/reject/[a-z2-7]{{16}})", text).group(1)

    shown = await run("request", "show", str(request_id))
    assert shown["status"] == "quote_sent"
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds.index("quote_created") < kinds.index("quote_sent")
    assert [m["kind"] for m in shown["messages"] if m["direction"] == "out"][-1] == "quote"
    assert shown["messages"][-1]["attachments"][0]["filename"] == f"{quote['number']}.pdf"

    forged = accept[:-1] + ("a" if accept[-1] != "a" else "b")
    assert (await client.get(forged)).status_code == 404
    assert (await client.post(forged)).status_code == 404
    assert (await client.post(f"/q/{quote['id'] + 1}/accept/{accept[-16:]}")).status_code == 404

    page = await client.get(accept)  # a link scanner's GET decides nothing
    assert page.status_code == 200 and f'<form method="post" action="{accept}">' in page.text
    assert (await run("quote", "show", str(quote["id"])))["status"] == "sent"
    nameless = await client.post(accept)  # the name of the person who accepts is asked
    assert nameless.status_code == 422 and "Vul uw naam in" in nameless.text
    done = await client.post(accept, data={"name": "Jan Klant"}, headers={"X-Forwarded-For": "203.0.113.7"})
    assert done.status_code == 200 and "Bedankt" in done.text and done.headers["cache-control"] == "no-store"
    assert (await client.post(accept, data={"name": "Jan Klant"})).status_code == 200  # twice: harmless
    assert (await client.post(reject)).status_code == 410
    assert (await client.get(reject)).status_code == 410

    with running.sessions() as s:
        request = s.get(QuoteRequest, request_id)
        assert request.status == "accepted"
        events = s.scalars(select(TimelineEvent).where(TimelineEvent.request_id == request_id)).all()
        decided = [e for e in events if e.kind == "quote_accepted"]
        assert len(decided) == 1 and decided[0].actor == LINK_ACTOR
        assert decided[0].detail["name"] == "Jan Klant"
        assert decided[0].detail["address"] == "203.0.113.7"  # the proxy on 127.0.0.1 named the client
        quote_message_id = s.scalar(select(Message.message_id).where(Message.kind == "quote"))

    answer = make_mail(subject=f"Re: {mail['Subject']}", sender="klant@example.org", to=mail["Reply-To"],
                       message_id="<answer@example.org>", body="Akkoord, wanneer kunt u plaatsen?\n",
                       extra=f"In-Reply-To: {quote_message_id}\r\nReferences: {quote_message_id}")
    await aiosmtplib.send(answer, hostname=running.host, port=running.port, sender="klant@example.org",
                          recipients=[mail["Reply-To"]])
    await running.wait_processed(2)
    with running.sessions() as s:
        assert s.scalar(select(Message.request_id).where(Message.message_id == "<answer@example.org>")) == request_id
        assert len(s.scalars(select(QuoteRequest)).all()) == 1


async def test_quote_send_with_an_edited_text_from_the_cli(world, tmp_path):
    """`quote send --subject --body-file` replaces the standard text for that sending: the mail
    the smarthost receives carries it, with the PDF (a refused subject: see test_web_pages)."""
    running, smarthost, run, _client = world
    await aiosmtplib.send(make_mail(subject="Prijs dakgoot", sender="klant@example.org"),
                          hostname=running.host, port=running.port, sender="klant@example.org",
                          recipients=[running.address("acme")])
    await running.wait_processed(1)
    request_id = (await run("request", "list"))[0]["id"]
    quote = await run("quote", "create", "--request", str(request_id), "--line", "Dakgoot;8;35;21;m")
    body = tmp_path / "body.txt"
    body.write_text("Beste klant,\n\nHierbij onze prijs voor de dakgoot, zoals besproken.\n", encoding="utf-8")
    await run("quote", "send", str(quote["id"]), "--subject", "Uw dakgoot", "--body-file", str(body))
    mails = await wait_mail(smarthost, 2)
    (mail,) = [m for m in mails if m["Subject"] == "Uw dakgoot"]
    assert "zoals besproken" in mail.get_body(("plain",)).get_content()
    assert [p.get_filename() for p in mail.iter_attachments()] == [f"{quote['number']}.pdf"]
