"""Prebuilt statements put values in and take them out exactly as the ORM does, on both databases."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from portal.authenticity.clones import INSERT_SCAN
from portal.authenticity.models import Scan
from portal.catalog.models import Disposition, Unit
from portal.core.prebuilt import Prebuilt
from portal.extensions import db
from tests.factories import build_world

SCAN_BY_ID = Prebuilt(lambda: select(Scan.at, Scan.by_owner, Scan.lat, Scan.verdict, Scan.nfc_counter)
                      .where(Scan.id == bindparam("id")))
LATEST_SCANS = Prebuilt(lambda: select(Scan.id).where(Scan.at >= bindparam("since", type_=Scan.__table__.c.at.type))
                        .order_by(Scan.id.desc()).limit(1))
UNIT_STATUS = Prebuilt(lambda: select(Unit.status, Unit.created_at).where(Unit.id == bindparam("id")))


def test_a_prebuilt_insert_reads_back_through_the_orm_unchanged(app):
    world = build_world(app)
    moment = datetime(2026, 5, 1, 23, 59, 58, 123456, tzinfo=UTC)
    with app.app_context():
        (scan_id,) = INSERT_SCAN.first({"unit_id": world.unit_ids_a[0], "verdict": "genuine", "reason": "ok",
                                        "client": "abc", "by_owner": True, "lat": 46.2, "lon": None, "channel": "qr",
                                        "label_number": 3, "nfc_counter": None, "at": moment})
        db.session.commit()
        stored = db.session.get(Scan, scan_id)
        assert (stored.at, stored.by_owner, stored.lat, stored.lon, stored.label_number) == (moment, True, 46.2, None, 3)


def test_columns_come_back_typed_like_the_orm_reads_them(app):
    world = build_world(app)
    with app.app_context():
        scan = Scan(unit_id=world.unit_ids_a[0], verdict="warning", reason="ok", client="x", by_owner=False,
                    channel="nfc", nfc_counter=7)
        db.session.add(scan)
        db.session.commit()
        at, by_owner, lat, verdict, counter = SCAN_BY_ID.first({"id": scan.id})
        assert at == scan.at and at.tzinfo is not None  # aware UTC, like the ORM's
        assert by_owner is False and lat is None and verdict == "warning" and counter == 7
        status, created = UNIT_STATUS.first({"id": world.unit_ids_a[0]})
        unit = db.session.get(Unit, world.unit_ids_a[0])
        assert isinstance(status, Disposition) and status is unit.status  # the enum member, not its text
        assert created == unit.created_at
        assert UNIT_STATUS.first({"id": -1}) is None


def test_datetime_parameters_compare_like_the_orms(app):
    world = build_world(app)
    with app.app_context():
        scan = Scan(unit_id=world.unit_ids_a[0], verdict="genuine", client="x")
        db.session.add(scan)
        db.session.commit()
        assert LATEST_SCANS.first({"since": scan.at - timedelta(seconds=1)}) == (scan.id,)
        assert LATEST_SCANS.first({"since": scan.at + timedelta(microseconds=1)}) is None  # a preset bind (LIMIT) too


def test_a_prebuilt_write_is_undone_by_the_sessions_rollback_and_floats_read_back(app):
    world = build_world(app)
    values = {"unit_id": world.unit_ids_a[0], "verdict": "genuine", "reason": "ok", "client": "abc",
              "by_owner": False, "lat": 46.2, "lon": 6.1, "channel": "qr", "label_number": 1, "nfc_counter": None,
              "at": datetime.now(UTC)}
    with app.app_context():
        (kept,) = INSERT_SCAN.first(values)
        db.session.commit()
        (undone,) = INSERT_SCAN.first(values)
        db.session.rollback()
        assert db.session.get(Scan, undone) is None
        assert SCAN_BY_ID.first({"id": kept})[2] == 46.2  # a float column, converted by the driver's type code


def test_a_missing_parameter_or_an_expanding_list_is_refused_not_run(app):
    with app.app_context():
        with pytest.raises(KeyError, match="id"):
            SCAN_BY_ID.first({"identifier": 1})  # misspelt: not quietly NULL
        expanding = Prebuilt(lambda: select(Scan.id).where(Scan.verdict.in_(["genuine", "warning"])))
        with pytest.raises(ValueError, match="expand"):
            expanding.first({})


def test_a_database_error_comes_out_as_sqlalchemys_own(app):
    with app.app_context():
        with pytest.raises(IntegrityError):  # no such unit: the foreign key refuses it, as through the ORM
            INSERT_SCAN.first({"unit_id": 987654321, "verdict": "genuine", "reason": "", "client": "", "by_owner": False,
                               "lat": None, "lon": None, "channel": "qr", "label_number": None, "nfc_counter": None,
                               "at": datetime.now(UTC)})
        db.session.rollback()


UNIT_SCANS = Prebuilt(lambda: select(Scan.at, Scan.verdict).where(Scan.unit_id == bindparam("unit_id"))
                      .order_by(Scan.id))


def test_all_rows_come_back_converted_in_order_and_none_as_an_empty_list(app):
    world = build_world(app)
    with app.app_context():
        for verdict in ("genuine", "warning", "not_genuine"):
            db.session.add(Scan(unit_id=world.unit_ids_a[0], verdict=verdict, client="x"))
        db.session.commit()
        rows = UNIT_SCANS.all({"unit_id": world.unit_ids_a[0]})
        assert [verdict for _at, verdict in rows] == ["genuine", "warning", "not_genuine"]
        assert all(at.tzinfo is not None for at, _verdict in rows)  # converted like the ORM's, every row
        assert UNIT_SCANS.all({"unit_id": world.unit_ids_a[1]}) == []
        assert INSERT_SCAN.first({"unit_id": None, "verdict": "genuine", "reason": "", "client": "y", "by_owner": False,
                                  "lat": None, "lon": None, "channel": "qr", "label_number": None, "nfc_counter": None,
                                  "at": datetime.now(UTC)})[0] > 0
