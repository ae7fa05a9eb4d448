"""Installable for owners: a web app manifest, and My products readable offline after a visit, forgotten on
sign-out so a shared phone never shows one owner's products to the next person."""
from __future__ import annotations

import io
import json
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.signin import sign_in
from tests.factories import build_world
from tests.support.journeys import give_unit
from tests.support.screens import SHOTS

pytestmark = pytest.mark.browser


def test_every_page_links_a_manifest_whose_icons_exist(app, client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["start_url"] == "/my" and manifest["display"] == "standalone" and manifest["scope"] == "/"
    sizes = set()
    for icon in manifest["icons"]:
        picture = client.get(icon["src"])
        assert picture.status_code == 200, icon["src"]
        width, height = Image.open(io.BytesIO(picture.data)).size
        assert f"{width}x{height}" == icon["sizes"]
        sizes.add((icon["sizes"], icon.get("purpose", "any")))
    # What Chromium asks of an installable app: a 192 and a 512 icon; a maskable one for round launchers.
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


def wait_until_kept(page) -> None:
    """The service worker controls the page (it claims clients on activation)."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def wait_until_saved(page, path: str) -> None:
    """The worker puts its copy in the cache while the page shows; going offline before that is a race."""
    page.wait_for_function("path => caches.open('provenance-mine-v1').then(c => c.match(path)).then(r => !!r)",
                           arg=path)


def test_my_products_open_offline_after_a_visit_and_are_forgotten_on_sign_out(app, phone):
    world = build_world(app)
    give_unit(app, world.owner, world.unit_ids_a[0])
    sign_in(phone, world.owner)
    phone.goto("/my")
    wait_until_kept(phone)
    phone.reload()  # this load goes through the worker, which keeps the copy
    expect(phone.get_by_text(world.serials_a[0])).to_be_visible()
    wait_until_saved(phone, "/my")
    phone.get_by_role("link", name="Acme One").first.click()
    expect(phone.get_by_role("heading", level=1, name="Acme One")).to_be_visible()
    unit_page = phone.url
    wait_until_saved(phone, urlsplit(unit_page).path)

    phone.context.set_offline(True)
    try:
        phone.goto("/my")
        expect(phone.get_by_text(world.serials_a[0])).to_be_visible()
        expect(phone.locator("#offline-copy")).to_be_visible()
        expect(phone.locator("#offline-copy")).to_contain_text("You are offline")
        SHOTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=SHOTS / "my-products-offline-phone.png")
        phone.goto(unit_page)
        expect(phone.get_by_role("heading", level=1, name="Acme One")).to_be_visible()
    finally:
        phone.context.set_offline(False)

    phone.goto("/my")
    expect(phone.locator("#offline-copy")).to_be_hidden()  # online: a fresh page, no offline note
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()
    kept = phone.evaluate("caches.keys()")
    assert not [name for name in kept if name.startswith("provenance-mine-")], kept

    phone.context.set_offline(True)
    try:
        with pytest.raises(PlaywrightError):
            phone.goto("/my")  # nothing kept any more: the phone's own "no connection" error
    finally:
        phone.context.set_offline(False)
