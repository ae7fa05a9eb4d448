"""Label sheets for a selection of units (a model, optionally a lot and a serial range).

Units are read in keyset batches and labels rendered chunk by chunk, so a run of any size holds one
batch in memory. Runs from the console are LabelRun rows; a worker (or a thread in development)
renders them and records progress, and a run whose process died is picked up again.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.authenticity.labels import label_for_printing, label_uri
from portal.authenticity.models import LabelRun
from portal.catalog.models import Lot, Manufacturer, ProductModel, Unit
from portal.core.db import utcnow
from portal.core.errors import Invalid
from portal.core.gs1 import GS1Error, canonical_gtin
from portal.core.storage import new_stored
from portal.documents.labels import LabelSpec, render_label_sheet
from portal.extensions import db

BATCH = 200
BACKGROUND_OVER = 300  # console runs larger than this render in the background


def _selection(tenant: Manufacturer, *, gtin: str, lot: str | None, serial_from: str | None, serial_to: str | None):
    try:
        gtin14 = canonical_gtin(gtin or "")
    except GS1Error as err:
        raise Invalid(str(err), field="gtin") from None
    model = db.session.scalar(select(ProductModel).where(ProductModel.gtin == gtin14,
                                                         ProductModel.manufacturer_id == tenant.id))
    if model is None:
        raise Invalid(f"GTIN {gtin14} is not one of your product models.", field="gtin")
    stmt = select(Unit).where(Unit.manufacturer_id == tenant.id, Unit.model_id == model.id)
    if lot:
        stmt = stmt.join(Lot, Lot.id == Unit.lot_id).where(Lot.code == lot)
    if serial_from:
        stmt = stmt.where(Unit.serial >= serial_from)
    if serial_to:
        stmt = stmt.where(Unit.serial <= serial_to)
    return stmt


def count_selection(tenant: Manufacturer, **criteria) -> int:
    stmt = _selection(tenant, **criteria)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def _specs(tenant: Manufacturer, actor, criteria: dict, compressed: bool = False) -> Iterator:
    after = ""
    while True:
        units = db.session.scalars(_selection(tenant, **criteria).where(Unit.serial > after)
                                   .order_by(Unit.serial).limit(BATCH)).all()
        if not units:
            return
        for unit in units:
            label = label_for_printing(unit, actor=actor)
            yield LabelSpec(uri=label_uri(unit.model.gtin, unit.serial, label, compressed=compressed),
                            product_name=unit.model.name,
                            gtin=unit.model.gtin, serial=unit.serial, label_number=label.number)
        after = units[-1].serial
        db.session.flush()


def write_sheet(tenant: Manufacturer, out: BinaryIO, *, actor, progress: Callable[[int], None] | None = None,
                compressed: bool = False, **criteria) -> int:
    """Render the selection's labels (issuing a first label where a unit has none) into one PDF; `compressed`
    prints compressed Digital Links (smaller QR codes, docs/resolver.md)."""
    if count_selection(tenant, **criteria) == 0:
        raise Invalid("No units match this selection.")
    seen = 0

    def step(done: int) -> None:
        nonlocal seen
        if progress:
            progress(done - seen)
        seen = done

    return render_label_sheet(_specs(tenant, actor, criteria, compressed), out, progress=step)


def start_run(tenant: Manufacturer, *, actor, gtin: str, lot: str = "", serial_from: str = "",
              serial_to: str = "") -> LabelRun:
    total = count_selection(tenant, gtin=gtin, lot=lot, serial_from=serial_from, serial_to=serial_to)
    if total == 0:
        raise Invalid("No units match this selection.")
    run = LabelRun(manufacturer_id=tenant.id, requested_by_id=getattr(actor, "id", None), gtin=canonical_gtin(gtin),
                   lot=lot or "", serial_from=serial_from or "", serial_to=serial_to or "", total=total)
    db.session.add(run)
    db.session.flush()
    return run


def render_run(run_id: int) -> None:
    """Render one run to a file in the upload folder, committing progress as it goes."""
    run = db.session.get(LabelRun, run_id)
    if run is None or run.state == "done":
        return
    run.state, run.done, run.heartbeat_at = "running", 0, utcnow()
    db.session.commit()
    tenant = db.session.get(Manufacturer, run.manufacturer_id)
    actor = db.session.get(User, run.requested_by_id) if run.requested_by_id else "labels"
    key = f"labels-{secrets.token_hex(12)}.pdf"

    def progress(n: int) -> None:
        db.session.execute(LabelRun.__table__.update().where(LabelRun.id == run_id)
                           .values(done=LabelRun.done + n, heartbeat_at=utcnow()))
        db.session.commit()

    try:
        with new_stored(key).open("wb") as handle:
            write_sheet(tenant, handle, actor=actor, progress=progress, gtin=run.gtin, lot=run.lot or None,
                        serial_from=run.serial_from or None, serial_to=run.serial_to or None)
    except Exception as exc:  # noqa: BLE001 - the run records the failure for the person waiting on it
        db.session.rollback()
        run = db.session.get(LabelRun, run_id)
        run.state, run.error, run.finished_at = "failed", str(exc)[:300], utcnow()
    else:
        run = db.session.get(LabelRun, run_id)
        run.state, run.file_key, run.finished_at, run.done = "done", key, utcnow(), run.total
    db.session.commit()


def pending_runs() -> list[int]:
    """Queued runs, and running ones whose process stopped sending heartbeats (resumed from the start)."""
    stale = utcnow() - timedelta(minutes=2)
    return list(db.session.scalars(select(LabelRun.id).where(
        (LabelRun.state == "queued") | ((LabelRun.state == "running") & (LabelRun.heartbeat_at < stale)))))


def render_in_background(app, run_id: int) -> None:
    def work():
        with app.app_context():
            render_run(run_id)

    threading.Thread(target=work, name=f"label-run-{run_id}", daemon=True).start()
