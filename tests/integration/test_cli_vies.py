"""`contact lookup-vat` against a fake VIES REST service on 127.0.0.1 (a real http.server in a
thread, same JSON shape), and a clear exit 7 when VIES is unreachable or answers an error."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from quotemaild.edges.cli.main import cli
from quotemaild.edges.vies import HttpVies
from quotemaild.errors import RemoteUnavailable
from tests.conftest import config_dict, write_config

KNOWN = {
    ("BE", "0477472701"): {"name": "ACME BV", "address": "Kerkstraat 1\n9000 Gent"},
    ("NL", "004495445B01"): {"name": "---", "address": "---"},
}


class FakeVies(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []
    mode = "ok"

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        if self.path != "/rest-api/check-vat-number":
            self._send(404, {"error": "not found"})
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeVies.requests.append(body)
        if FakeVies.mode == "ms_unavailable":
            self._send(200, {"actionSucceed": False,
                             "errorWrappers": [{"error": "MS_UNAVAILABLE", "message": "member state down"}]})
            return
        if FakeVies.mode == "http_500":
            self._send(500, {"error": "boom"})
            return
        known = KNOWN.get((body["countryCode"], body["vatNumber"]))
        self._send(200, {
            "countryCode": body["countryCode"], "vatNumber": body["vatNumber"],
            "requestDate": "2026-01-05T10:00:00.000Z", "valid": known is not None,
            "requestIdentifier": "", "name": (known or {}).get("name", "---"),
            "address": (known or {}).get("address", "---"),
        })

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def vies() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVies)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeVies.requests, FakeVies.mode = [], "ok"
    yield f"http://127.0.0.1:{server.server_address[1]}/rest-api"
    server.shutdown()
    server.server_close()
    thread.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(tmp_path: Path, url: str, *args: str) -> Result:
    cfg = write_config(tmp_path / "vies.toml", config_dict(tmp_path, vies={"url": url, "timeout": 2}))
    return CliRunner().invoke(cli, ["--config", str(cfg), "contact", "lookup-vat", *args], catch_exceptions=False)


def test_lookup_returns_company_data(tmp_path, vies):
    """A valid Belgian number in any spelling is sent compact and answered with name and address."""
    result = run(tmp_path, vies, "BE 0477.472.701", "--json")
    assert result.exit_code == 0, result.stderr
    assert FakeVies.requests == [{"countryCode": "BE", "vatNumber": "0477472701"}]
    assert json.loads(result.stdout) == {
        "vat_number": "BE 0477.472.701", "country": "BE", "valid": True, "name": "ACME BV",
        "address": "Kerkstraat 1\n9000 Gent", "request_date": "2026-01-05T10:00:00.000Z",
    }
    assert "ACME BV" in run(tmp_path, vies, "0477472701").stdout


def test_unknown_number_is_not_valid_and_hidden_data_is_empty(tmp_path, vies):
    """An unknown number is reported invalid (exit 0); VIES's '---' becomes empty text."""
    out = json.loads(run(tmp_path, vies, "BE0477472702", "--json").stdout)
    assert (out["valid"], out["name"]) == (False, "")
    hidden = json.loads(run(tmp_path, vies, "NL004495445B01", "--json").stdout)
    assert (hidden["valid"], hidden["name"], hidden["address"]) == (True, "", "")


@pytest.mark.parametrize("mode, words", [("ms_unavailable", "MS_UNAVAILABLE"), ("http_500", "HTTP 500")])
def test_vies_errors_exit_7(tmp_path, vies, mode, words):
    """A member state being down or an HTTP error is exit 7 with the reason on stderr."""
    FakeVies.mode = mode
    result = run(tmp_path, vies, "BE0477472701", "--json")
    assert result.exit_code == 7 and result.stdout == ""
    assert "VIES unavailable" in result.stderr and words in result.stderr


def test_unreachable_vies_exits_7(tmp_path):
    """Nothing listening (offline): exit 7 and a message naming the URL."""
    url = f"http://127.0.0.1:{free_port()}/rest-api"
    result = run(tmp_path, url, "BE0477472701")
    assert result.exit_code == 7
    assert "VIES unavailable" in result.stderr and "cannot reach" in result.stderr and url in result.stderr


def test_silent_server_times_out(tmp_path):
    """A server that accepts but never answers is a timeout, not a hang."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = HttpVies(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.3)
        with pytest.raises(RemoteUnavailable, match="VIES"):
            client.lookup("BE", "0477472701")


def test_not_a_vat_number_exits_4(tmp_path, vies):
    """Something that is not a VAT number is refused before any request."""
    result = run(tmp_path, vies, "12")
    assert result.exit_code == 4 and FakeVies.requests == []
