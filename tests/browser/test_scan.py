"""The scanner page in Chromium: a fake camera showing a signed label's QR code leads to its verdict.

Chromium's fake capture device plays a Y4M video made here from the label's QR code (no ffmpeg needed); that
needs launch flags, so the camera tests launch a Chromium of their own (through the session's Playwright).
The QR codes carry the test app's BASE_URL (http://portal.test): the scanner must open the same path and
query on the live server's origin, as it does for codes printed for the production host.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.factories import build_world
from tests.support.scanning import (  # noqa: F401
    SHOTS,
    camera_phone,
    label_video,
    on_server,
    qr_image,
    report_stolen_unit,
    signed_label_uri,
    tamper,
    verdict_on_server,
    watch_problems,
)

pytestmark = pytest.mark.browser


# --- Labels and pictures of them ------------------------------------------------------------------


def label_photo(text: str, path: Path) -> Path:
    """A 640x480 'photo' of the code on white, as PNG."""
    from PIL import Image

    qr = qr_image(text)
    canvas = Image.new("RGB", (640, 480), "white")
    canvas.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    canvas.save(path)
    return path


# --- A Chromium whose camera shows a video ----------------------------------------------------------


SCENARIOS = {
    # name: (unit index in world.unit_ids_a, tamper?, stolen?, verdict title, texts that must follow)
    "genuine": (0, False, False, "Genuine", ["Signature checked on this device"]),
    "tampered": (1, True, False, "Not genuine", ["The signature does not match this product"]),
    "stolen": (2, False, True, "Genuine, with a warning",
               ["Reported stolen", "Signature checked on this device"]),
}


@pytest.mark.parametrize("kind", ["phone", "desktop"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_camera_scan_opens_the_verdict_on_this_site(scenario, kind, app, browser, live_server, tmp_path):
    """Genuine, tampered and stolen labels, each at phone and desktop size; both pages pass axe."""
    index, tampered, stolen, title, texts = SCENARIOS[scenario]
    world = build_world(app)
    unit_id = world.unit_ids_a[index]
    uri = signed_label_uri(app, unit_id)
    assert uri.startswith("http://portal.test/01/")
    if tampered:
        uri = tamper(uri)
    if stolen:
        report_stolen_unit(app, world.owner, unit_id)
    video = label_video(uri, tmp_path / f"{scenario}.y4m")

    with camera_phone(browser, live_server, video, kind) as page:
        problems = watch_problems(page)
        page.goto("/scan")
        assert_accessible(page)
        page.get_by_role("button", name="Start camera").click()
        # The code says http://portal.test/...; the scanner opens the same path and query here, and the
        # resolver sends it on to the verdict.
        page.wait_for_url(verdict_on_server(uri, live_server))
        expect(page.locator("#verdict-title")).to_have_text(title)
        for text in texts:
            expect(page.locator("main")).to_contain_text(text)
        assert_accessible(page)
        assert not problems, problems


def test_camera_on_another_qr_code_says_so_and_keeps_scanning(browser, live_server, tmp_path):
    video = label_video("https://example.com/menu/today", tmp_path / "menu.y4m")
    with camera_phone(browser, live_server, video) as page:
        problems = watch_problems(page)
        page.goto("/scan")
        page.get_by_role("button", name="Start camera").click()
        expect(page.get_by_role("status")).to_contain_text("This QR code is not a product code")
        expect(page.get_by_role("status")).to_contain_text("Keep the product's code in view")
        expect(page.get_by_role("button", name="Stop camera")).to_be_visible()
        assert page.evaluate("document.getElementById('scanner').dataset.state") == "scanning"
        assert page.url == f"{live_server}/scan"
        page.wait_for_function("document.getElementById('scan-video').videoWidth > 0")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "scan-camera-phone.png", full_page=True)
        page.get_by_role("button", name="Stop camera").click()
        expect(page.get_by_role("button", name="Start camera")).to_be_visible()
        assert page.evaluate("document.getElementById('scan-video').srcObject") is None
        assert not problems, problems


def test_scan_page_on_a_phone(phone, live_server):
    problems = watch_problems(phone)
    response = phone.goto("/scan")
    assert response.status == 200
    expect(phone.get_by_role("heading", level=1)).to_have_text("Scan a product's code")
    start = phone.get_by_role("button", name="Start camera")
    expect(start).to_be_visible()
    expect(phone.get_by_role("button", name="Stop camera")).to_be_hidden()
    photo = phone.get_by_label("Take or choose a photo of the code")
    expect(photo).to_have_attribute("capture", "environment")
    expect(photo).to_have_attribute("accept", "image/*")
    expect(phone.get_by_role("link", name="Type the numbers instead")).to_have_attribute("href", "/lookup")
    # The decoder is loaded on demand, not with the page.
    assert phone.evaluate("typeof window.jsQR") == "undefined"
    start.focus()
    expect(start).to_be_focused()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"/scan is {width}px wide on a 390px phone"
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=SHOTS / "scan-phone.png", full_page=True)
    assert not problems, problems


@pytest.mark.parametrize(("error", "expected"), [
    ("NotAllowedError", "Camera access was refused"),
    ("NotFoundError", "No camera was found on this device"),
])
def test_camera_refused_or_absent_says_so(error, expected, phone):
    phone.context.add_init_script(
        "navigator.mediaDevices.getUserMedia = function () {"
        f" return Promise.reject(new DOMException('test', '{error}')); }};")
    problems = watch_problems(phone)
    phone.goto("/scan")
    phone.get_by_role("button", name="Start camera").press("Enter")  # keyboard works as well as a tap
    status = phone.get_by_role("status").filter(has_text=expected)
    expect(status).to_be_visible()
    expect(phone.get_by_role("button", name="Start camera")).to_be_enabled()
    if error == "NotAllowedError":
        phone.screenshot(path=SHOTS / "scan-refused-phone.png", full_page=True)
    assert not problems, problems


def test_photo_of_a_label_opens_its_verdict(app, phone, live_server, tmp_path):
    world = build_world(app)
    uri = signed_label_uri(app, world.unit_ids_a[0])
    problems = watch_problems(phone)
    phone.goto("/scan")
    photo = label_photo(uri, tmp_path / "code.png")
    phone.get_by_label("Take or choose a photo of the code").set_input_files(photo)
    phone.wait_for_url(verdict_on_server(uri, live_server))
    expect(phone.locator("#verdict-title")).to_have_text("Genuine")
    assert not problems, problems


def test_photo_of_another_qr_code_says_it_is_not_a_product_code(app, phone, tmp_path):
    phone.goto("/scan")
    photo = label_photo("https://example.com/menu/today", tmp_path / "menu.png")
    phone.get_by_label("Take or choose a photo of the code").set_input_files(photo)
    expect(phone.get_by_role("status")).to_contain_text("This QR code is not a product code")
    expect(phone.get_by_role("status")).to_contain_text("https://example.com/menu/today")
    assert phone.url.endswith("/scan")
    # A GS1 element string with a serial is a product code too: it goes through the typed lookup, which
    # answers on its own page (it carries no signature) and neutrally for a serial nobody recorded.
    photo = label_photo("(01)04012345000016(21)NOPE-1", tmp_path / "element.png")
    phone.get_by_label("Take or choose a photo of the code").set_input_files(photo)
    phone.wait_for_url(re.compile(r"/lookup\?gtin=04012345000016&serial=NOPE-1$"))
    expect(phone.locator("#answer-title")).to_have_text("No product found")
