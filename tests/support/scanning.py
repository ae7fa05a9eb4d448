"""Scanning in the browser: a fake camera fed a label's QR, signed and tampered codes, served verdicts."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, VIEWPORTS, save_failure_screenshots

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def signed_label_uri(app, unit_id: int) -> str:
    """Issue a signed label for the unit (making its manufacturer's key if needed); return the code's URI."""
    from portal.authenticity.keys import active_key, create_key
    from portal.authenticity.labels import issue_label, label_uri
    from portal.catalog.models import Unit
    from portal.extensions import db

    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        tenant = unit.model.manufacturer
        if active_key(tenant) is None:
            create_key(tenant, actor="test")
        label = issue_label(unit, actor="test")
        uri = label_uri(unit.model.gtin, unit.serial, label)
        db.session.commit()
    return uri


def tamper(uri: str) -> str:
    """Flip one character in the middle of the signature (the last one may only carry padding bits)."""
    signature = re.search(r"[?&]s=([A-Za-z0-9_-]+)", uri).group(1)
    i = len(signature) // 2
    flipped = signature[:i] + ("B" if signature[i] != "B" else "C") + signature[i + 1:]
    return uri.replace(f"s={signature}", f"s={flipped}")


def on_server(uri: str, live_server: str) -> str:
    return re.sub(r"^https?://[^/]+", live_server, uri)


def verdict_on_server(uri: str, live_server: str) -> str:
    """Where a signed code's address leads a browser: the resolver's default link, the verdict page, with the
    signed query kept (docs/resolver.md)."""
    return on_server(uri, live_server).replace("/01/", "/verdict/01/", 1)


def report_stolen_unit(app, email: str, unit_id: int) -> None:
    from datetime import date

    from portal.accounts.services import find_user
    from portal.catalog.models import Unit
    from portal.extensions import db
    from portal.ownership.services import register_unit, report_stolen

    with app.app_context():
        owner = find_user(email)
        ownership = register_unit(owner, db.session.get(Unit, unit_id), purchased_on=date(2025, 6, 1))
        db.session.flush()
        report_stolen(owner, ownership, note="Taken from the car")
        db.session.commit()


def qr_image(text: str):
    """The code as a black-on-white Pillow image (grey scale) with its quiet zone, about 400 px wide."""
    from PIL import Image

    try:
        from portal.documents.qr import qr_png
    except ImportError:  # pragma: no cover - the portal has it; plain qrcode otherwise
        import qrcode

        buf = io.BytesIO()
        qrcode.make(text, box_size=1, border=4).save(buf, format="PNG")
        png = buf.getvalue()
    else:
        png = qr_png(text, box_size=1)
    image = Image.open(io.BytesIO(png)).convert("L")
    scale = max(1, 400 // image.width)
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def label_video(text: str, path: Path, frames: int = 10) -> Path:
    """A Y4M video (4:2:0, 640x480, 10 frames per second) of the code on white, for the fake camera."""
    from PIL import Image

    qr = qr_image(text)
    canvas = Image.new("RGB", (640, 480), "white")
    canvas.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    frame = b"FRAME\n" + y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n" + frame * frames)
    return path


#: A browser that has not been asked for the camera yet: the Permissions API answers "prompt" for it.
FIRST_VISIT = """(() => {
  const query = navigator.permissions.query.bind(navigator.permissions);
  navigator.permissions.query = (d) => d && d.name === "camera"
    ? Promise.resolve({ name: "camera", state: "prompt", onchange: null }) : query(d);
})();"""


@contextmanager
def camera_phone(browser, live_server: str, video: Path, kind: str = "phone", *, granted: bool = False
                 ) -> Iterator[Page]:
    """A page (phone size unless `kind` says "desktop") in a separate Chromium whose (fake) camera plays `video`.
    The camera is allowed when asked (the fake prompt says yes); `granted` also grants it beforehand, as a
    browser does after an earlier yes, so the scanner starts by itself (static/js/scan.js). If the block fails,
    the page is saved as a failure screenshot first."""
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                              f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera.new_context(base_url=live_server, locale="en-GB", timezone_id="UTC",
                                     **VIEWPORTS[kind])
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        if granted:
            context.grant_permissions(["camera"], origin=live_server)
        else:  # the fake prompt's yes would read as "granted" already: a first visit asks instead
            context.add_init_script(FIRST_VISIT)
        page = context.new_page()
        try:
            yield page
        except BaseException:
            save_failure_screenshots(context.pages)
            raise
        context.close()
    finally:
        camera.close()


def watch_problems(page: Page) -> list[str]:
    """Page errors and console errors (CSP violations included), except the verdict's own 4xx status line."""
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and "the server responded with a status of 4" not in msg.text else None)
    return problems
