"""Phone budget: the verdict, recall lookup and My products pages on a throttled phone in Chromium.

    .venv/bin/python bench/phone.py            # each page 5 times, cold (new browser context each time)
    .venv/bin/python bench/phone.py --runs 3

Loads the demo data into a temporary SQLite database, serves it on 127.0.0.1 (Werkzeug, threaded), and opens
each page in Debian's Chromium at 390x844 with slow-4G network conditions (150 ms round trip, 1.6 Mbit/s
down, 750 kbit/s up) and 4x CPU throttling, through the DevTools protocol. For each page it prints the bytes
transferred and requests until the answer is painted (and without images), the bytes the page fetched after
that (deferred scripts, images; the service worker's own fetches of its shell are not the page's), and the time from navigation until the answer is
painted: the first contentful paint, since the answer is in the server's HTML above the fold (checked)
and the stylesheet holds rendering until it is there (median and worst of the runs). Target for the verdict page: under 60 KB and under 1.5 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
CPU_SLOWDOWN = 4
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
ALICE, PASSWORD = "alice@example.com", "provenance-demo"


@dataclass
class Load:
    seconds: float
    bytes_seen: int
    bytes_no_images: int
    requests: int
    background_bytes: int


@dataclass
class Page:
    name: str
    path: str
    answer: str  # CSS selector of the element whose text is the answer
    signed_in: bool = False
    loads: list[Load] = field(default_factory=list)


def prepare(tmp: Path) -> tuple[object, list[Page]]:
    import flask_migrate
    from cryptography.fernet import Fernet

    from portal import create_app
    from portal.authenticity.labels import current_label, label_uri
    from portal.catalog.services import find_unit
    from portal.demo import gtin_for, load_demo
    from portal.extensions import db

    config = {"SECRET_KEY": os.urandom(24).hex(), "KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
              "DATABASE_URL": f"sqlite:///{tmp / 'phone.sqlite3'}", "UPLOAD_FOLDER": str(tmp / "uploads"),
              "MAIL_DELIVER_AFTER_REQUEST": False, "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
              "REMEMBER_COOKIE_SECURE": False}
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        load_demo()
        db.session.commit()
        watch = find_unit(gtin_for("7612345", 1), "VC42-000017")
        signed = urlsplit(label_uri(watch.model.gtin, watch.serial, current_label(watch)))
        pack_gtin = gtin_for("4061234", 90)  # the demo's recalled battery pack, looked up by its printed numbers
    pages = [
        Page("verdict", f"{signed.path}?{signed.query}", "#verdict-title"),
        Page("recall lookup", f"/recalls/lookup?gtin={pack_gtin}&serial=PP5-E8-00042", "#rs"),
        Page("My products", "/my", "main .product", signed_in=True),
    ]
    return app, pages


TIMINGS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const answer = document.querySelector(ANSWER).getBoundingClientRect();
  const items = [nav, ...performance.getEntriesByType("resource")].map(e => ({
    end: e.responseEnd, size: e.transferSize, image: e.initiatorType === "img" || e.initiatorType === "image"}));
  return {fcp: fcp ? fcp.startTime : null, answerTop: answer.top, items};
}"""


def signed_in_state(browser, base: str) -> dict:
    """Cookies of a signed-in owner, got through the form (it carries its CSRF token) in a throwaway context,
    so the measured context starts cold: no cache and no service worker yet."""
    context = browser.new_context(base_url=base, **PHONE)
    try:
        page = context.new_page()
        page.goto("/signin")
        page.get_by_label("E-mail address").fill(ALICE)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("text=Sign out")
        return context.storage_state()
    finally:
        context.close()


def load_once(browser, base: str, spec: Page, state: dict | None) -> Load:
    """One cold load. The answer is in the server's HTML and above the fold, so it shows at the first
    contentful paint (the stylesheet blocks rendering until then); that paint's time is the figure."""
    context = browser.new_context(base_url=base, storage_state=state if spec.signed_in else None, **PHONE)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(spec.path, wait_until="load")
        page.wait_for_selector(spec.answer, state="visible")
        page.wait_for_timeout(2000)  # the service worker installs and keeps its shell meanwhile
        found = page.evaluate(TIMINGS.replace("ANSWER", repr(spec.answer)))
        assert found["fcp"] is not None and found["answerTop"] < PHONE["viewport"]["height"], found
        before = [item for item in found["items"] if item["end"] <= found["fcp"]]
        return Load(seconds=found["fcp"] / 1000, bytes_seen=sum(i["size"] for i in before),
                    bytes_no_images=sum(i["size"] for i in before if not i["image"]), requests=len(before),
                    background_bytes=sum(i["size"] for i in found["items"]) - sum(i["size"] for i in before))
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, serve

    with tempfile.TemporaryDirectory() as folder:
        app, pages = prepare(Path(folder))
        with serve(app) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            state = signed_in_state(browser, base)
            for spec in pages:
                load_once(browser, base, spec, state)  # warm the server (first-request imports), not the browser
                spec.loads = [load_once(browser, base, spec, state) for _ in range(args.runs)]
            browser.close()

    print(f"Phone at 390x844, slow 4G (150 ms, 1.6 Mbit/s down), CPU slowed {CPU_SLOWDOWN}x; "
          f"{args.runs} cold loads per page, load average {os.getloadavg()[0]:.1f}")
    for spec in pages:
        times = sorted(load.seconds for load in spec.loads)
        last = spec.loads[-1]
        print(f"{spec.name:>14}: answer painted at {statistics.median(times):.2f} s (worst {times[-1]:.2f} s); "
              f"{last.bytes_seen / 1024:.1f} KB in {last.requests} requests by then "
              f"({last.bytes_no_images / 1024:.1f} KB without images); "
              f"{last.background_bytes / 1024:.1f} KB more after it")


if __name__ == "__main__":
    main()
