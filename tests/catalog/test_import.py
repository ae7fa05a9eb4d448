"""CSV import of units: bad rows are reported by line, good rows land set-based, a re-run changes nothing."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from portal.catalog.importer import COLUMNS, import_units_csv
from portal.catalog.models import BizStep, Disposition, Lot, Manufacturer, ProductModel, Unit, UnitEvent
from portal.catalog.services import add_model, create_unit
from portal.core.audit import AuditEntry
from portal.core.errors import Invalid
from portal.demo import gtin_for
from portal.extensions import db
from tests.factories import build_world

HEADER = ",".join(COLUMNS)
PACK_GTIN = gtin_for("4012345", 90)  # a battery pack model of acme, added by `acme_with_pack`
NFC_TAKEN = "04A1B2C3D4E5F6"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def row(gtin: str, serial: str, lot: str = "", made: str = "", parent_gtin: str = "", parent_serial: str = "",
        nfc: str = "") -> str:
    return f"{gtin},{serial},{lot},{made},{parent_gtin},{parent_serial},{nfc}"


def tenant(slug: str = "acme") -> Manufacturer:
    return db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug))


def unit(gtin: str, serial: str) -> Unit | None:
    return db.session.scalar(select(Unit).join(ProductModel, ProductModel.id == Unit.model_id)
                             .where(ProductModel.gtin == gtin, Unit.serial == serial))


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Unit, UnitEvent, Lot)}


@pytest.fixture
def world(app, ctx):
    return build_world(app)


@pytest.fixture
def acme_with_pack(world):
    """acme also makes battery packs; one existing acme unit already carries NFC tag NFC_TAKEN."""
    acme = tenant()
    add_model(acme, gtin=PACK_GTIN, name="Acme Pack", warranty_months=24, actor="test")
    create_unit(acme, gtin=world.gtin_a, serial="TAGGED-1", nfc_uid=NFC_TAKEN, actor="test")
    db.session.commit()
    return world


def test_mixed_file_keeps_good_rows_and_reports_each_bad_row_by_line(acme_with_pack):
    w = acme_with_pack
    bad_check = w.gtin_a[:-1] + str((int(w.gtin_a[-1]) + 1) % 10)
    future = (date.today() + timedelta(days=30)).isoformat()
    lines = [
        row(w.gtin_a, "GOOD-1", "L7", "2025-03-01"),                       # 2
        row(bad_check, "X-1"),                                             # 3
        row(w.gtin_b, "X-2"),                                              # 4 bravo's model
        row(gtin_for("4012345", 77), "X-3"),                               # 5 no such model
        row(w.gtin_a, "S" * 21),                                           # 6
        row(w.gtin_a, "HAS SPACE"),                                        # 7
        row(w.gtin_a, "HAS#HASH"),                                         # 8
        row(w.gtin_a, "X-4", made="2025-02-30"),                           # 9
        row(w.gtin_a, "X-5", made=future),                                 # 10
        row(w.gtin_a, "X-6", parent_gtin=PACK_GTIN),                       # 11
        row(w.gtin_a, "X-7", parent_gtin=w.gtin_a, parent_serial="X-7"),   # 12
        row(w.gtin_a, "GOOD-1", "L7", "2025-03-01"),                       # 13 repeats line 2
        row(w.gtin_a, "X-8", nfc="04A1B2"),                                # 14
        row(w.gtin_a, "X-9", nfc=NFC_TAKEN.lower()),                       # 15 TAGGED-1 has it
        row(w.gtin_a, "X-10", parent_gtin=PACK_GTIN, parent_serial="NOPE"),  # 16
        f"{w.gtin_a},X-11,L7",                                             # 17 three fields
        row(w.gtin_a, "X-12", parent_gtin=w.gtin_b, parent_serial=w.serial_b),  # 18 bravo's unit
        row(PACK_GTIN, "GOOD-2", nfc="04:11:22:33:44:55:66"),              # 19
        "",                                                                # 20 blank: skipped silently
        row(w.gtin_a, "GOOD-3", parent_gtin=PACK_GTIN, parent_serial="GOOD-2"),  # 21
    ]
    report = import_units_csv(tenant(), csv_text(*lines), actor="test")

    reasons = dict(report.rejected)
    expected = {
        3: "check digit", 4: "is not one of your product models", 5: "is not one of your product models",
        6: "1 to 20 characters, got 21", 7: "(space)", 8: "'#'", 9: "is not a date", 10: "in the future",
        11: "both parent_gtin and parent_serial", 12: "its own parent", 13: "repeats the unit of line 2",
        14: "14 hexadecimal digits", 15: "already belongs to another unit", 16: "parent unit not found",
        17: "different number of fields", 18: "parent unit not found",
    }
    assert sorted(reasons) == sorted(expected), report.rejected
    for line, needle in expected.items():
        assert needle in reasons[line], (line, reasons[line])
    assert [line for line, _ in report.rejected] == sorted(expected)
    assert (report.added, report.unchanged) == (3, 0)
    assert unit(w.gtin_a, "GOOD-1").manufactured_on == date(2025, 3, 1)
    assert unit(PACK_GTIN, "GOOD-2").nfc_uid == "04112233445566"
    assert unit(w.gtin_a, "GOOD-3").parent_id == unit(PACK_GTIN, "GOOD-2").id
    for serial in ("X-2", "X-4", "X-5", "X-6", "X-7", "X-8", "X-9", "X-10", "X-11", "X-12"):
        assert unit(w.gtin_a, serial) is None, serial
    assert unit(w.gtin_b, "X-2") is None
    assert unit(w.gtin_a, "TAGGED-1").nfc_uid == NFC_TAKEN


def test_importing_the_same_file_twice_changes_nothing(acme_with_pack):
    w = acme_with_pack
    text = csv_text(
        row(PACK_GTIN, "P-1", "CELL-A", "2025-01-02", nfc="04000000000001"),
        row(w.gtin_a, "W-1", "L8", "2025-01-03", PACK_GTIN, "P-1", "04000000000002"),
        row(w.gtin_a, w.serials_a[0], "L1", "2025-01-10"),  # already there from build_world
        row(w.gtin_a, "BAD SERIAL"),
    )
    first = import_units_csv(tenant(), text, actor="test")
    db.session.commit()
    assert (first.added, first.unchanged, [n for n, _ in first.rejected]) == (2, 1, [5])
    before = counts()
    parent_before = unit(w.gtin_a, "W-1").parent_id

    second = import_units_csv(tenant(), text, actor="test")
    db.session.commit()

    assert (second.added, second.unchanged) == (0, 3)
    assert second.rejected == first.rejected
    assert counts() == before
    assert unit(w.gtin_a, "W-1").parent_id == parent_before == unit(PACK_GTIN, "P-1").id


@pytest.mark.parametrize("pack_first", [True, False], ids=["parent-first", "parent-after-child"])
def test_child_row_links_to_parent_row_of_the_same_file_in_either_order(acme_with_pack, pack_first):
    w = acme_with_pack
    pack = row(PACK_GTIN, "PACK-1")
    bike = row(w.gtin_a, "BIKE-1", parent_gtin=PACK_GTIN, parent_serial="PACK-1")
    lines = [pack, bike] if pack_first else [bike, pack]
    report = import_units_csv(tenant(), csv_text(*lines), actor="test")

    assert (report.added, report.rejected) == (2, [])
    child, parent = unit(w.gtin_a, "BIKE-1"), unit(PACK_GTIN, "PACK-1")
    assert child.parent_id == parent.id
    assert parent.parent_id is None
    assert [c.id for c in parent.components] == [child.id]


def test_child_row_links_to_a_parent_already_in_the_database(acme_with_pack):
    w = acme_with_pack
    existing = create_unit(tenant(), gtin=PACK_GTIN, serial="OLD-PACK", actor="test")
    db.session.commit()
    report = import_units_csv(tenant(), csv_text(
        row(w.gtin_a, "BIKE-2", parent_gtin=PACK_GTIN, parent_serial="OLD-PACK"),
        # a GTIN-13 parent reference is normalized to GTIN-14 before matching
        row(w.gtin_a, "BIKE-3", parent_gtin=PACK_GTIN.lstrip("0"), parent_serial="OLD-PACK"),
    ), actor="test")

    assert (report.added, report.rejected) == (2, [])
    assert unit(w.gtin_a, "BIKE-2").parent_id == existing.id
    assert unit(w.gtin_a, "BIKE-3").parent_id == existing.id


def test_each_lot_is_created_once_per_model_and_existing_lots_are_reused(acme_with_pack):
    w = acme_with_pack
    model_a = w.model_id_a
    lot_l1 = db.session.scalar(select(Lot.id).where(Lot.model_id == model_a, Lot.code == "L1"))
    report = import_units_csv(tenant(), csv_text(
        row(w.gtin_a, "A-1", "L9"), row(w.gtin_a, "A-2", "L9"), row(w.gtin_a, "A-3", "L10"),
        row(w.gtin_a, "A-4", "L1"), row(PACK_GTIN, "P-1", "L9"), row(w.gtin_a, "A-5"),
    ), actor="test")
    assert report.added == 6

    lots = db.session.execute(
        select(Lot.model_id, Lot.code, func.count()).group_by(Lot.model_id, Lot.code)).all()
    pack_model = unit(PACK_GTIN, "P-1").model_id
    assert sorted(lots) == sorted([(model_a, "L1", 1), (model_a, "L9", 1), (model_a, "L10", 1),
                                   (pack_model, "L9", 1)])
    assert unit(w.gtin_a, "A-1").lot_id == unit(w.gtin_a, "A-2").lot_id != unit(PACK_GTIN, "P-1").lot_id
    assert unit(w.gtin_a, "A-3").lot.code == "L10"
    assert unit(w.gtin_a, "A-4").lot_id == lot_l1
    assert unit(w.gtin_a, "A-5").lot_id is None


def test_each_new_unit_gets_one_commissioning_event_and_existing_units_none(world):
    existing = unit(world.gtin_a, world.serials_a[0])
    events_of_existing = len(existing.events)
    report = import_units_csv(tenant(), csv_text(
        row(world.gtin_a, "N-1"), row(world.gtin_a, "N-2"), row(world.gtin_a, world.serials_a[0]),
    ), actor="test")
    assert (report.added, report.unchanged) == (2, 1)

    for serial in ("N-1", "N-2"):
        new = unit(world.gtin_a, serial)
        assert new.status is Disposition.ACTIVE
        history = [(e.biz_step, e.disposition) for e in new.events]
        assert history == [(BizStep.COMMISSIONING, Disposition.ACTIVE)]
    db.session.refresh(existing)
    assert len(existing.events) == events_of_existing


def test_imported_units_belong_to_the_importing_tenant(world):
    bravo = tenant("bravo")
    text = csv_text(row(world.gtin_b, "B-1"), row(world.gtin_b, "B-2"))
    report = import_units_csv(bravo, text, actor="test")
    assert report.added == 2
    owners = db.session.scalars(select(Unit.manufacturer_id).where(Unit.serial.in_(["B-1", "B-2"]))).all()
    assert owners == [bravo.id, bravo.id]


@pytest.mark.parametrize("header", [
    "gtin,serial,colour",                   # unknown column
    "gtin,lot,manufactured_on",             # serial missing
    "serial;gtin",                          # wrong separator: one unknown column
    "",                                     # empty file
], ids=["unknown-column", "missing-serial", "semicolons", "empty"])
def test_bad_header_raises_invalid_and_stores_nothing(world, header):
    before = counts()
    audits = db.session.scalar(select(func.count()).select_from(AuditEntry))
    text = header + "\n" + row(world.gtin_a, "H-1") if header else ""
    with pytest.raises(Invalid, match="header must be"):
        import_units_csv(tenant(), text, actor="test")
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_header_may_list_only_the_required_columns_in_any_order_with_a_bom(world):
    data = ("\ufeffSerial , GTIN\n" + f"B-9,{world.gtin_a}\n").encode("utf-8")
    report = import_units_csv(tenant(), data, actor="test")
    assert (report.added, report.rejected) == (1, [])
    assert unit(world.gtin_a, "B-9") is not None


def test_non_utf8_bytes_raise_invalid_and_store_nothing(world):
    before = counts()
    data = (HEADER + "\n" + row(world.gtin_a, "MÜLLER-1")).encode("latin-1")
    with pytest.raises(Invalid, match="UTF-8"):
        import_units_csv(tenant(), data, actor="test")
    assert counts() == before


def test_import_writes_a_units_imported_audit_entry_with_the_counts(world):
    acme = tenant()
    import_units_csv(acme, csv_text(row(world.gtin_a, "AU-1"), row(world.gtin_a, world.serials_a[0]),
                                    row(world.gtin_a, "BAD SERIAL")), actor="test")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "units.imported"))
    assert entry is not None
    assert (entry.manufacturer_id, entry.actor_label, entry.target_id) == (acme.id, "test", str(acme.id))
    assert json.loads(entry.detail) == {"added": 1, "unchanged": 1, "rejected": 1}


def test_importing_5000_rows_takes_a_bounded_number_of_sql_statements(acme_with_pack):
    w = acme_with_pack
    lines = []
    for n in range(2500):
        lines.append(row(PACK_GTIN, f"P-{n:05d}", f"C{n % 7}", "2025-01-01", nfc=f"05{n:012X}"))
        lines.append(row(w.gtin_a, f"B-{n:05d}", f"L{n % 5}", "2025-01-02", PACK_GTIN, f"P-{n:05d}"))
    text = csv_text(*lines)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        report = import_units_csv(tenant(), text, actor="test")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert (report.added, report.rejected) == (5000, [])
    assert len(statements) < 60, f"{len(statements)} statements for 5000 rows"
    linked = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.parent_id.is_not(None)))
    assert linked == 2500
    assert db.session.scalar(select(func.count()).select_from(UnitEvent)
                             .where(UnitEvent.biz_step == BizStep.COMMISSIONING)) == 5000 + 4 + 1


def test_child_of_a_parent_row_rejected_for_its_own_missing_parent_is_rejected_too(acme_with_pack):
    w = acme_with_pack
    report = import_units_csv(tenant(), csv_text(
        row(w.gtin_a, "BIKE-9", parent_gtin=PACK_GTIN, parent_serial="PACK-9"),
        row(PACK_GTIN, "PACK-9", parent_gtin=PACK_GTIN, parent_serial="NOWHERE"),
    ), actor="test")
    assert [line for line, _ in report.rejected] == [2, 3]
    assert unit(w.gtin_a, "BIKE-9") is None


def test_rows_naming_each_other_as_parent_do_not_land_as_a_cycle(acme_with_pack):
    w = acme_with_pack
    report = import_units_csv(tenant(), csv_text(
        row(w.gtin_a, "CY-A", parent_gtin=PACK_GTIN, parent_serial="CY-B"),
        row(PACK_GTIN, "CY-B", parent_gtin=w.gtin_a, parent_serial="CY-A"),
    ), actor="test")
    assert report.rejected, "a parent cycle must be reported"
    start = unit(w.gtin_a, "CY-A")
    seen, current = set(), start
    while current is not None and current.id not in seen:
        seen.add(current.id)
        current = current.parent
    assert current is None, "the parent chain of CY-A loops"
