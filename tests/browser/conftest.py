"""Browser fixtures: the test app served on 127.0.0.1, one headless Chromium per session, phone and desktop pages.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright's sync API; `playwright install` is never needed.
Every test in this folder is marked `browser` (deselect with `-m "not browser"`).
When a test here fails, every page still open in its contexts is saved as a full-page screenshot to
test-artifacts/screenshots/failures/<test-name>-<n>.png (see `save_failure_screenshots`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.browser import (  # noqa: F401
    CHROMIUM,
    CHROMIUM_ARGS,
    FAILURES,
    TIMEOUT_MS,
    VIEWPORTS,
    QuietHandler,
    _test_name,
    new_context,
    save_failure_screenshots,
    serve,
)

HERE = Path(__file__).parent  # the browser tests: marked `browser` below


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


def failure_screenshots(request, contexts) -> None:
    """Fixture teardown: when the test failed, screenshot every page of `contexts` (before they close)."""
    if _failed(request.node):
        save_failure_screenshots([page for context in contexts for page in context.pages], request.node)


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
