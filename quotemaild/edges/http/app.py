"""The app factory: /healthz, /metrics, the quote links, the JSON API under /api/v1, the web pages.

    create_app(sources, metrics, quote_links, api)
        /healthz, /metrics                  always (not in the OpenAPI document)
        /q/...                              the accept/reject links of quote mails (`quote_links`)
        /api/v1/...                         with `api` (an ApiContext): the JSON API (`api/`),
                                            its OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs
        web pages                           `include_web(app, api)` of `edges/http/web/`, when that
                                            package exists; it is the only hook for pages

How a page gets what a JSON route gets (see `deps.py`):
    actor     `actor: CurrentActor` (token or session cookie; tenant scoping is in it); a page that
              should redirect to the login form instead of a 401 catches NotAuthenticated, or
              reads the cookie itself with `web_sessions.resolve`
    store     `db: Reader` for pages that only read, `db: UoW` for POST handlers (committed when
              the handler returns)
    csrf      `request.state.csrf` after `CurrentActor` resolved a cookie session: put it in every
              form as `<input type=hidden name=csrf value="...">`; the check on POST is already
              done by `CurrentActor` (field `csrf` or header X-CSRF-Token)
    login     `edges/http/sessions.py`: do_login / set_session_cookie / do_logout
    errors    set `app.state.error_page = async (request, exc) -> Response` to draw HTTP errors
              outside /api/ as pages; /api/ always answers problem+json (`problems.py`)
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from quotemaild.edges.http import problems
from quotemaild.edges.http.client_gone import ClientGone
from quotemaild.edges.http.deps import ApiContext
from quotemaild.edges.http.health import HealthSources, health
from quotemaild.edges.metrics import Metrics
from quotemaild.edges.quote_links import QuoteLinks, router

API_PREFIX = "/api/v1"
WEB_MODULE = "quotemaild.edges.http.web"
UPLOAD_SLACK = 1 << 20  # the multipart envelope and text fields around the largest allowed files

DESCRIPTION = """quotemaild's JSON API: every workflow the CLI offers, for integrations and the web app.

Authenticate with `Authorization: Bearer <token>` (`quotemaild token create`) or, from a browser,
the session cookie set by `POST /api/v1/auth/login` (then send `X-CSRF-Token` on every change).
Errors are `application/problem+json` (RFC 9457); field names are those of the CLI's `--json` output.
"""


def create_app(
    sources: HealthSources, metrics: Metrics, quote_links: QuoteLinks | None = None, api: ApiContext | None = None
) -> FastAPI:
    if api is None:
        app = FastAPI(title="quotemaild", docs_url=None, redoc_url=None, openapi_url=None)
    else:
        app = FastAPI(title="quotemaild API", version="1", description=DESCRIPTION, redoc_url=None,
                      openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs")
    if quote_links is not None:
        app.include_router(router(quote_links), include_in_schema=False)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        code, body = await health(sources)
        return JSONResponse(body, status_code=code)

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(await asyncio.to_thread(metrics.render), media_type=CONTENT_TYPE_LATEST)

    if api is not None:
        from quotemaild.edges.http.api import api_router

        app.state.api = api
        problems.install(app)
        app.add_middleware(problems.BodyLimit, limit=api.max_upload + UPLOAD_SLACK)
        app.add_middleware(ClientGone)  # a client leaving /api/v1/events is not a server error
        app.include_router(api_router(), prefix=API_PREFIX)
        include_web(app, api)
    return app


def include_web(app: FastAPI, api: ApiContext) -> None:
    """The web pages, when `edges/http/web/` is installed: its `include_web(app, api)` adds them."""
    if importlib.util.find_spec(WEB_MODULE) is None:
        return
    web = importlib.import_module(WEB_MODULE)
    web.include_web(app, api)
