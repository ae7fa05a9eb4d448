"""coverage(): the table of cases a warranty engine gets wrong first."""
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.accounts.services import find_user
from portal.catalog.models import BizStep, Disposition, Unit
from portal.catalog.services import create_unit, record_event
from portal.core.dates import add_months
from portal.core.storage import StoredFile
from portal.extensions import db
from portal.ownership.services import accept_transfer, register_unit, start_transfer
from portal.warranty.coverage import coverage, local_date
from portal.warranty.models import ClockStart, ExtendedCoverage, ReplacementRule, WarrantyTerms
from tests.factories import build_world

RECEIPT = StoredFile(key="receipt.pdf", mime="application/pdf", name="receipt.pdf", size=10)


@pytest.fixture
def world(app):
    return build_world(app)


def unit_of(world, i=0) -> Unit:
    return db.session.get(Unit, world.unit_ids_a[i])


def set_terms(unit, months=12, **terms):
    unit.model.warranty_months = months
    db.session.add(WarrantyTerms(model_id=unit.model_id, **terms))
    db.session.flush()


def register(world, unit, purchased_on, proof=RECEIPT, email=None, since=None):
    ownership = register_unit(find_user(email or world.owner), unit, purchased_on=purchased_on, proof=proof)
    if since:
        ownership.since = since
    return ownership


# (months, purchase date, day asked, covered?, until) with a receipt: the purchase date starts the clock.
CASES = [
    (1, date(2025, 1, 31), date(2025, 2, 28), True, date(2025, 2, 28)),   # a month after 31 January
    (1, date(2025, 1, 31), date(2025, 3, 1), False, None),
    (12, date(2024, 2, 29), date(2025, 2, 28), True, date(2025, 2, 28)),   # leap day + 12 months
    (12, date(2024, 2, 29), date(2025, 3, 1), False, None),
    (24, date(2025, 3, 14), date(2025, 3, 13), False, None),                # before the purchase
    (24, date(2025, 3, 14), date(2027, 3, 14), True, date(2027, 3, 14)),    # last day counts
]


@pytest.mark.parametrize("months, purchased, day, covered, until", CASES)
def test_months_end_leap_days_and_last_day(world, ctx, months, purchased, day, covered, until):
    unit = unit_of(world)
    unit.manufactured_on = date(2023, 1, 1)
    set_terms(unit, months)
    register(world, unit, purchased)
    answer = coverage(unit, day)
    assert (answer.covered, answer.until) == (covered, until)


def test_the_plain_words_name_the_end_and_the_scope(world, ctx):
    unit = unit_of(world)
    set_terms(unit, 24)
    register(world, unit, date(2026, 3, 14))
    assert coverage(unit, date(2026, 6, 1)).words == "Covered until 14 March 2028: parts and labour"


def test_midnight_is_judged_in_the_warranty_time_zone(world, ctx, app):
    unit = unit_of(world)
    set_terms(unit, 1)
    register(world, unit, date(2025, 1, 31))
    late_utc = datetime(2025, 2, 28, 23, 30, tzinfo=UTC)  # already 1 March in Zurich
    assert coverage(unit, late_utc, tz="Europe/Zurich").covered is False
    assert coverage(unit, late_utc, tz="America/New_York").covered is True


def test_without_a_receipt_the_clock_starts_at_manufacture_plus_grace(world, ctx):
    unit = unit_of(world)
    unit.manufactured_on = date(2025, 1, 10)
    set_terms(unit, 12, grace_days=30)
    register(world, unit, date(2025, 6, 1), proof=None)
    answer = coverage(unit, date(2026, 2, 9))
    assert answer.covered and answer.until == date(2026, 2, 9) and "manufacture" in answer.reason


def test_registration_clock_and_late_registration(world, ctx):
    unit = unit_of(world)
    set_terms(unit, 12, clock_start=ClockStart.REGISTRATION)
    assert coverage(unit, date(2025, 5, 1)).reason == "The warranty starts when the product is registered."
    register(world, unit, date(2025, 2, 1), since=datetime(2025, 4, 20, 10, tzinfo=UTC))
    assert coverage(unit, date(2026, 4, 20)).covered
    assert not coverage(unit, date(2025, 4, 19)).covered


