"""Headless Chromium for browser tests: launch flags, viewports, the app served from a thread, failure screenshots."""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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




FAILURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "failures"


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


def new_context(browser, kind: str, base_url: str | None = None, **extra):
    """A fresh browser context (own cookies) sized as `kind` ("phone" or "desktop"); en-GB unless `locale=`."""
    options = {"locale": "en-GB", "timezone_id": "UTC", **VIEWPORTS[kind], **extra}
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context
