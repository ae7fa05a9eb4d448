"""The recall tests' data: the bike fleet (bikes hold packs hold cells), owners and recall staff; also used by the
language and browser tests of the recall console."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.accounts.models import Role
from portal.accounts.services import add_staff, create_user, find_user
from portal.catalog.models import Manufacturer
from portal.catalog.services import find_unit
from portal.demo import gtin_for
from portal.extensions import db
from portal.ownership.services import register_unit
from portal.recalls import services
from tests.factories import FLEET_PREFIX, GPSR_NOTICE, PASSWORD, build_bike_fleet

CELL, PACK, BIKE = (gtin_for(FLEET_PREFIX, i) for i in (1, 2, 3))
MANAGER, AGENT = "recalls@ebike.test", "desk@ebike.test"


def build_fleet(app):
    """Ten bikes holding a pack holding a cell (CELL-A: 1-4, CELL-B: 5-10); verified owners ann and ben, an
    owner without a confirmed address, a recall manager and a claims agent."""
    with app.app_context():
        tenant = build_bike_fleet()
        for email in ("ann@example.test", "ben@example.test"):
            create_user(email, PASSWORD, verified=True)
        create_user("nomail@example.test", PASSWORD)
        add_staff(tenant, MANAGER, Role.RECALL_MANAGER, password=PASSWORD, actor="test")
        add_staff(tenant, AGENT, Role.CLAIMS_AGENT, password=PASSWORD, actor="test")
        db.session.commit()
    return app


def ebike():
    return db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "ebike"))


def make_draft(number="R-1", notice=None, **criteria):
    fields = {**GPSR_NOTICE, "remedy_options": "Dealer\nPick-up", "title": "Cell overheating",
              "hazard": "Cells of lot CELL-A can overheat while charging.", **(notice or {})}
    return services.save_draft(ebike(), actor="test", number=number, criteria=criteria, **fields)


def own(email, gtin, serial):
    return register_unit(find_user(email), find_unit(gtin, serial), purchased_on=date(2025, 5, 1))
