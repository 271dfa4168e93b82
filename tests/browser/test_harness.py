"""The harness itself: Debian's Chromium runs, the live daemon answers, console errors fail a test."""

from __future__ import annotations

import pytest


def test_live_daemon_serves_healthz_to_the_browser(page, live):
    """The daemon started for the browser session answers /healthz on its port-0 HTTP listener."""
    response = page.request.get(live.base_url + "/healthz")
    assert response.status == 200
    assert response.json()["status"] == "ok"


def test_a_console_error_is_collected(browser):
    """A page that logs console.error is caught by the same listener the `page` fixture uses."""
    from tests.browser.conftest import ConsoleErrors, _open_page

    errors = ConsoleErrors()
    page = _open_page(browser, errors)
    page.set_content("<script>console.error('boom')</script>")
    page.wait_for_timeout(50)
    page.context.close()
    assert errors == ["console.error: boom"]
