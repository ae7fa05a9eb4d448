"""Console pages for API tokens (routes on the console blueprint): issue, list, revoke. Admins manage every token
of the tenant; a service partner issues, sees and revokes only their own, with the scopes of their role
(docs/resale.md, "Service partners")."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.models import Role
from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import open_to_partners, scoped, staff_required, tenant_scoped
from portal.api.forms import RevokeTokenForm, TokenForm
from portal.api.models import TOKEN_MARK, ApiToken, Scope
from portal.api.tokens import issue_token, revoke_token, scopes_for_role
from portal.core.db import utcnow
from portal.core.work import attempt, on_field
from portal.extensions import db


def _own_only() -> bool:
    """A service partner deals with their own tokens only; admins with all of the tenant's."""
    return g.membership.role is Role.SERVICE_PARTNER


def _form(**kwargs) -> TokenForm:
    if _own_only():  # only the scopes the role allows are offered (and accepted: other choices are invalid)
        allowed = scopes_for_role(g.membership.role)
        return TokenForm(scopes=[s for s in Scope if s.value in allowed], **kwargs)
    return TokenForm(**kwargs)


def _page(form: TokenForm, *, secret: str | None = None, issued: ApiToken | None = None, status: int = 200):
    stmt = scoped(ApiToken)
    if _own_only():
        stmt = stmt.where(ApiToken.created_by_id == current_user.id)
    tokens = db.session.scalars(stmt.order_by(ApiToken.id.desc())).all()
    return render_template("console/tokens.html", tokens=tokens, form=form, revoke_form=RevokeTokenForm(),
                           secret=secret, issued=issued, now=utcnow(), token_mark=TOKEN_MARK), status


@open_to_partners
@bp.route("/<tenant>/tokens", methods=["GET", "POST"])
@staff_required(Role.SERVICE_PARTNER)
def tokens():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=400 if form.errors else 200)
    issued = attempt(lambda: issue_token(g.tenant, name=form.name.data, scopes=form.scopes.data,
                                         expires_on=form.expires_on.data, actor=current_user),
                     refused=on_field(form, form.name))
    if not issued:
        return _page(form, status=issued.refusal.status)
    token, secret = issued.value
    # Shown on this answer only (not via a redirect and the session): the secret is never stored in clear.
    return _page(_form(formdata=None), secret=secret, issued=token)


@open_to_partners
@bp.post("/<tenant>/tokens/revoke")
@staff_required(Role.SERVICE_PARTNER)
def revoke_api_token():
    form = RevokeTokenForm()
    if not form.validate_on_submit() or not str(form.token_id.data).isdigit():
        abort(400)
    token = tenant_scoped(ApiToken, id=int(form.token_id.data))  # another tenant's token: 404
    if _own_only() and token.created_by_id != current_user.id:
        abort(404)  # a partner's view of the tenant holds only their own tokens
    if not attempt(lambda: revoke_token(token, actor=current_user)):
        return redirect(url_for(".tokens"))
    flash(_("Token “%(name)s” is revoked: it stops working at once.", name=token.name), "warning")
    return redirect(url_for(".tokens"))
