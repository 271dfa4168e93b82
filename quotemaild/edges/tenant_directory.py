"""The SMTP/LMTP edges' cache of tenant slugs, checked at RCPT time."""

from __future__ import annotations

import time
from collections.abc import Callable


class TenantDirectory:
    """Slug -> tenant id, cached; a miss reloads at most once per `min_reload` seconds.

    RCPT checks must not wait on the database for every address, yet a tenant added with the
    CLI a moment ago must be accepted without a restart.
    """

    def __init__(self, load: Callable[[], dict[str, int]], min_reload: float = 1.0) -> None:
        self._load = load
        self._min_reload = min_reload
        self._slugs: dict[str, int] = {}
        self._loaded_at = float("-inf")

    def reload(self) -> None:
        self._slugs = self._load()
        self._loaded_at = time.monotonic()

    def __len__(self) -> int:
        return len(self._slugs)

    def lookup(self, slug: str) -> int | None:
        tenant_id = self._slugs.get(slug)
        if tenant_id is None and time.monotonic() - self._loaded_at >= self._min_reload:
            self.reload()
            tenant_id = self._slugs.get(slug)
        return tenant_id
