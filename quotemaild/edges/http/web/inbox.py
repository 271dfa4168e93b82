"""/ — the inbox: the tenant's requests newest first, with filters, counts per status and paging.

The filters are the query string (`/?status=received&assignee=...&mine=1&unread=1&q=...`), so a
filtered inbox is an address a seller can bookmark or share. With the header `X-Partial: rows`
only the rows are rendered: the page's script fetches them when the event stream says new mail
came in, and adds the rows it does not have yet at the top (the rows on screen stay put).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from quotemaild.edges.http.deps import Ctx
from quotemaild.edges.http.web.render import STATUSES
from quotemaild.edges.http.web.auth import PageActor
from quotemaild.errors import QuotemailError
from quotemaild.services import inbox
from quotemaild.services.users import list_users

PAGE_SIZE = 50
FILTER_KEYS = ("status", "assignee", "mine", "unread", "q")


def has_event_stream(request: Request) -> bool:
    """Live rows need the API's event stream (fed by `ctx.feed`); without it the inbox is a plain page."""
    return getattr(request.app.state.api, "feed", None) is not None


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/")
    def inbox_page(
        request: Request, actor: PageActor, ctx: Ctx,
        status: Annotated[str | None, Query(max_length=40)] = None,
        assignee: Annotated[str | None, Query(max_length=320)] = None,
        mine: bool = False, unread: bool = False,
        q: Annotated[str | None, Query(max_length=200)] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        filters = {"status": status or None, "assignee": assignee or None, "mine": mine, "unread": unread,
                   "q": (q or "").strip() or None}
        error = None
        flt = inbox.InboxFilter(status=filters["status"], assignee="me" if mine else filters["assignee"],
                                q=filters["q"], unread=True if unread else None)
        with ctx.readers() as s:
            try:
                page = inbox.list_requests(s, actor, flt, cursor, PAGE_SIZE)
                counts = page.counts
            except QuotemailError as exc:  # a bad filter value: say so, show an empty list
                error, page = str(exc), None
                counts = inbox.status_counts(s, actor)
            users = list_users(s, actor.tenant_id)
        names = {u.email: u.name for u in users}
        total = sum(n for key, n in counts.items() if key in STATUSES)
        rows = [{**item, "assignee_name": names.get(item["assignee"])} for item in page.items] if page else []
        pages = request.app.state.pages
        if request.headers.get("x-partial") == "rows":
            return pages.render(request, "_rows.html", rows=rows)
        me = request.state.web_user

        def url_with(**changes: Any) -> str:
            params = {k: v for k, v in {**filters, **changes}.items() if v not in (None, False, "")}
            params = {k: ("1" if v is True else v) for k, v in params.items()}
            return "/" + ("?" + urlencode(params) if params else "")

        next_cursor = page.next_cursor if page else None
        return pages.render(
            request, "inbox.html", 422 if error else 200, section="inbox", rows=rows, counts=counts, users=users,
            filters=filters, url_with=url_with, error=error, total=total,
            next_url=url_with(cursor=next_cursor) if next_cursor else None,
            first_url=url_with(cursor=None) if cursor else None,
            live=not cursor and has_event_stream(request), tenant_address=f"{me.tenant_slug}@{ctx.send.domain}",
        )

    return r
