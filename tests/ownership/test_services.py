"""Registration, the one-current-owner rule under a real race, transfers and stolen reports."""
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.services import find_user
from portal.catalog.models import Disposition, Unit
from portal.catalog.services import find_unit
from portal.core.db import utcnow
from portal.core.errors import AlreadyOwned, Invalid, NotAllowed, NotFound
from portal.extensions import db
from portal.ownership import services
from portal.ownership.models import Ownership, TransferOffer
from tests.factories import build_world


@pytest.fixture
def world(app):
    return build_world(app)


def unit_a(world, i=0) -> Unit:
    return find_unit(world.gtin_a, world.serials_a[i])


def current_owner_email(unit):
    ownership = services.current_ownership(unit)
    return ownership.owner.email if ownership else None


def test_register_makes_the_owner_current_and_records_an_event(world, ctx):
    owner = find_user(world.owner)
    ownership = services.register_unit(owner, unit_a(world), purchased_on=date(2025, 3, 1), retailer="Shop")
    assert ownership.is_current
    assert unit_a(world).status is Disposition.RETAIL_SOLD
    assert unit_a(world).events[-1].biz_step.value == "retail_selling"


def test_second_registration_of_the_same_unit_is_refused_and_the_first_stands(world, ctx):
    services.register_unit(find_user(world.owner), unit_a(world), purchased_on=date(2025, 3, 1))
    with pytest.raises(AlreadyOwned, match="another owner"):
        services.register_unit(find_user(world.other_owner), unit_a(world), purchased_on=date(2025, 3, 2))
    assert current_owner_email(unit_a(world)) == world.owner


def test_unverified_owner_cannot_register(world, ctx):
    with pytest.raises(NotAllowed, match="Confirm your e-mail"):
        services.register_unit(find_user(world.unverified), unit_a(world), purchased_on=None)


@pytest.mark.parametrize("purchased_on, message", [
    (date.today() + timedelta(days=1), "future"),
    (date(2024, 1, 1), "before the product was made"),
])
def test_implausible_purchase_dates_are_refused(world, ctx, purchased_on, message):
    with pytest.raises(Invalid, match=message):
        services.register_unit(find_user(world.owner), unit_a(world), purchased_on=purchased_on)


def test_the_database_itself_refuses_a_second_current_ownership(world, ctx):
    """Invariant 2 (docs/architecture.md) holds even for code that skips the service's checks."""
    unit, owner, other = unit_a(world), find_user(world.owner), find_user(world.other_owner)
    db.session.add(Ownership(unit=unit, owner=owner))
    db.session.flush()
    db.session.add(Ownership(unit=unit, owner=other))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_two_people_registering_at_the_same_moment_exactly_one_wins(app, world):
    """Two connections race; the partial unique index lets exactly one through, on SQLite and PostgreSQL."""
    barrier, outcomes = threading.Barrier(2), {}

    def attempt(email):
        with app.app_context():
            owner, unit = find_user(email), unit_a(world, 1)
            barrier.wait()
            try:
                services.register_unit(owner, unit, purchased_on=date(2025, 5, 1))
                db.session.commit()
                outcomes[email] = "registered"
            except AlreadyOwned as err:
                db.session.rollback()
                outcomes[email] = str(err)

    threads = [threading.Thread(target=attempt, args=(e,)) for e in (world.owner, world.other_owner)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()).count("registered") == 1, outcomes
    loser = next(v for v in outcomes.values() if v != "registered")
    assert "dispute" in loser
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Ownership).where(Ownership.until.is_(None)))
        assert count == 1


def test_transfer_moves_ownership_keeps_history_and_tells_the_seller(world, ctx):
    seller, buyer = find_user(world.owner), find_user(world.other_owner)
    first = services.register_unit(seller, unit_a(world), purchased_on=date(2025, 3, 1))
    _, code = services.start_transfer(seller, first)
    new = services.accept_transfer(buyer, code.lower().replace("-", ""), purchased_on=date.today())
    assert new.owner_id == buyer.id and new.source == "transfer"
    assert first.until is not None and first.ended_reason == "transferred"
    history = db.session.scalars(select(Ownership).where(Ownership.unit_id == first.unit_id)).all()
    assert len(history) == 2
    from portal.notifications.models import Notification

    assert db.session.scalar(select(Notification).where(Notification.recipient == world.owner,
                                                        Notification.template == "transfer_done"))


