"""Units: read one (status, coverage, recalls, registered), list, create in batches, attach components;
coverage on a date; sales at the till."""
from __future__ import annotations

import csv
import io

from flask import g
from sqlalchemy import select, tuple_
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.tenancy import scoped
from portal.api import services
from portal.api.blueprint import PageArgs, bp, current_token, operation, page, paged
from portal.api.models import Scope
from portal.api.schemas import (
    AssemblySchema,
    ComponentsSchema,
    CoverageArgsSchema,
    SaleResultSchema,
    SaleSchema,
    UnitBatchResultSchema,
    UnitBatchSchema,
    UnitCoverageSchema,
    UnitFilterSchema,
    UnitPageSchema,
    UnitSchema,
)
from portal.catalog.importer import COLUMNS, import_units_csv
from portal.catalog.models import Lot, ProductModel, Unit
from portal.catalog.services import parse_gtin
from portal.core.db import utcnow
from portal.core.errors import DomainError
from portal.core.gs1 import GS1Error, canonical_gtin
from portal.extensions import db
from portal.ownership.services import current_ownership
from portal.recalls.status import recall_status
from portal.warranty.coverage import coverage, local_date


def load_unit(gtin: str, serial: str) -> Unit:
    """The caller's unit named in the path; bad numbers are 422 on the path, others' units 404."""
    try:
        return services.find_tenant_unit(g.tenant, gtin, serial)
    except DomainError as err:
        err.location = "path"
        raise


def ref(unit: Unit) -> dict:
    return {"gtin": unit.model.gtin, "serial": unit.serial}


def coverage_of(unit: Unit, on=None) -> dict:
    moment = on or utcnow()
    cover = coverage(unit, moment)
    return {"on": local_date(moment), "covered": cover.covered, "until": cover.until, "scopes": list(cover.scopes),
            "words": cover.words, "reason": cover.reason}


def describe(unit: Unit) -> dict:
    cover = coverage_of(unit)
    cover.pop("reason")
    return {
        **ref(unit), "product": unit.model.name, "lot": unit.lot.code if unit.lot else None,
        "manufactured_on": unit.manufactured_on, "status": unit.status.value,
        "registered": current_ownership(unit) is not None,
        "parent": ref(unit.parent) if unit.parent else None,
        "components": [ref(c) for c in unit.components],
        "coverage": cover,
        "recalls": recall_status(unit),
    }


@bp.route("/units/<gtin:gtin>/<serial:serial>", methods=["GET"], tags=["Units"])
@operation(Scope.UNITS_READ, errors=(422,))
@bp.response(200, UnitSchema)
def get_unit(gtin: str, serial: str):
    """Read a unit

    Its status, warranty coverage today, recalls, whether an owner registered it, and what it is built
    into or of. A unit of another manufacturer answers 404, as if it did not exist.
    """
    return describe(load_unit(gtin, serial))


class UnitListArgs(PageArgs, UnitFilterSchema):
    pass


@bp.route("/units", methods=["GET"], tags=["Units"])
@operation(Scope.UNITS_READ, errors=(422,))
@bp.arguments(UnitListArgs, location="query")
@bp.response(200, UnitPageSchema)
def list_units(args: dict):
    """List units

    Your units in the order they were created, optionally of one GTIN or lot. Follow `next` for more.
    """
    stmt = scoped(Unit).options(joinedload(Unit.model), selectinload(Unit.lot))
    if args.get("gtin"):
        try:
            gtin14 = parse_gtin(args["gtin"])
        except DomainError as err:
            err.location = "query"
            raise
        stmt = stmt.where(Unit.model_id.in_(select(ProductModel.id).where(ProductModel.gtin == gtin14)))
    if args.get("lot"):
        stmt = stmt.where(Unit.lot_id.in_(select(Lot.id).where(Lot.code == args["lot"])))
    units, next_link = page(stmt, Unit.id, args)
    items = [{**ref(u), "lot": u.lot.code if u.lot else None, "manufactured_on": u.manufactured_on,
              "status": u.status.value} for u in units]
    return paged(items, next_link)


