"""A recall manager's fleet of e-bikes with serialized packs, for the recall journeys."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible
from tests.factories import FLEET_PREFIX, PASSWORD, build_bike_fleet

TENANT = "ebike"

MANAGER, PARTNER, OWNER = "recalls@ebike.test", "partner@ebike.test", "rider@example.test"


TITLE = "Battery cells can overheat"


OWNED_BIKE = "B-001"  # holds pack P-001, which holds cell C-001 of lot CELL-A


@dataclass(frozen=True)
class Fleet:
    bike_gtin: str
    affected: int  # units a CELL-A campaign counts: the 4 bikes holding the cells (the unit of remedy)


def build_fleet(app) -> Fleet:
    """Ten bikes, each holding a pack holding a cell (lots CELL-A, CELL-B); staff; the owner of B-001."""
    from portal.accounts.models import Role
    from portal.accounts.services import add_staff, create_user
    from portal.catalog.services import find_unit
    from portal.demo import gtin_for
    from portal.extensions import db
    from portal.ownership.services import register_unit

    bike = gtin_for(FLEET_PREFIX, 3)
    with app.app_context():
        tenant = build_bike_fleet(TENANT)
        add_staff(tenant, MANAGER, Role.RECALL_MANAGER, password=PASSWORD, actor="test")
        add_staff(tenant, PARTNER, Role.CLAIMS_AGENT, password=PASSWORD, actor="test")
        owner = create_user(OWNER, PASSWORD, name="Rita Rider", verified=True)
        register_unit(owner, find_unit(bike, OWNED_BIKE), purchased_on=date(2025, 5, 1),
                      retailer="Velo Centrum")
        db.session.commit()
    return Fleet(bike_gtin=bike, affected=4)


def home_completion(page: Page, number: str) -> str:
    """The console home's "Active recalls" card: the campaign's completion as shown (e.g. "8%")."""
    page.goto(f"/console/{TENANT}/")
    card = page.get_by_role("region", name="Active recalls")
    row = card.locator("li").filter(has_text=number)
    expect(row).to_have_count(1)
    assert_accessible(page)
    shown = row.locator(".completion").inner_text().strip()
    bar = row.get_by_role("progressbar", name=f"Completion of {number}")
    assert float(bar.get_attribute("value")) == pytest.approx(int(shown[:-1]), abs=0.5), (bar.get_attribute("value"),
                                                                                        shown)
    return shown


def fill_notice(page: Page, tmp_path, *, keyboard: bool = False) -> None:
    """The rest of a GPSR notice (Regulation (EU) 2023/988 Art. 36(2)) in the campaign editor, from the free
    phone number to the countries of sale, in the page's tab order; without it launch is refused.

    `keyboard`: typed with Tab and the keyboard alone, except the two pictures, which a file chooser of the
    operating system gives (Playwright sets the files)."""
    from PIL import Image

    from tests.browser.keyboard import tab_and_type, tab_to

    pictures = []
    for name, colour in (("product.png", (30, 80, 200)), ("label.png", (240, 240, 240))):
        Image.new("RGB", (120, 80), colour).save(tmp_path / name, format="PNG")
        pictures.append(str(tmp_path / name))
    texts = [("Free phone number", "0800 100 200"),
             ("Request to share the notice", "Please share this notice with every e-bike rider."),
             ("Product description", "E-bike with a 500 Wh pack in the down tube."),
             ("Where the batch or serial number is on the product", "Under the pack, on the white label."),
             ("Where it was sold (shops, web sites)", "Dealers in France and Germany"),
             ("Sold by", "E-Bike Co and its dealers"),
             ("Countries where it was sold (codes: FR, DE, BE)", "FR, DE")]
    for label, text in texts:
        field = page.get_by_label(label)
        if label == "Where it was sold (shops, web sites)":  # the sales period comes just before it
            sold_from = page.get_by_label("Sold from")
            if keyboard:
                tab_to(page, sold_from)
                page.keyboard.type("01012025")
            else:
                sold_from.fill("2025-01-01")
        if label == "Where the batch or serial number is on the product":
            page.get_by_label("Product picture (JPEG, PNG or WebP)").set_input_files(pictures[0])
            page.get_by_label("Picture of where to find the identifiers").set_input_files(pictures[1])
        if keyboard:
            tab_and_type(page, field, text)
        else:
            field.fill(text)


def choose_remedies(page: Page, *, keyboard: bool = False) -> None:
    """Offer repair and replacement (Art. 37: at least two of repair, replacement and refund)."""
    from tests.browser.keyboard import tab_to

    remedies = page.get_by_label("Remedies offered free of charge (at least two)")
    if keyboard:
        tab_to(page, remedies)
        page.keyboard.press("Home")
        page.keyboard.press("Shift+ArrowDown")
        expect(remedies).to_have_values(["repair", "replace"])
    else:
        remedies.select_option(["repair", "replace"])
