"""Steps of the owner's browser journeys: registering, certificates, verdicts, receipts."""
from __future__ import annotations

import io
import re
from datetime import date

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.a11y import assert_accessible


def give_unit(app, email: str, unit_id: int, purchased_on: date = date(2025, 6, 1)) -> None:
    """Register a unit to an owner through the services (setup, not the journey under test)."""
    from portal.accounts.services import find_user
    from portal.catalog.models import Unit
    from portal.extensions import db
    from portal.ownership.services import register_unit

    with app.app_context():
        register_unit(find_user(email), db.session.get(Unit, unit_id), purchased_on=purchased_on,
                      retailer="Shop in town")
        db.session.commit()


def verify_link(app, mailbox, email: str, live_server: str) -> str:
    """Send the due mail through the test SMTP server; the verification link of the last one to `email`, here."""
    from portal.notifications.services import deliver_due

    with app.app_context():
        deliver_due()
    body = mailbox.last_to(email).get_body(preferencelist=("plain",)).get_content()
    return re.sub(r"^https?://[^/]+", live_server, re.search(r"https?://\S+/verify/\S+", body).group(0))


def receipt_file(tmp_path):
    from PIL import Image

    receipt = tmp_path / "receipt.png"
    Image.new("RGB", (600, 800), "white").save(receipt)
    return receipt


def check_registered(page: Page, until: str = "1 June 2027") -> None:
    """The unit page after registering: the unit, its coverage and the receipt."""
    expect(page.get_by_role("heading", level=1, name="Acme One")).to_be_visible()
    expect(page.get_by_text("Acme One is registered to you.")).to_be_visible()
    warranty = page.get_by_role("region", name="Warranty", exact=True)
    expect(warranty).to_contain_text("Covered until")
    expect(warranty).to_contain_text(until)
    expect(page.get_by_role("link", name=re.compile(r"receipt.*\.png|\.png"))).to_be_visible()
    assert_accessible(page)


def open_certificate(page: Page, serial: str, press=None) -> None:
    """Follow the certificate link (clicked, or `press()`ed from the keyboard): the browser gets the PDF itself."""
    link = page.get_by_role("link", name="Warranty certificate (PDF)")
    with page.expect_response(lambda r: r.url.endswith("/certificate.pdf")) as got:
        press() if press else link.click()
    response = got.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf", response.headers
    assert f'filename=warranty-certificate-{serial}.pdf' in response.headers["content-disposition"]
    # Chromium shows the PDF in its viewer (the response body is then the viewer's page): the bytes are
    # fetched again with the page's cookies, as "Save" in the viewer would.
    body = page.context.request.get(response.url).body()
    assert body.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert serial in text and "Acme One" in text, text


def verdict_shows_stolen(app, page: Page, live_server: str, unit_id: int, gtin: str, serial: str) -> None:
    """The signed label's verdict page and the typed lookup's page both say the unit is reported stolen."""
    from tests.support.scanning import on_server, signed_label_uri

    response = page.goto(on_server(signed_label_uri(app, unit_id), live_server))
    assert response.status == 200
    expect(page.locator("#verdict-title")).to_have_text("Genuine, with a warning")
    expect(page.locator("main")).to_contain_text("Reported stolen")
    assert_accessible(page)
    response = page.goto(f"/01/{gtin}/21/{serial}")
    assert response.status == 200
    expect(page.locator(".verdict")).to_contain_text("Reported stolen")
    expect(page.get_by_role("link", name=re.compile("register it"))).to_have_count(0)
    assert_accessible(page)
