"""Owner pages of the warranty area: coverage certificate, filing a claim, following it."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.extensions import db
from portal.warranty.models import WarrantyClaim

bp = Blueprint("warranty", __name__)


def my_claim(number: str) -> WarrantyClaim:
    claim = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))
    if claim is None or claim.owner_id != current_user.id:
        abort(404)
    return claim


@bp.get("/my/claims/<number>")
@login_required
def claim(number: str):
    return render_template("warranty/claim.html", claim=my_claim(number))
