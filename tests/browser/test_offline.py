"""Offline verdicts in Chromium: once a verdict page has loaded (service worker installed, keys saved), a code
opened without network gets its signature checked on the phone; and the verdict page itself stays light and
loads nothing from other hosts.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.factories import build_world
from tests.support.scanning import SHOTS, on_server, signed_label_uri, tamper, watch_problems

pytestmark = pytest.mark.browser

OFFLINE_STATUS = "The product's status (stolen, recalled, registered) could not be fetched: you are offline."


def add_unit(app, gtin: str, serial: str) -> int:
    """One more acme unit (serials with characters that need percent-encoding test the decoding)."""
    from sqlalchemy import select

    from portal.catalog.models import Manufacturer
    from portal.catalog.services import create_unit
    from portal.extensions import db

    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        unit = create_unit(acme, gtin=gtin, serial=serial, actor="test")
        db.session.commit()
        return unit.id


def kid_of(uri: str) -> str:
    return re.search(r"[?&]k=([A-Za-z0-9_-]+)", uri).group(1)


def open_online_first(page: Page, url: str) -> None:
    """A verdict page online: it saves the keys and installs the service worker."""
    page.goto(url)
    expect(page.locator("#verdict-title")).to_have_text("Genuine")
    expect(page.locator("#sig-check")).to_contain_text("Signature checked on this device: it matches")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)") is True
    assert page.evaluate("localStorage.getItem('provenance.jwks') !== null") is True


def test_offline_code_is_checked_with_the_saved_keys(app, phone, live_server):
    world = build_world(app)
    first = signed_label_uri(app, world.unit_ids_a[0])
    odd_serial = "ACME/0099&x%"  # '/', '&' and '%' travel percent-encoded in the path
    second = signed_label_uri(app, add_unit(app, world.gtin_a, odd_serial))
    assert f"/21/{quote(odd_serial, safe='')}?" in second
    problems = watch_problems(phone)

    open_online_first(phone, on_server(first, live_server))
    phone.context.set_offline(True)
    try:
        phone.goto(on_server(second, live_server))
        assert phone.url == on_server(second, live_server)  # the code's own address, answered by the worker
        check = phone.locator("#offline-check")
        kid = kid_of(second)
        expect(check).to_contain_text(f"Signature checked on this device: it matches acme's key {kid}")
        expect(check).to_contain_text(OFFLINE_STATUS)
        expect(phone.locator("#offline-serial")).to_have_text(odd_serial)
        expect(phone.get_by_role("heading", level=1)).to_have_text("Signature matches")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 391, f"the offline page is {width}px wide on a 390px phone"
        SHOTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=SHOTS / "offline-phone.png", full_page=True)

        phone.goto(on_server(tamper(second), live_server))
        expect(check).to_contain_text(f"Signature checked on this device: it does NOT match acme's key {kid}")
        expect(check).to_contain_text(OFFLINE_STATUS)
        expect(phone.get_by_role("heading", level=1)).to_have_text("Not genuine")
        phone.screenshot(path=SHOTS / "offline-mismatch-phone.png", full_page=True)

        # A key this phone never saved: it says it could not check, rather than guessing.
        unknown = re.sub(r"([?&]k=)[A-Za-z0-9_-]+", r"\1ZZZZZZZZ", second)
        phone.goto(on_server(unknown, live_server))
        expect(check).to_contain_text("This phone has no saved copy of key ZZZZZZZZ")
    finally:
        phone.context.set_offline(False)
    # Back online, the same address is the real verdict again (the worker only steps in without network).
    phone.goto(on_server(second, live_server))
    expect(phone.locator("#verdict-title")).to_have_text("Genuine")
    assert not [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p], problems


def test_verdict_page_is_light_and_stays_on_this_site(app, new_page, live_server):
    world = build_world(app)
    uri = on_server(signed_label_uri(app, world.unit_ids_a[0]), live_server)
    page = new_page("phone")
    requested: list[str] = []
    sizes: dict[str, int] = {}
    page.context.on("request", lambda request: requested.append(request.url))

    def finished(request):
        if request.resource_type != "image":
            s = request.sizes()
            sizes[request.url] = s["responseBodySize"] + s["responseHeadersSize"]

    page.on("requestfinished", finished)
    page.goto(uri)
    expect(page.locator("#sig-check")).to_contain_text("Signature checked on this device")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_load_state("networkidle")

    total = sum(sizes.values())
    assert sizes, "no responses seen"
    assert total < 60_000, f"the verdict page transferred {total} bytes: {sizes}"
    foreign = [url for url in requested if not url.startswith((live_server + "/", "data:"))]
    assert not foreign, f"requests to other hosts: {foreign}"
    # The page's own resources (not the worker's fetches) are all from here too, per the Performance API.
    entries = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert all(name.startswith(live_server + "/") for name in entries), entries


def test_offline_verifier_opened_directly_checks_a_pasted_code(app, phone, live_server):
    world = build_world(app)
    uri = signed_label_uri(app, world.unit_ids_a[1])
    open_online_first(phone, on_server(signed_label_uri(app, world.unit_ids_a[0]), live_server))
    phone.goto("/verify-offline")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check a code offline")
    phone.get_by_label("The code's web address").fill(uri)  # as printed: the production host's address
    phone.get_by_role("button", name="Check the signature").click()
    expect(phone.locator("#offline-check")).to_contain_text(
        f"Signature checked on this device: it matches acme's key {kid_of(uri)}")
