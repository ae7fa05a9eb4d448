"""What a capture asks the database per chunk (portal/catalog/epcis/reading.py): the right rows, and on SQLite,
whose plans do not depend on statistics, plans that probe an index once per value instead of reading the
tenant's units or events (which made a capture grow with the square of its size; docs/performance.md, "The
capture made leaner")."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from portal.catalog.epcis import landing, reading
from portal.catalog.epcis.models import CapturedEvent
from portal.catalog.models import Disposition, Manufacturer, ProductModel, Unit
from portal.core.db import utcnow
from portal.extensions import db


@pytest.fixture
def acme(app, world):
    with app.app_context():
        tenant = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        models = dict(db.session.execute(select(ProductModel.gtin, ProductModel.id)
                                         .where(ProductModel.manufacturer_id == tenant.id)).all())
        yield tenant, models


def statements(run) -> list[tuple[str, object]]:
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def plan(statement: str, parameters) -> str:
    return " | ".join(row[-1] for row in db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + statement, parameters))


def test_a_chunk_finds_its_units_and_the_event_ids_captured_before(app, acme):
    tenant, models = acme
    units = db.session.execute(select(ProductModel.gtin, Unit.serial, Unit.id).join(
        ProductModel, ProductModel.id == Unit.model_id).where(Unit.manufacturer_id == tenant.id)).all()
    keys = [(gtin, serial) for gtin, serial, _ in units]
    other = db.session.scalar(select(Unit.serial).where(Unit.manufacturer_id != tenant.id))

    found = reading.named_units(tenant.id, models, [*keys, (keys[0][0], other), (keys[0][0], "NOPE")])

    assert {key: state.id for key, state in found.items()} == {(g, s): i for g, s, i in units}
    assert all(state.latest is not None and state.latest.tzinfo is not None for state in found.values())
    assert reading.unit_ids(tenant.id, models, keys[:2]) == {(g, s): i for g, s, i in units[:2]}

    now = utcnow()
    db.session.add_all([CapturedEvent(manufacturer_id=tenant.id, event_id=f"urn:uuid:{n}", event_type="ObjectEvent",
                                      event_time=now, declared_at=now if n == 1 else None) for n in range(3)])
    db.session.flush()
    assert reading.known_event_ids(tenant.id, ["urn:uuid:0", "urn:uuid:1", "urn:uuid:9"]) == {
        "urn:uuid:0": False, "urn:uuid:1": True}
    assert reading.known_event_ids(tenant.id + 1000, ["urn:uuid:0"]) == {}
    db.session.rollback()


def test_on_sqlite_each_question_probes_an_index_per_value(app, acme):
    tenant, models = acme
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's plans follow its statistics; the SQLite plans are fixed")
    keys = db.session.execute(select(ProductModel.gtin, Unit.serial).join(
        ProductModel, ProductModel.id == Unit.model_id).where(Unit.manufacturer_id == tenant.id)).all()
    ids = [unit_id for (unit_id,) in db.session.execute(select(Unit.id).where(Unit.manufacturer_id == tenant.id))]

    class Changed:
        def __init__(self, unit_id):
            self.id, self.status = unit_id, Disposition.IN_TRANSIT

    asked = {
        "units": statements(lambda: reading.named_units(tenant.id, models, keys)),
        "event ids": statements(lambda: reading.known_event_ids(tenant.id, ["urn:uuid:0", "urn:uuid:1"])),
        "statuses": statements(lambda: landing._set_statuses([Changed(i) for i in ids])),
    }
    plans = {what: plan(*found[-1]) for what, found in asked.items()}

    assert "SEARCH units USING INDEX" in plans["units"] and "(model_id=? AND serial=?)" in plans["units"], plans["units"]
    assert "(manufacturer_id=? AND event_id=?)" in plans["event ids"], plans["event ids"]
    assert "USING INTEGER PRIMARY KEY (rowid=?)" in plans["statuses"], plans["statuses"]
    assert not any("SCAN units" in p or "SCAN epcis_events" in p or "ix_units_manufacturer_id_id" in p
                   for p in plans.values()), plans
    assert all("json_each" in found[-1][0] for found in asked.values())  # one parameter, not IN (?, ?, ...)
    db.session.rollback()
