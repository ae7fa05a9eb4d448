"""Browser fixtures: the test app served on 127.0.0.1, one headless Chromium per session, phone and desktop pages.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright's sync API; `playwright install` is never needed.
Every test in this folder is marked `browser` (deselect with `-m "not browser"`).
When a test here fails, every page still open in its contexts is saved as a full-page screenshot to
test-artifacts/screenshots/failures/<test-name>-<n>.png (see `save_failure_screenshots`).
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
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
FAILURES = HERE.parents[1] / "test-artifacts" / "screenshots" / "failures"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (rep_setup, rep_call) so fixtures can see in teardown how it went."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(node) -> bool:
    return any(getattr(getattr(node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))


def _test_name(node=None) -> str:
    """The test's name (with its parameters), safe as a file name."""
    name = node.name if node is not None else os.environ.get("PYTEST_CURRENT_TEST", "test").split("::")[-1]
    name = name.split(" (")[0]  # PYTEST_CURRENT_TEST ends with " (call)"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


def save_failure_screenshots(pages, node=None) -> list[Path]:
    """Save a full-page screenshot of each open page as failures/<test-name>-<n>.png; never raises."""
    saved = []
    name = _test_name(node)
    for page in pages:
        if page.is_closed():
            continue
        path = FAILURES / f"{name}-{len(saved) + 1}.png"
        try:
            FAILURES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=True, timeout=5_000)
        except (PlaywrightError, OSError) as err:  # a crashed page must not hide the test's own failure
            print(f"no failure screenshot of {page.url}: {err}")
            continue
        saved.append(path)
    if saved:
        print("failure screenshots: " + ", ".join(str(p) for p in saved))
    return saved


def failure_screenshots(request, contexts) -> None:
    """Fixture teardown: when the test failed, screenshot every page of `contexts` (before they close)."""
    if _failed(request.node):
        save_failure_screenshots([page for context in contexts for page in context.pages], request.node)


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
    """A fresh browser context (own cookies) sized as `kind` ("phone" or "desktop"); en-GB unless `locale=`."""
    options = {"locale": "en-GB", "timezone_id": "UTC", **VIEWPORTS[kind], **extra}
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def new_page(request, browser, live_server) -> Iterator[Callable[[str], object]]:
    """Factory: `new_page("phone")` is a page in a context of its own (another person), on the live server;
    `new_page("desktop", locale="fr-FR")` passes context options on.

    Contexts close before the live server stops and before the database is wiped; if the test failed, their
    pages are saved as screenshots first.
    """
    contexts = []

    def make(kind: str = "phone", **extra):
        context = new_context(browser, kind, base_url=live_server, **extra)
        contexts.append(context)
        return context.new_page()

    yield make
    failure_screenshots(request, contexts)
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
