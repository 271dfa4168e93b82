"""The sellers' web app: server-rendered pages on the daemon's HTTP listener.

    include_web(app, api)     the hook the app factory calls (`edges/http/app.py`)
    auth.py                   session -> user and language; /login, /logout, /me/language
    account.py                /me          one's own account and password
    inbox.py                  /            the requests, filters, counts, paging, live rows
    request_new.py            /requests/new  a request typed in by hand (after a phone call)
    request_page.py           /requests/{id} and its actions (reply, note, assign, status...)
    quote_actions.py          accept/reject by hand, new version, copy, delete a draft
    render.py                 Jinja2 + gettext; templates in quotemaild/web_templates/
    views.py                  presentation of service results (conversation, timeline texts)

Each page resolves the user from the session cookie (the API's sessions), calls the same
service its JSON twin under /api/v1 calls, and renders a template. Every form posts to a page
route that answers 303 (post/redirect/get), so the app works without JavaScript; the script in
web_static/app.js only adds live rows, keyboard shortcuts and live quote totals.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from quotemaild.edges.http.deps import ApiContext
from quotemaild.edges.http.problems import Problem, from_error
from quotemaild.errors import InvalidInput, QuotemailError
from quotemaild.edges.http.web import (account, auth, contact_card, contact_edit, contacts, inbox, quotes, request_new,
                                       request_page, settings, settings_company)
from quotemaild.edges.http.web.presence import Presence
from quotemaild.edges.http.web.read_marks import ReadMarks
from quotemaild.edges.http.web.render import Pages, static_dir


def include_web(app: FastAPI, api: ApiContext) -> None:
    pages = Pages()
    app.state.pages = pages
    app.state.presence = Presence()
    app.state.read_marks = ReadMarks()
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    app.add_exception_handler(auth.LoginRequired, auth.login_redirect)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(f"{static_dir()}/icon.svg", media_type="image/svg+xml")

    async def error_page(request: Request, exc: StarletteHTTPException) -> Response:
        request.state.lang = auth.browser_language(request)
        return pages.render(request, "error.html", exc.status_code, code=exc.status_code)

    app.state.error_page = error_page
    _pages_for_errors(app, pages)
    # request_new before request_page: /requests/new is not /requests/{id}.
    for module in (auth, account, inbox, request_new, request_page, quotes, contact_edit, contact_card, contacts,
                   settings, settings_company):
        app.include_router(module.router())


def _pages_for_errors(app: FastAPI, pages: Pages) -> None:
    """Outside /api/, our errors (404 across tenants, 403, a refused CSRF check...) are pages too.

    The API's problem+json handlers stay in charge of /api/; this wraps them."""
    for kind in (QuotemailError, Problem):
        api_handler = app.exception_handlers.get(kind)
        if api_handler is None:
            continue

        def make(api_handler=api_handler):  # noqa: ANN001, ANN202 - bind this loop's handler
            async def handle(request: Request, exc: Exception) -> Response:
                if request.url.path.startswith("/api/"):
                    return await api_handler(request, exc)
                status = exc.status if isinstance(exc, Problem) else from_error(exc).status  # type: ignore[arg-type]
                if status == 401:
                    return auth.login_redirect(request, auth.LoginRequired("/"))
                if not getattr(request.state, "lang", None):
                    request.state.lang = auth.browser_language(request)
                # a refused value (a file over the limit...) says what is wrong, in the page's language
                detail = pages.explain(request, exc) if isinstance(exc, InvalidInput) else ""
                return pages.render(request, "error.html", status, code=status, detail=detail)

            return handle

        app.add_exception_handler(kind, make())
