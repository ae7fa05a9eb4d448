"""Console pages of passports (routes on the console blueprint): each model's kind and static data, the JSON
and CSV import, reading rights, the lifecycle of a unit's passport and the registry and backup exports."""
from __future__ import annotations

import csv
import io
import json

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.accounts.models import Role
from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import staff_required, tenant_scoped
from portal.catalog.models import ProductModel
from portal.catalog.services import find_unit
from portal.core.errors import DomainError, Invalid
from portal.core.exports import csv_text
from portal.core.work import attempt
from portal.extensions import db
from portal.passport import exports, queries, services
from portal.passport.fields import Kind, Scope, fields_of, unit_symbol
from portal.passport.labels import label_of
from portal.passport.models import GrantTier

admin_only = staff_required(Role.ADMIN)
MAX_IMPORT = 2 * 1024 * 1024


@bp.get("/<tenant>/passports")
@admin_only
def passports():
    return render_template("passport/console.html", models=queries.models_of(g.tenant.id), kinds=list(Kind),
                           grants=queries.grants(g.tenant.id), roles=services.ROLES, tiers=list(GrantTier),
                           report=None)


@bp.post("/<tenant>/passports/<int:model_id>/kind")
@admin_only
def passport_kind(model_id: int):
    model = tenant_scoped(ProductModel, id=model_id)
    if attempt(lambda: services.set_kind(g.tenant, model, request.form.get("kind", ""), actor=current_user)):
        flash(_("%(model)s now has a passport.", model=model.name), "success")
    return redirect(url_for(".passports"))


def _form_values(kind: Kind) -> tuple[dict, dict]:
    values, errors = {}, {}
    for f in fields_of(kind):
        if f.scope is not Scope.STATIC or f.key not in request.form:
            continue
        text = request.form.get(f.key, "").strip()
        if f.type == "list" and text:
            try:
                values[f.key] = json.loads(text)
            except ValueError:
                errors[f.key] = _("must be a JSON list")
            continue
        unit = request.form.get(f"{f.key}@unit", "").strip()
        values[f.key] = {"value": text, "unit": unit} if unit and text else (text or None)
    return values, errors


@bp.route("/<tenant>/passports/<int:model_id>", methods=["GET", "POST"])
@admin_only
def passport_model(model_id: int):
    model = tenant_scoped(ProductModel, id=model_id)
    kind = queries.kind_of_model(model.id)
    if kind is None:
        flash(_("Choose the kind of this model's passport first."), "error")
        return passports()
    lot = request.values.get("lot", "").strip() or None
    errors: dict = {}
    if request.method == "POST":
        values, errors = _form_values(kind)
        if not errors:
            def keep(err: DomainError) -> None:
                errors.update(getattr(err, "fields", None) or {err.field or "": str(err)})

            done = attempt(lambda: services.save_static(g.tenant, model, values, lot=lot, actor=current_user),
                           refused=keep)
            if done:
                flash(_("Saved: a new version of the passport.") if done.value else _("Nothing changed."), "success")
                return redirect(url_for(".passport_model", model_id=model.id, lot=lot or None))
    data, number = queries.static_for(model.id, lot)  # a lot's page shows what the lot overrides
    shown = {k: request.form.get(k) for k in request.form} if errors else {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in data.items()}
    fields = [f for f in fields_of(kind) if f.scope is Scope.STATIC]
    return render_template("passport/console_model.html", model=model, kind=kind, fields=fields, shown=shown,
                           errors=errors, version=number, lot=lot, unit_symbol=unit_symbol,
                           label_of=label_of), 400 if errors else 200


