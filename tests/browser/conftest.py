"""Browser fixtures: Debian's Chromium driven by Playwright, one browser per test session.

Nothing here downloads a browser: Playwright launches the system `chromium` by its path
(`executable_path`). Every page fails its test on a console error or an uncaught page error;
`shot(page, name)` writes a full-page screenshot to the screenshots folder
(`QUOTEMAILD_SCREENSHOTS`, default build/screenshots).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser.live import LiveDaemon, start_live
from tests.support.smtp_capture import CaptureServer

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("QUOTEMAILD_SCREENSHOTS", ROOT / "build" / "screenshots"))
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# Package scope, not session: sync Playwright runs an event loop in this thread while it is
# started, and the async tests that follow this package need the thread's loop free again.
@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        if os.environ.get("QUOTEMAILD_REQUIRE_E2E"):
            pytest.fail("chromium is not installed (Debian package `chromium`; .ci/run installs it)")
        pytest.skip("chromium is not installed (Debian package `chromium`)")
    with playwright_api.sync_playwright() as pw:
        # --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start.
        launched = pw.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def smarthost() -> Iterator[CaptureServer]:
    with CaptureServer() as server:
        yield server


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory, smarthost: CaptureServer) -> Iterator[LiveDaemon]:
    """One daemon for all browser tests (each test uses its own requests and users)."""
    daemon = start_live(tmp_path_factory.mktemp("live"), smarthost)
    yield daemon
    daemon.stop()


class ConsoleErrors(list[str]):
    """Console errors and page errors seen by one page; the test fails if any are left."""


def _open_page(browser: object, errors: ConsoleErrors, **context_args: object) -> object:
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 860}, **context_args})
    page = context.new_page()
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def console_allow() -> list[str]:
    """Regexes of console errors a test expects (e.g. the 401 of a refused login); others fail it."""
    return []


@pytest.fixture
def open_page(browser: object, console_allow: list[str]) -> Iterator[Callable[..., object]]:
    """`open_page(**context_args)` -> a new page in its own context (cookies, language, JS on/off)."""
    opened: list[tuple[object, ConsoleErrors]] = []

    def make(**context_args: object) -> object:
        errors = ConsoleErrors()
        page = _open_page(browser, errors, **context_args)
        opened.append((page, errors))
        return page

    yield make
    problems = []
    for page, errors in opened:
        problems.extend(e for e in errors if not any(re.search(p, e) for p in console_allow))
        page.context.close()
    assert not problems, "errors in the browser console:\n" + "\n".join(problems)


@pytest.fixture
def page(open_page: Callable[..., object]) -> object:
    return open_page()


@pytest.fixture(scope="session")
def shot() -> Callable[[object, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: object, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
