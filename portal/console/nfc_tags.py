"""Console pages: attach, replace and retire the NFC tag of an existing unit (routes on the console
blueprint; the form sits on the unit page)."""
from __future__ import annotations

import re

from flask import flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from portal.accounts.forms import EmptyForm
from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import staff_required, tenant_scoped
from portal.authenticity.tags import attach_tag, replace_tag, retire_tag
from portal.catalog.models import Unit
from portal.core.errors import DomainError
from portal.core.work import attempt


class TagForm(FlaskForm):
    uid = StringField("Tag UID (14 hex digits)", validators=[Length(max=20)])
    meta_key = StringField("Meta read key (32 hex digits, optional)", validators=[Optional(), Length(max=40)])
    file_key = StringField("File read key (32 hex digits, optional)", validators=[Optional(), Length(max=40)],
                           description="Leave both keys empty to derive them from your NFC master key.")


def _key(text: str | None, name: str) -> bytes | None:
    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9A-Fa-f]{32}", text):
        raise DomainError(f"The {name} is 32 hexadecimal digits.")
    return bytes.fromhex(text)


@bp.post("/<tenant>/units/<int:unit_id>/nfc-tag")
@staff_required()
def unit_nfc_tag(unit_id: int):
    """Attach a tag to a unit without one, or replace the one it has."""
    unit = tenant_scoped(Unit, id=unit_id)
    form = TagForm()
    if form.validate_on_submit():
        service, done = (replace_tag, "replaced") if unit.nfc_uid else (attach_tag, "attached")
        if attempt(lambda: service(unit, form.uid.data or "", meta_key=_key(form.meta_key.data, "meta read key"),
                                   file_key=_key(form.file_key.data, "file read key"), actor=current_user)):
            flash(f"Tag {unit.nfc_uid} {done}. Write the URL of docs/nfc.md into it.", "success")
    return redirect(url_for(".unit", unit_id=unit_id))


@bp.post("/<tenant>/units/<int:unit_id>/nfc-tag/retire")
@staff_required()
def unit_nfc_tag_retire(unit_id: int):
    unit = tenant_scoped(Unit, id=unit_id)
    if EmptyForm().validate_on_submit() and attempt(lambda: retire_tag(unit, actor=current_user)):
        flash("The tag is retired: its taps no longer verify.", "success")
    return redirect(url_for(".unit", unit_id=unit_id))
