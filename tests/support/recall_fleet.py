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
    affected: int  # units a CELL-A campaign reaches: 4 cells, their 4 packs, their 4 bikes


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
    return Fleet(bike_gtin=bike, affected=12)


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