@bp.route("/units", methods=["POST"], tags=["Units"])
@operation(Scope.UNITS_WRITE, body=True)
@bp.arguments(UnitBatchSchema)
@bp.response(200, UnitBatchResultSchema)
def create_units(data: dict):
    """Create units in a batch

    Up to 1000 units, with the same fields as the CSV import. Each row is answered: `added`,
    `unchanged` (it already exists; nothing changes, so a batch can be sent again safely) or `rejected`
    with the reason. Good rows land even when others are rejected.
    """
    rows = data["units"]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in COLUMNS])
    existing = _existing_units(rows)
    report = import_units_csv(g.tenant, text.getvalue(), actor=current_token().actor_label)
    rejected = dict(report.rejected)
    results = []
    for index, row in enumerate(rows):
        reason = rejected.get(index + 2)  # the CSV's header is line 1
        key = (_gtin14(row["gtin"]), row["serial"].strip())
        outcome = "rejected" if reason else ("unchanged" if key in existing else "added")
        results.append({"index": index, "gtin": row["gtin"], "serial": row["serial"], "result": outcome,
                        "detail": reason})
    return {"added": report.added, "unchanged": report.unchanged, "rejected": len(report.rejected),
            "results": results}


def _cell(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _gtin14(text: str) -> str | None:
    try:
        return canonical_gtin(text)
    except GS1Error:
        return None


def _existing_units(rows: list[dict]) -> set[tuple[str, str]]:
    keys = {(_gtin14(r["gtin"]), r["serial"].strip()) for r in rows}
    keys = {k for k in keys if k[0]}
    if not keys:
        return set()
    found = select(ProductModel.gtin, Unit.serial).join(ProductModel, ProductModel.id == Unit.model_id).where(
        Unit.manufacturer_id == g.tenant.id, tuple_(ProductModel.gtin, Unit.serial).in_(sorted(keys)))
    return {(gtin, serial) for gtin, serial in db.session.execute(found)}


@bp.route("/units/<gtin:gtin>/<serial:serial>/components", methods=["POST"], tags=["Units"])
@operation(Scope.UNITS_WRITE, body=True)
@bp.arguments(ComponentsSchema)
@bp.response(200, AssemblySchema)
def attach_components(data: dict, gtin: str, serial: str):
    """Attach components

    Record that the listed units are built into this one (their parent becomes it), all or none. A unit
    already built into another one, or one that would end up inside itself, is refused (409); an unknown
    one is refused (422).
    """
    assembly = load_unit(gtin, serial)
    parts = services.attach_components(g.tenant, assembly, data["components"], actor=current_token().actor_label)
    return {**ref(assembly), "components": [ref(p) for p in parts]}


@bp.route("/coverage/<gtin:gtin>/<serial:serial>", methods=["GET"], tags=["Coverage"])
@operation(Scope.UNITS_READ, errors=(422,))
@bp.arguments(CoverageArgsSchema, location="query")
@bp.response(200, UnitCoverageSchema)
def get_coverage(args: dict, gtin: str, serial: str):
    """Check warranty coverage

    Whether the unit is covered on a day (today if `on` is left out), until when, for what, and why.
    Days are calendar days in the portal's warranty time zone.
    """
    unit = load_unit(gtin, serial)
    return {**ref(unit), **coverage_of(unit, args.get("on"))}


@bp.route("/sales", methods=["POST"], tags=["Sales"])
@operation(Scope.SALES_WRITE, body=True)
@bp.arguments(SaleSchema)
@bp.response(201, SaleResultSchema)
def record_sale(data: dict):
    """Record a sale at the till

    The unit becomes sold (an EPCIS retail_selling event). With `buyer_email`, the buyer gets an e-mail
    inviting them to register the unit, with the purchase date and shop filled in. Send an
    Idempotency-Key: a retry after a timeout then records the sale once and answers the same.
    """
    unit = services.find_tenant_unit(g.tenant, data["gtin"], data["serial"])
    event = services.record_sale(g.tenant, unit, retailer=data["retailer"], sold_on=data["sold_on"],
                                 buyer_email=data.get("buyer_email"), actor=current_token().actor_label,
                                 country=data.get("country"))
    return {**ref(unit), "status": unit.status.value, "retailer": event.place, "sold_on": data["sold_on"],
            "event_id": event.id, "invitation_sent": bool(data.get("buyer_email")), "country": event.country}
