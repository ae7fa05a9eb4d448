"""A small shop whose every insight can be worked out by hand (the figures are in the tests beside them).

Tenant acme, model Alpha (24-month warranty, terms from purchase), all built through the services, then the
registration and filing dates set back to the days below (as the demo does):

    unit  lot  made        till sale           registered            claims (filed)
    U1-4  L1   2026-01-10  -                   -                     -
    U5-6  L2   2026-06-20  -                   -                     -
    S1    L1   2026-01-10  2026-02-09 Shop A   2026-02-09            2026-04-05, 2026-07-02
    S2    L1   2026-01-10  2026-03-11 Shop A   2026-03-21            2026-03-20 (repaired), 2026-06-03
    S3    L1   2026-01-10  2026-03-11 Shop B   - (a safety-only contact)  -
    S4    L1   2026-01-10  2026-05-10 Shop B   -                     -
    R1    L1   2026-01-10  -                   2026-04-02 (bought 2026-04-01 at Shop C)   2026-05-02 (withdrawn)

Tenant bravo has one sold and claimed unit of its own that must never show in acme's figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import update

from portal.accounts.services import add_staff, create_user
from portal.api.services import record_sale
from portal.catalog.services import add_model, create_tenant, create_unit
from portal.demo import gtin_for
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.ownership.services import register_unit
from portal.recalls.contacts import register as register_contact
from portal.warranty.models import ClaimEntry, WarrantyClaim
from portal.warranty.services import file_claim, move
from tests.factories import PASSWORD


@dataclass(frozen=True)
class Shop:
    tenant_id: int
    model_id: int
    other_tenant_id: int


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), UTC)


def _backdate_claim(claim: WarrantyClaim, day: date) -> None:
    claim.created_at = claim.updated_at = _at(day)
    db.session.execute(update(ClaimEntry).where(ClaimEntry.claim_id == claim.id).values(at=_at(day)))


def _claim(owner, unit, day: date, category: str = "does_not_work") -> WarrantyClaim:
    claim = file_claim(owner, unit, category=category, started_on=None,
                       description="It stopped working after a few weeks of use.")
    _backdate_claim(claim, day)
    return claim


def _register(owner, unit, bought: date, since: date, retailer: str = "") -> Ownership:
    ownership = register_unit(owner, unit, purchased_on=bought, retailer=retailer)
    ownership.since = _at(since)
    return ownership


def build_shop() -> Shop:
    acme = create_tenant("acme", "Acme Watches", ["4012345"], actor="test")
    alpha = add_model(acme, gtin=gtin_for("4012345", 1), name="Alpha", warranty_months=24, actor="test")
    made, late = date(2026, 1, 10), date(2026, 6, 20)

    def unit(serial, lot="L1", day=made):
        return create_unit(acme, gtin=alpha.gtin, serial=serial, lot=lot, manufactured_on=day, actor="test")

    for n in range(1, 5):
        unit(f"U{n}")
    unit("U5", "L2", late)
    unit("U6", "L2", late)
    s1, s2, s3, s4, r1 = (unit(s) for s in ("S1", "S2", "S3", "S4", "R1"))
    record_sale(acme, s1, retailer="Shop A", sold_on=date(2026, 2, 9), buyer_email=None, actor="till")
    record_sale(acme, s2, retailer="Shop A", sold_on=date(2026, 3, 11), buyer_email=None, actor="till")
    record_sale(acme, s3, retailer="Shop B", sold_on=date(2026, 3, 11), buyer_email=None, actor="till")
    record_sale(acme, s4, retailer="Shop B", sold_on=date(2026, 5, 10), buyer_email=None, actor="till")

    owner = create_user("owner@example.test", PASSWORD, name="Olivia Owner", verified=True)
    agent = add_staff(acme, "agent@acme.test", "claims_agent", password=PASSWORD, actor="test").user
    _register(owner, s1, date(2026, 2, 9), date(2026, 2, 9))
    _register(owner, s2, date(2026, 3, 11), date(2026, 3, 21))
    _register(owner, r1, date(2026, 4, 1), date(2026, 4, 2), retailer="Shop C")
    _claim(owner, s1, date(2026, 4, 5))
    _claim(owner, s1, date(2026, 7, 2), category="intermittent_fault")
    first = _claim(owner, s2, date(2026, 3, 20))
    for state in ("approved", "in_repair", "repaired", "closed"):
        move(first, state, actor=agent, role="agent")
    _claim(owner, s2, date(2026, 6, 3))
    register_contact(s3, "neighbour@example.test")
    withdrawn = _claim(owner, r1, date(2026, 5, 2))
    move(withdrawn, "withdrawn", actor=owner, role="owner")

    bravo = create_tenant("bravo", "Bravo Bikes", ["5012345"], actor="test")
    cargo = add_model(bravo, gtin=gtin_for("5012345", 1), name="Cargo", warranty_months=24, actor="test")
    bike = create_unit(bravo, gtin=cargo.gtin, serial="B1", lot="L1", manufactured_on=made, actor="test")
    record_sale(bravo, bike, retailer="Shop A", sold_on=date(2026, 2, 9), buyer_email=None, actor="till")
    rider = create_user("rider@example.test", PASSWORD, name="Rita Rider", verified=True)
    _register(rider, bike, date(2026, 2, 9), date(2026, 2, 9))
    _claim(rider, bike, date(2026, 2, 20))
    db.session.commit()
    return Shop(acme.id, alpha.id, bravo.id)
