"""The owner's account page: download my data, delete my account."""
from __future__ import annotations

import re

from flask import Blueprint, Response, flash, redirect, render_template, stream_with_context, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user

from portal.core.db import utcnow
from portal.core.work import attempt, on_field
from portal.extensions import db, limiter
from portal.privacy.erasure import erase_account, remove_files
from portal.privacy.export import build_export, zip_chunks
from portal.privacy.forms import DeleteAccountForm

bp = Blueprint("privacy", __name__)


@bp.get("/my/account")
@login_required
def account():
    return render_template("privacy/account.html", form=DeleteAccountForm(formdata=None))


@bp.get("/my/account/export.zip")
@login_required
@limiter.limit("10 per hour")
def export():
    """Streamed: data.json is read now, the attachments while the ZIP goes out."""
    data = build_export(current_user)
    db.session.rollback()  # nothing to write; end the read before the long download
    name = "provenance-" + re.sub(r"[^0-9]", "", utcnow().isoformat()[:10]) + ".zip"
    response = Response(stream_with_context(zip_chunks(data)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/my/account/delete")
@login_required
@limiter.limit("10 per hour")
def delete():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return render_template("privacy/account.html", form=form), 400
    erased = attempt(lambda: erase_account(current_user, form.password.data), refused=on_field(form, form.password))
    if not erased:
        return render_template("privacy/account.html", form=form), erased.refusal.status
    remove_files(erased.value)
    logout_user()
    flash(gettext("Your account is deleted. The products you registered keep their history, without you."), "info")
    return redirect(url_for("public.home"))
