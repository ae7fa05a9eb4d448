"""Pages anyone may open: the home page and the public page behind a product's code."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_file
from sqlalchemy import select

from portal.catalog.models import ProductModel
from portal.catalog.services import find_unit
from portal.core.storage import open_stored
from portal.core.errors import DomainError
from portal.extensions import db, limiter
from portal.ownership.models import Ownership

bp = Blueprint("public", __name__)


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/lookup")
@limiter.limit(_public_limit)
def lookup():
    gtin, serial = request.args.get("gtin", "").strip(), request.args.get("serial", "").strip()
    if not gtin and not serial:
        return render_template("public/lookup.html", gtin="", serial="")
    return _unit_page(gtin, serial)


@bp.get("/01/<gtin>/21/<path:serial>")
@limiter.limit(_public_limit)
def digital_link(gtin: str, serial: str):
    """Where a product's QR code leads: what anyone may know about the unit, no personal data."""
    return _unit_page(gtin, serial)


@bp.get("/models/<int:model_id>/image")
def model_image(model_id: int):
    """A product model's picture: public, like the product itself, and cacheable."""
    product = db.session.get(ProductModel, model_id)
    if product is None or not product.image_path:
        abort(404)
    try:
        path = open_stored(product.image_path)
    except FileNotFoundError:
        abort(404)
    response = send_file(path, max_age=86400)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _unit_page(gtin: str, serial: str):
    try:
        unit = find_unit(gtin, serial)
    except DomainError as err:
        return render_template("public/lookup.html", gtin=gtin, serial=serial, error=str(err)), err.status
    registered_since = db.session.scalar(
        select(Ownership.since).where(Ownership.unit_id == unit.id, Ownership.until.is_(None)))
    return render_template("public/unit.html", unit=unit, registered_since=registered_since)
