"""EU VIES REST client (`POST {url}/check-vat-number`), stdlib only.

Request `{"countryCode": "BE", "vatNumber": "0477472701"}`; the answer carries `valid` (or
`isValid`), `name`, `address`, `requestDate`. VIES reports a member state's service being down
as `actionSucceed: false` with `errorWrappers` (MS_UNAVAILABLE, TIMEOUT...). Every failure to get
an answer — refused connection, timeout, HTTP error, garbage — becomes RemoteUnavailable.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

from quotemaild.errors import RemoteUnavailable
from quotemaild.services.vies import VatLookupResult

DEFAULT_URL = "https://ec.europa.eu/taxation_customs/vies/rest-api"
SERVICE = "VIES"


class HttpVies:
    def __init__(self, url: str = DEFAULT_URL, timeout: float = 10.0) -> None:
        self.endpoint = url.rstrip("/") + "/check-vat-number"
        self.timeout = timeout

    def lookup(self, country: str, number: str) -> VatLookupResult:
        body = json.dumps({"countryCode": country, "vatNumber": number}).encode()
        req = urllib.request.Request(
            self.endpoint, data=body, method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                data = json.loads(response.read(1_000_000))
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the response
            raise RemoteUnavailable(SERVICE, f"HTTP {exc.code} from {self.endpoint}") from exc
        except urllib.error.URLError as exc:
            raise RemoteUnavailable(SERVICE, f"cannot reach {self.endpoint}: {exc.reason}") from exc
        except (TimeoutError, socket.timeout) as exc:
            raise RemoteUnavailable(SERVICE, f"no answer from {self.endpoint} within {self.timeout:g}s") from exc
        except (ValueError, OSError) as exc:
            raise RemoteUnavailable(SERVICE, f"unreadable answer from {self.endpoint}: {exc}") from exc
        return _result(data, country, number)


def _result(data: Any, country: str, number: str) -> VatLookupResult:
    if not isinstance(data, dict):
        raise RemoteUnavailable(SERVICE, "the answer is not a JSON object")
    if data.get("actionSucceed") is False or data.get("errorWrappers"):
        errors = data.get("errorWrappers") or [{}]
        code = str(errors[0].get("error") or "error")
        raise RemoteUnavailable(SERVICE, f"{code} {errors[0].get('message') or ''}".strip())
    valid = data.get("valid", data.get("isValid"))
    if not isinstance(valid, bool):
        raise RemoteUnavailable(SERVICE, "the answer has no valid/isValid flag")
    return VatLookupResult(
        country=str(data.get("countryCode") or country),
        number=str(data.get("vatNumber") or number),
        valid=valid,
        name=_clean(data.get("name")),
        address=_clean(data.get("address")),
        request_date=str(data.get("requestDate") or ""),
    )


def _clean(value: Any) -> str:
    """VIES writes '---' when a member state does not share the data."""
    text = str(value or "").strip()
    return "" if text in ("---", "--") else text


def client_for(config: Any) -> HttpVies:
    """The client for a loaded config's `[vies]` (url, timeout); the public service without one."""
    vies = getattr(config, "vies", None)
    return HttpVies(vies.url, vies.timeout) if vies is not None else HttpVies()
