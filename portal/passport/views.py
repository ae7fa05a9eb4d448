"""Public passport pages: the phone page (EN/FR/DE), the JSON of the whole passport and of each aspect, the
PDF, the verifiable credential and the portal's did:web document. The resolver points a unit's `gs1:dpp`
link here. Each output reads the passport through the one serializer at the reader's tier."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.catalog.queries import unit_with
from portal.catalog.services import parse_gtin, parse_serial
from portal.core.errors import DomainError, NotFound
from portal.passport import queries, serializer, vc
from portal.passport.fields import ASPECTS

bp = Blueprint("passport", __name__)
JSON_TYPES = ("application/json", "application/ld+json")


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _load(gtin: str, serial: str):
    """The passport at the requested version, and the reader's tier; NotFound for bad or unknown numbers."""
    try:
        gtin14, serial = parse_gtin(gtin), parse_serial(serial)
    except DomainError:
        raise NotFound(_("There is no passport at this address.")) from None
    unit = unit_with(gtin14, serial)
    passport = queries.passport_of(unit, request.args.get("version")) if unit is not None else None
    if passport is None:
        raise NotFound(_("There is no passport at this address."))
    return passport, queries.reader_tier(current_user, passport.manufacturer_id)


def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES])
    return best in JSON_TYPES


def _for(response, tier):
    """A restricted reader's answer is theirs alone: no shared cache may keep it."""
    if tier > 0:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _tombstone(passport, as_json: bool):
    """410: the passport ceased. What happened and when, the identifier, and nothing of its data."""
    if as_json:
        return jsonify(serializer.tombstone(passport)), 410
    return render_template("passport/ceased.html", passport=passport), 410


def _refused(err: DomainError):
    if _wants_json() or request.path.endswith((".json", "/credential")):
        return jsonify({"error": str(err)}), err.status
    title = _("No passport here") if err.status == 404 else _("This cannot be shown")
    return render_template("error.html", code=err.status, title=title, text=str(err)), err.status


@bp.errorhandler(DomainError)
def _domain_error(err: DomainError):
    return _refused(err)


@bp.get("/passport/01/<gtin>/21/<serial>")
def page(gtin: str, serial: str):
    passport, tier = _load(gtin, serial)
    as_json = _wants_json()
    if passport.ceased:
        return _tombstone(passport, as_json)
    if as_json:
        response = jsonify(serializer.document(passport, tier, _base()))
    else:
        response = Response(render_template(
            "passport/page.html", passport=passport, tier=tier, rows=serializer.rows(passport, tier),
            titles=serializer.ASPECT_TITLES, history=queries.history(passport) if tier > 0 else []))
    response.headers["Vary"] = "Accept, Cookie"
    return _for(response, tier)


@bp.get("/passport/01/<gtin>/21/<serial>/<aspect>.json")
def aspect_json(gtin: str, serial: str, aspect: str):
    passport, tier = _load(gtin, serial)
    if passport.ceased:
        return _tombstone(passport, True)
    if aspect not in ASPECTS[passport.kind]:
        raise NotFound(_("This passport has no aspect '%(aspect)s'; it has: %(aspects)s.", aspect=aspect[:40],
                         aspects=", ".join(ASPECTS[passport.kind])))
    return _for(jsonify(serializer.aspect(passport, tier, aspect)), tier)


@bp.get("/passport/01/<gtin>/21/<serial>/pdf")
def pdf(gtin: str, serial: str):
    from portal.passport.documents import passport_pdf  # WeasyPrint loads when first used

    passport, tier = _load(gtin, serial)
    if passport.ceased:
        return _tombstone(passport, False)
    body = passport_pdf(passport, tier)
    return _for(Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="passport-{passport.gtin}-{passport.serial}.pdf"',
        "Vary": "Cookie"}), tier)


@bp.get("/passport/01/<gtin>/21/<serial>/credential")
def credential(gtin: str, serial: str):
    passport, _tier = _load(gtin, serial)  # a credential holds the public tier only, whoever asks
    if passport.ceased:
        return _tombstone(passport, True)
    return Response(vc.secured(passport, _base()), mimetype=vc.MEDIA_TYPE)


@bp.get("/.well-known/did.json")
def did_document():
    return jsonify(vc.did_document())