def test_coverage_that_does_not_survive_a_transfer_ends_the_day_before(world, ctx):
    unit = unit_of(world)
    set_terms(unit, 24, survives_transfer=False)
    seller = register(world, unit, date(2025, 2, 1))
    _, code = start_transfer(find_user(world.owner), seller)
    new = accept_transfer(find_user(world.other_owner), code)
    transfer_day = new.since.astimezone(UTC).date()
    assert not coverage(unit, transfer_day + timedelta(days=1)).covered


def test_coverage_that_survives_a_transfer_keeps_the_first_purchase_date(world, ctx):
    unit = unit_of(world)
    set_terms(unit, 24, survives_transfer=True)
    _, code = start_transfer(find_user(world.owner), register(world, unit, date(2025, 2, 1)))
    accept_transfer(find_user(world.other_owner), code)
    assert coverage(unit, date(2026, 12, 1)).until == date(2027, 2, 1)


def test_no_coverage_while_reported_stolen_and_back_after_recovery(world, ctx):
    unit = unit_of(world)
    set_terms(unit, 24)
    register(world, unit, date(2025, 2, 1))
    stolen = record_event(unit, BizStep.OTHER, Disposition.STOLEN, occurred_at=datetime(2025, 6, 1, tzinfo=UTC))
    record_event(unit, BizStep.OTHER, Disposition.RETAIL_SOLD, occurred_at=datetime(2025, 7, 1, tzinfo=UTC))
    assert stolen.id
    assert coverage(unit, date(2025, 6, 15)).reason == "Not covered while the unit is reported stolen."
    assert coverage(unit, date(2025, 7, 2)).covered


def test_extended_coverage_adds_accidental_damage_and_extends_the_end(world, ctx):
    unit = unit_of(world)
    set_terms(unit, 12)
    register(world, unit, date(2025, 2, 1))
    db.session.add(ExtendedCoverage(unit_id=unit.id, starts_on=date(2026, 2, 2), months=12,
                                    scope="parts,labour,accidental", note="CarePlus"))
    db.session.flush()
    inside_base = coverage(unit, date(2025, 6, 1))
    extended = coverage(unit, date(2026, 6, 1))
    assert inside_base.scopes == ("parts", "labour")
    assert extended.covered and extended.until == date(2027, 2, 2) and "accidental damage" in extended.words
    assert coverage(unit, date(2027, 2, 3)).reason == "The warranty ended on 2 February 2027."


@pytest.mark.parametrize("rule, expected_until", [
    (ReplacementRule.REMAINING, date(2026, 2, 1)),
    (ReplacementRule.FRESH, None),  # a fresh term from the replacement's own date
])
def test_a_replacement_inherits_the_remaining_term_or_starts_afresh(world, ctx, rule, expected_until):
    old = unit_of(world)
    set_terms(old, 12, replacement_rule=rule)
    register(world, old, date(2025, 2, 1))
    tenant = old.model.manufacturer
    new = create_unit(tenant, gtin=old.model.gtin, serial="ACME-R001", actor="test")
    new.replaces_id = old.id
    db.session.flush()
    if expected_until:
        assert coverage(new, date(2025, 12, 31)).until == expected_until
        assert not coverage(new, date(2026, 2, 2)).covered
    else:
        assert not coverage(new, date(2026, 2, 2)).covered  # the fresh term starts when the unit replaces
        later = coverage(new, date.today() + timedelta(days=300))
        assert later.covered and later.until == add_months(local_date(new.created_at), 12)


def test_a_model_without_warranty_says_so(world, ctx):
    unit = unit_of(world)
    unit.model.warranty_months = 0
    assert coverage(unit, date.today()).reason == "This model has no manufacturer's warranty."
