"""Pages anyone may open: the home page, the typed product lookup and product pictures."""
from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
)
from flask_login import current_user

from portal.accounts.services import set_locale
from portal.authenticity.typed import typed_lookup
from portal.catalog.pictures import picture_variant
from portal.catalog.queries import product_model
from portal.config import ROOT
from portal.core.gs1 import GS1Error
from portal.core.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_AGE, LANGUAGES
from portal.core.storage import open_stored
from portal.core.urls import local_path
from portal.extensions import db, limiter

bp = Blueprint("public", __name__)


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: "add to home screen" opens My products, standalone, with the portal's icons."""
    return send_from_directory(ROOT / "static", "manifest.webmanifest", mimetype="application/manifest+json",
                               max_age=3600)


@bp.get("/language/<code>")
def language(code: str):
    """The switcher: a plain link, so it works without JavaScript; a GET that only sets a preference.

    It writes nothing but the reader's own language (cookie, and the account for mail later), and it
    redirects only to a path on this site, so a forged link can neither harm nor send anyone away.
    """
    if code not in LANGUAGES:
        abort(404)
    response = redirect(local_path(request.args.get("next")))
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_AGE, samesite="Lax", httponly=True,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", True))
    if current_user.is_authenticated:
        set_locale(current_user, code)
        db.session.commit()
    return response


@bp.get("/lookup")
@limiter.limit(_public_limit)
def lookup():
    """Typed GTIN and serial, answered on this page for what typing can show (authenticity/typed.py): the
    fields stay filled for editing, and a near miss offers the serials one slip away."""
    gtin, serial = request.args.get("gtin", "").strip(), request.args.get("serial", "").strip()
    if not gtin and not serial:
        return render_template("public/lookup.html", gtin="", serial="")
    try:
        answer = typed_lookup(gtin, serial, client=request.remote_addr or "")
    except GS1Error as err:
        return render_template("public/lookup.html", gtin=gtin, serial=serial, error=str(err),
                               error_field=err.field), 422
    response = make_response(render_template("public/lookup.html", gtin=gtin, serial=serial, answer=answer),
                             answer.status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/models/<int:model_id>/image")
def model_image(model_id: int):
    """A product model's picture: public, like the product itself, and cacheable."""
    product = product_model(model_id)
    if product is None or not product.image_path:
        abort(404)
    width = request.args.get("w", type=int)
    try:
        if width:  # one of the widths the pages' srcset names (catalog/pictures.py)
            path = picture_variant(product.image_path, max(1, min(width, 4096)))
        else:
            path = open_stored(product.image_path)
    except FileNotFoundError:
        abort(404)
    response = send_file(path, max_age=86400, mimetype="image/webp" if width else None)
    # A URL that names the current picture (v=its key) never changes meaning: a new picture gets a new key.
    current = request.args.get("v") == Path(product.image_path).stem
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if current else "public, max-age=86400"
    return response
