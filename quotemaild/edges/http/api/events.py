"""GET /events: the caller's tenant's changes as Server-Sent Events, resumable with Last-Event-ID.

Each event: `id` (resume point), `event` (request, message, status, note, timeline,
request_deleted; see `store/changes.py`) and `data`, a JSON object with `id`, `kind`,
`request_id`, `at` and the kind's fields. Without Last-Event-ID the stream starts at "now".
The actor dependency opens and closes its own sessions: the stream holds no transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.sse import EventSourceResponse, ServerSentEvent

from quotemaild.edges.http.deps import MAX_ID, Ctx, CurrentActor

router = APIRouter(tags=["events"])
RETRY_MS = 3000  # how soon a browser's EventSource reconnects


async def start_after(
    actor: CurrentActor, ctx: Ctx,
    last_event_id: Annotated[int | None, Header(ge=0, le=MAX_ID, description="Resume after this event id")] = None,
) -> int:
    """Where the stream starts, fixed before the response begins: a change committed after the
    client saw the headers is always on the stream (the generator itself starts later)."""
    if last_event_id is not None:
        return last_event_id
    return await asyncio.to_thread(ctx.feed.last_id, actor.tenant_id)


@router.get("/events", response_class=EventSourceResponse)
async def events(
    actor: CurrentActor, ctx: Ctx, after: Annotated[int, Depends(start_after)],
) -> AsyncIterator[ServerSentEvent]:
    """New mail, new requests, status changes and notes of the caller's tenant, as they are committed."""
    async for change in ctx.feed.subscribe(actor.tenant_id, after):
        yield ServerSentEvent(event=change.kind, id=str(change.id), data=change.payload(), retry=RETRY_MS)
