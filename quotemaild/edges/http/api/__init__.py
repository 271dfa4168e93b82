"""The JSON API under /api/v1: one router per resource, each route thin (actor, one service call, JSON)."""

from __future__ import annotations

from fastapi import APIRouter

from quotemaild.edges.http.api.schemas import PROBLEM_RESPONSES


def api_router() -> APIRouter:
    from quotemaild.edges.http.api import admin, auth, contacts, events, files, mail, quotes, requests

    root = APIRouter(responses=PROBLEM_RESPONSES)
    for module in (auth, requests, mail, files, contacts, quotes, admin, events):
        root.include_router(module.router)
    return root
