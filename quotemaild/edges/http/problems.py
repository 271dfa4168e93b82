"""Errors as `application/problem+json` (RFC 9457): one table from our error tree to HTTP.

    type                                         status  when
    .../problems/not-authenticated               401     no or bad credentials (WWW-Authenticate: Bearer)
    .../problems/forbidden                       403     the role does not allow it (seller -> admin route)
    .../problems/csrf, cross-origin              403     a cookie request without its CSRF token
    .../problems/not-found                       404     unknown id, or another tenant's (never 403)
    .../problems/invalid-transition              409     a status move the workflow forbids (CLI exit 4)
    .../problems/status-conflict                 409     a status its quotes contradict (CLI exit 4)
    .../problems/outbox-busy                     409     a retry of a mail a sender holds right now (CLI exit 4)
    .../problems/too-large                       413     an upload over the limit
    .../problems/invalid                         422     a field is wrong (`field` names it; CLI exit 4)
    .../problems/throttled                       429     too many failed logins (Retry-After)
    .../problems/store-unavailable               503     the store is locked or full (CLI exit 6)
    .../problems/remote-unavailable              503     EU VIES could not answer (CLI exit 7)
    .../problems/internal                        500     a bug: logged with its traceback, never shown

Outside /api/ (the quote links, the web pages), `app.state.error_page(request, HTTPException)`, when
the web layer sets it, draws every error as a page instead.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from quotemaild.errors import (
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    OutboxBusy,
    QuotemailError,
    RemoteUnavailable,
    StatusConflict,
    StoreError,
    StoreUnavailable,
    Throttled,
)
from quotemaild.logs import get_logger

log = get_logger(__name__)

TYPE_BASE = "https://quotemaild.invalid/problems/"
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """Raised by edges for what is not an error of the layers below (CSRF, size limits...)."""

    def __init__(self, status: int, slug: str, detail: str = "", headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail or slug)
        self.status, self.slug, self.detail, self.headers, self.extra = status, slug, detail, headers, extra


def problem(request: Request, status: int, slug: str, detail: str = "",
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": TYPE_BASE + slug, "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
            "instance": request.url.path, **extra}
    return JSONResponse(jsonable_encoder(body), status, headers=headers, media_type=MEDIA_TYPE)


def from_error(exc: QuotemailError) -> Problem:
    """Our error tree -> a Problem (the same meaning as the CLI's exit codes)."""
    match exc:
        case NotAuthenticated():
            return Problem(401, "not-authenticated", exc.problem, {"WWW-Authenticate": "Bearer"})
        case Forbidden():
            return Problem(403, "forbidden", str(exc))
        case NotFound():
            return Problem(404, "not-found", str(exc))
        case InvalidTransition():
            return Problem(409, "invalid-transition", str(exc), field=exc.field, status_now=exc.status)
        case StatusConflict():
            return Problem(409, "status-conflict", str(exc), field=exc.field, status_wanted=exc.status,
                           quotes=exc.quotes)
        case OutboxBusy():
            return Problem(409, "outbox-busy", exc.problem, field=exc.field, code=exc.code)
        case InvalidInput():
            # `code` names the problem for clients that say it in their own language
            return Problem(422, "invalid", exc.problem, field=exc.field, **({"code": exc.code} if exc.code else {}))
        case Throttled():
            return Problem(429, "throttled", str(exc), {"Retry-After": str(exc.retry_after)},
                           retry_after=exc.retry_after)
        case StoreUnavailable() | StoreError():
            return Problem(503, "store-unavailable", "the store cannot answer now; try again",
                           {"Retry-After": "5"})
        case RemoteUnavailable():
            return Problem(503, "remote-unavailable", str(exc), {"Retry-After": "60"})
        case _:
            return Problem(400, "error", str(exc))


def install(app: FastAPI) -> None:
    async def answer(request: Request, p: Problem) -> Response:
        page = getattr(request.app.state, "error_page", None)
        if page is not None and not request.url.path.startswith("/api/"):  # the web layer draws its own
            return await page(request, StarletteHTTPException(p.status, p.detail, p.headers))
        return problem(request, p.status, p.slug, p.detail, p.headers, **p.extra)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return await answer(request, exc)

    @app.exception_handler(QuotemailError)
    async def _ours(request: Request, exc: QuotemailError) -> Response:
        return await answer(request, from_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(part) for part in e.get("loc", ())[1:]) or None, "message": e.get("msg"),
                   "type": e.get("type")} for e in exc.errors()]
        first = errors[0]["field"] if errors else None
        return problem(request, 422, "invalid", errors[0]["message"] if errors else "invalid input",
                       field=first, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith("/api/"):
            page = getattr(request.app.state, "error_page", None)  # the web layer may draw its own
            if page is not None:
                return await page(request, exc)
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        slug = {401: "not-authenticated", 404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        return problem(request, exc.status_code, slug, str(exc.detail), exc.headers)

    @app.exception_handler(OperationalError)
    async def _store(request: Request, exc: OperationalError) -> Response:
        # locked, read-only or full: the driver's words stay in the log, the client may retry
        log.warning("http_store_unavailable", path=request.url.path[:200], error=str(exc.orig)[:200])
        return problem(request, 503, "store-unavailable", "the store cannot answer now; try again",
                       {"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.error("http_unhandled", path=request.url.path[:200], error=f"{type(exc).__name__}", exc_info=exc)
        return problem(request, 500, "internal", "an internal error; it has been logged")


class BodyLimit:
    """413 before reading a body whose declared length is over `limit` (ASGI middleware, /api/ only).
    Uploads without a length are bounded by the route, which reads at most the limit."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.limit:
                await _discard(receive, 4 * self.limit)  # drop it, so the client gets to read our answer
                body = {"type": TYPE_BASE + "too-large", "title": HTTPStatus(413).phrase, "status": 413,
                        "detail": f"the request body is over {self.limit} bytes", "instance": scope["path"]}
                await JSONResponse(body, 413, media_type=MEDIA_TYPE)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _discard(receive: Any, cap: int) -> None:
    seen = 0
    while seen <= cap:  # past the cap the client just sees the connection end
        message = await receive()
        seen += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            return
