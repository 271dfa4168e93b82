"""The HTTP edge: app factory (`app.py`), server (`server.py`), health, the JSON API (`api/`),
and the web pages (`web/`). See `app.py` for the map."""

from quotemaild.edges.http.app import create_app
from quotemaild.edges.http.health import HealthSources, health
from quotemaild.edges.http.server import HttpServer, bind

__all__ = ["HealthSources", "HttpServer", "bind", "create_app", "health"]
