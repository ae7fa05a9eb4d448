"""The console home: registrations per month, open claims by age, recall completion, outliers, clone alerts."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from portal.accounts.services import find_user
from portal.authenticity.models import AlertState, CloneAlert
from portal.catalog.models import Manufacturer, Unit
from portal.console.dashboard import build_dashboard
from portal.core.db import utcnow
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.ownership.services import register_unit
from portal.recalls import services as recalls
from portal.recalls.models import RecallUnit
from portal.warranty import services as warranty
from portal.warranty.models import WarrantyClaim
from tests.factories import GPSR_NOTICE, build_world, login


@pytest.fixture
def world(app):
    return build_world(app)


def tenant(slug: str) -> Manufacturer:
    return db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug))


def claim_on(unit: Unit, owner) -> WarrantyClaim:
    return warranty.file_claim(owner, unit, category="does_not_work", description="The hands stopped moving.",
                               started_on=date.today(), photos=[])


@pytest.fixture
def busy(app, world):
    """Acme: three registrations (one four months ago), two open claims (one 20 days old), a recall a third
    remedied and an open clone alert. Bravo: a registration and a claim that acme must never count."""
    with app.app_context():
        owner, other = find_user(world.owner), find_user(world.other_owner)
        units = [db.session.get(Unit, uid) for uid in world.unit_ids_a]
        for unit, who in zip(units, (owner, other, owner)):
            register_unit(who, unit, purchased_on=date.today())
        db.session.flush()
        db.session.execute(update(Ownership).where(Ownership.unit_id == units[1].id)
                           .values(since=utcnow() - timedelta(days=122)))
        fresh, old = claim_on(units[0], owner), claim_on(units[1], other)
        db.session.flush()
        db.session.execute(update(WarrantyClaim).where(WarrantyClaim.id == old.id)
                           .values(created_at=utcnow() - timedelta(days=20)))
        bravo_unit = db.session.get(Unit, world.unit_id_b)
        register_unit(other, bravo_unit, purchased_on=date.today())
        claim_on(bravo_unit, other)
        campaign = recalls.save_draft(tenant("acme"), actor="test", **GPSR_NOTICE, number="R-7", title="Crown falls off",
                                      hazard="The crown can come loose.", criteria={"lots": ["L1"]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        db.session.flush()
        first = db.session.scalar(select(RecallUnit).where(RecallUnit.unit_id == units[0].id))
        recalls.record_remedy(first, by="test", note="New crown")
        db.session.add(CloneAlert(manufacturer_id=tenant("acme").id, unit_id=units[2].id, kind="many_clients",
                                  state=AlertState.OPEN))
        db.session.commit()
        assert fresh.number != old.number
    return world


def test_figures_count_only_the_tenants_own_rows(app, busy):
    with app.app_context():
        board = build_dashboard(tenant("acme").id)
        assert sum(bar.value for bar in board.registrations) == 3
        assert board.registrations[-1].value == 2  # this month; the third is four months back
        assert [bar.value for bar in board.registrations].count(1) == 1
        assert [bar.value for bar in board.claim_ages] == [1, 0, 1, 0]
        assert board.claim_ages[2].link_args == {"state": "open", "age": 14}
        (progress,) = board.recalls
        assert (progress.affected, progress.removed, progress.remedied) == (3, 0, 1)
        assert progress.rate == pytest.approx(1 / 3)
        assert (board.open_alerts, board.alerts_last_30_days) == (1, 1)

        other = build_dashboard(tenant("bravo").id)
        assert sum(bar.value for bar in other.registrations) == 1
        assert other.open_claims == 1 and other.recalls == [] and other.open_alerts == 0


def test_transfers_are_not_counted_as_new_registrations(app, busy):
    with app.app_context():
        before = sum(bar.value for bar in build_dashboard(tenant("acme").id).registrations)
        ownership = db.session.scalar(select(Ownership).where(Ownership.until.is_(None)).limit(1))
        db.session.add(Ownership(unit_id=ownership.unit_id, owner_id=ownership.owner_id, source="transfer",
                                 since=utcnow()))
        ownership.until = utcnow()
        db.session.commit()
        assert sum(bar.value for bar in build_dashboard(tenant("acme").id).registrations) == before


def test_home_page_draws_the_charts_and_links_into_each_desk(app, busy):
    client = app.test_client()
    login(client, busy.staff_a["admin"])
    page = client.get("/console/acme/").get_data(as_text=True)
    assert "Units registered per month" in page and "<svg" in page
    assert "/console/acme/claims?state=open&amp;age=14" in page  # the 2–4 weeks column opens those claims
    assert "R-7" in page and "33%" in page
    assert 'id="open-alerts">1<' in page
    assert "Open warranty claims by time since filing: under a week 1, 1–2 weeks 0, 2–4 weeks 1" in page


def test_an_empty_tenant_gets_a_calm_home_page(app, world):
    client = app.test_client()
    login(client, world.staff_b["admin"])
    response = client.get("/console/bravo/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No open claims." in page and "No active recalls." in page
