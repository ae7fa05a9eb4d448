"""Console pages for API tokens (routes on the console blueprint): issue, list, revoke. Admins only."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import scoped, staff_required, tenant_scoped
from portal.api.forms import RevokeTokenForm, TokenForm
from portal.api.models import ApiToken
from portal.api.tokens import issue_token, revoke_token
from portal.core.db import utcnow
from portal.core.work import attempt, on_field
from portal.extensions import db


def _page(form: TokenForm, *, secret: str | None = None, issued: ApiToken | None = None, status: int = 200):
    tokens = db.session.scalars(scoped(ApiToken).order_by(ApiToken.id.desc())).all()
    return render_template("console/tokens.html", tokens=tokens, form=form, revoke_form=RevokeTokenForm(),
                           secret=secret, issued=issued, now=utcnow()), status


@bp.route("/<tenant>/tokens", methods=["GET", "POST"])
@staff_required()
def tokens():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400 if form.errors else 200)
    issued = attempt(lambda: issue_token(g.tenant, name=form.name.data, scopes=form.scopes.data,
                                         expires_on=form.expires_on.data, actor=current_user),
                     refused=on_field(form, form.name))
    if not issued:
        return _page(form, status=issued.refusal.status)
    token, secret = issued.value
    # Shown on this answer only (not via a redirect and the session): the secret is never stored in clear.
    return _page(TokenForm(formdata=None), secret=secret, issued=token)


@bp.post("/<tenant>/tokens/revoke")
@staff_required()
def revoke_api_token():
    form = RevokeTokenForm()
    if not form.validate_on_submit() or not str(form.token_id.data).isdigit():
        abort(400)
    token = tenant_scoped(ApiToken, id=int(form.token_id.data))  # another tenant's token: 404
    if not attempt(lambda: revoke_token(token, actor=current_user)):
        return redirect(url_for(".tokens"))
    flash(f"Token “{token.name}” is revoked: it stops working at once.", "warning")
    return redirect(url_for(".tokens"))