def test_a_transfer_code_works_once(world, ctx):
    seller, buyer = find_user(world.owner), find_user(world.other_owner)
    _, code = services.start_transfer(seller, services.register_unit(seller, unit_a(world), purchased_on=None))
    services.accept_transfer(buyer, code)
    with pytest.raises(Invalid, match="already been used"):
        services.accept_transfer(find_user(world.owner), code)


def test_an_expired_transfer_code_is_refused_and_nothing_changes(world, ctx):
    seller, buyer = find_user(world.owner), find_user(world.other_owner)
    ownership = services.register_unit(seller, unit_a(world), purchased_on=None)
    offer, code = services.start_transfer(seller, ownership)
    offer.expires_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(Invalid, match="expired"):
        services.accept_transfer(buyer, code)
    assert current_owner_email(unit_a(world)) == world.owner


def test_a_new_code_cancels_the_previous_one(world, ctx):
    seller = find_user(world.owner)
    ownership = services.register_unit(seller, unit_a(world), purchased_on=None)
    _, old = services.start_transfer(seller, ownership)
    services.start_transfer(seller, ownership)
    with pytest.raises(Invalid, match="cancelled"):
        services.find_offer(old)


def test_an_unknown_code_is_refused(world, ctx):
    with pytest.raises(NotFound):
        services.accept_transfer(find_user(world.other_owner), "NOPE-NOPE-NOPE")


def test_a_stolen_unit_cannot_be_transferred_or_registered_by_someone_else(world, ctx):
    owner, other = find_user(world.owner), find_user(world.other_owner)
    ownership = services.register_unit(owner, unit_a(world), purchased_on=None)
    _, code = services.start_transfer(owner, ownership)
    services.report_stolen(owner, ownership, place="Station")
    assert unit_a(world).status is Disposition.STOLEN
    with pytest.raises(Invalid):  # the open code was cancelled by the report
        services.accept_transfer(other, code)
    with pytest.raises(NotAllowed, match="stolen"):
        services.start_transfer(owner, ownership)
    with pytest.raises(NotAllowed, match="stolen"):
        services.register_unit(other, unit_a(world), purchased_on=None)
    assert db.session.scalar(select(func.count()).select_from(TransferOffer).where(
        TransferOffer.state == "open")) == 0


def test_recovery_lifts_the_stolen_status(world, ctx):
    owner = find_user(world.owner)
    ownership = services.register_unit(owner, unit_a(world), purchased_on=None)
    services.report_stolen(owner, ownership)
    services.report_recovered(owner, ownership)
    assert unit_a(world).status is Disposition.RETAIL_SOLD
    services.start_transfer(owner, ownership)  # allowed again


def test_only_the_current_owner_can_act_on_a_unit(world, ctx):
    ownership = services.register_unit(find_user(world.owner), unit_a(world), purchased_on=None)
    with pytest.raises(NotFound):
        services.report_stolen(find_user(world.other_owner), ownership)
    with pytest.raises(NotFound):
        services.start_transfer(find_user(world.other_owner), ownership)


def test_a_dispute_needs_a_reason_and_reaches_the_manufacturer(world, ctx):
    services.register_unit(find_user(world.owner), unit_a(world), purchased_on=None)
    with pytest.raises(Invalid):
        services.open_dispute(find_user(world.other_owner), unit_a(world), "mine")
    dispute = services.open_dispute(find_user(world.other_owner), unit_a(world),
                                    "I bought it at the Acme shop in March; receipt attached by mail.")
    assert dispute.unit.manufacturer_id == unit_a(world).manufacturer_id