def _import_rows(upload) -> list[dict]:
    raw = upload.read(MAX_IMPORT + 1)
    if len(raw) > MAX_IMPORT:
        raise Invalid(_("The file is larger than 2 MB."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(_("The file is not UTF-8 text.")) from None
    if (upload.filename or "").lower().endswith(".json"):
        try:
            rows = json.loads(text)
        except ValueError:
            raise Invalid(_("The file is not valid JSON: give a list of {gtin, lot, fields}.")) from None
        if not isinstance(rows, list):
            raise Invalid(_("The JSON file holds a list of {gtin, lot, fields}."))
        return rows
    grouped: dict[tuple, dict] = {}
    for line in csv.DictReader(io.StringIO(text)):  # columns: gtin, lot, field, value, unit
        key = (line.get("gtin") or "", line.get("lot") or "")
        row = grouped.setdefault(key, {"gtin": key[0], "lot": key[1] or None, "fields": {}})
        value = (line.get("value") or "").strip()
        if value.startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        unit = (line.get("unit") or "").strip()
        row["fields"][line.get("field") or ""] = {"value": value, "unit": unit} if unit else value
    return list(grouped.values())


@bp.post("/<tenant>/passports/import")
@admin_only
def passport_import():
    upload = request.files.get("file")
    report = None
    try:
        if upload is None or not upload.filename:
            raise Invalid(_("Choose a JSON or CSV file."))
        report = services.import_static(g.tenant, _import_rows(upload), actor=current_user)
    except DomainError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for(".passports"))
    refused = [r for r in report if r["result"] != "ok"]
    if refused:
        db.session.rollback()
    else:
        db.session.commit()
        flash(ngettext("Imported %(num)d row: it is a new passport version.",
                       "Imported %(num)d rows: each is a new passport version.", len(report)), "success")
    return render_template("passport/console.html", models=queries.models_of(g.tenant.id), kinds=list(Kind),
                           grants=queries.grants(g.tenant.id), roles=services.ROLES, tiers=list(GrantTier),
                           report=report), 400 if refused else 200


@bp.post("/<tenant>/passports/access")
@admin_only
def passport_grant():
    f = request.form
    if attempt(lambda: services.grant(f.get("email", ""), f.get("tier", ""), f.get("role", ""),
                                      manufacturer=g.tenant, actor=current_user)):
        flash(_("Access granted."), "success")
    return redirect(url_for(".passports"))


@bp.post("/<tenant>/passports/access/revoke")
@admin_only
def passport_revoke():
    grant_id = request.form.get("grant", type=int) or 0
    if attempt(lambda: services.revoke(grant_id, manufacturer=g.tenant, actor=current_user)):
        flash(_("Access revoked."), "success")
    return redirect(url_for(".passports"))


@bp.post("/<tenant>/passports/lifecycle")
@admin_only
def passport_lifecycle():
    f = request.form

    def work():
        unit = find_unit(f.get("gtin", ""), f.get("serial", ""))
        if unit.manufacturer_id != g.tenant.id:
            raise Invalid(_("No unit of yours has this GTIN and serial."))
        if f.get("action") == "recycled":
            return services.recycle(unit, actor=current_user, note=f.get("note", ""))
        return services.begin_new_life(unit, new_serial=f.get("new_serial", ""), reason=f.get("action", ""),
                                       actor=current_user)

    if attempt(work):
        flash(_("Done: the passport's lifecycle is recorded."), "success")
    return redirect(url_for(".passports"))


@bp.get("/<tenant>/passports/registry.csv")
@admin_only
def passport_registry():
    rows = [exports.REGISTRY_COLUMNS, *([r[c] for c in exports.REGISTRY_COLUMNS]
                                        for r in exports.registry_rows(g.tenant))]
    return Response(csv_text(rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="passport-registry-{g.tenant.slug}.csv"'})


@bp.post("/<tenant>/passports/backup.json")
@admin_only
def passport_backup():
    """A POST: the copy is signed for this request (and can be large)."""
    done = attempt(lambda: exports.backup_copy(g.tenant))
    if not done:
        return redirect(url_for(".passports"))
    return Response(json.dumps(done.value), mimetype="application/jose+json", headers={
        "Content-Disposition": f'attachment; filename="passport-backup-{g.tenant.slug}.json"'})
