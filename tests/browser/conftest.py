"""Browser fixtures: the test app served on 127.0.0.1, one headless Chromium per session, phone and desktop pages.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright's sync API; `playwright install` is never needed.
Every test in this folder is marked `browser` (deselect with `-m "not browser"`).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
TIMEOUT_MS = 10_000
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


class QuietHandler(WSGIRequestHandler):
    """No access log: Playwright failures are easier to read without a line per request."""

    def log_request(self, code="-", size="-"):
        pass


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve `app` from a daemon thread on a free port; yield the base URL, then shut the server down."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                              name="live-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """Base URL of the test `app` (empty database, wiped after the test), served for this test only."""
    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` (apt-get install chromium) provides it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def new_context(browser, kind: str, base_url: str | None = None, **extra):
    """A fresh browser context (own cookies) sized as `kind` ("phone" or "desktop")."""
    context = browser.new_context(base_url=base_url, locale="en-GB", timezone_id="UTC", **VIEWPORTS[kind], **extra)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable[[str], object]]:
    """Factory: `new_page("phone")` is a page in a context of its own (another person), on the live server.

    Contexts close before the live server stops and before the database is wiped.
    """
    contexts = []

    def make(kind: str = "phone"):
        context = new_context(browser, kind, base_url=live_server)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_page):
    """A page at 390x844, touch, 2x pixels."""
    return new_page("phone")


@pytest.fixture
def desktop(new_page):
    """A page at 1280x900."""
    return new_page("desktop")
