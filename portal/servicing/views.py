"""The owner's side of service history: the lines on their unit page and the documents of their time."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

from portal.ownership.models import Ownership
from portal.servicing import queries
from portal.servicing.console import send_document

bp = Blueprint("servicing", __name__)


def owner_history(ownership: Ownership) -> list[queries.OwnerLine]:
    """What the owner's unit page lists (a template global, so ownership/ needs no import of this area)."""
    return queries.for_owner(ownership.unit, ownership.since)


@bp.get("/my/units/<int:ownership_id>/services/<int:service_id>/document")
@login_required
def owner_document(ownership_id: int, service_id: int):
    entry = queries.owners_document(service_id, ownership_id, current_user.id)
    if entry is None:
        abort(404)
    return send_document(entry)
