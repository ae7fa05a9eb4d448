"""Console pages of the claims desk, quality signals and warranty terms (routes on the console blueprint).

Claims agents decide; tenant admins may do everything; analysts and recall managers only look. Every
claim is loaded through the tenant helper by its number, so another tenant's claim answers 404.
"""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role, User
from portal.accounts.tenancy import PAGE, scoped, scoped_count, staff_required, tenant_scoped
from portal.accounts.tenancy import console as bp
from portal.catalog.models import ProductModel, Unit
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotFound
from portal.core.exports import csv_text
from portal.core.storage import open_stored
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.warranty import services
from portal.warranty.coverage import coverage, local_date
from portal.warranty.desk import (
    ACTIONS,
    DESK_TURN,
    REASONS,
    QueueFilters,
    reason_text,
    waiting_since,
    working_days,
)
from portal.warranty.forms import ExtensionForm
from portal.warranty.models import TRANSITIONS, ClaimEntry, ClaimState, WarrantyClaim
from portal.warranty.quality import csv_rows, quality_report
from portal.warranty.rma import render_rma

desk_staff = staff_required(Role.CLAIMS_AGENT)
S = ClaimState
STALE = (
    "Someone else changed this claim since you opened it. Reload it to see what changed, then decide again."
)


@bp.get("/<tenant>/claims")
def claims():
    filters = QueueFilters.from_args(request.args)
    where = filters.where()
    stmt = (
        scoped(WarrantyClaim)
        .join(Unit, Unit.id == WarrantyClaim.unit_id)
        .where(*where)
        .options(
            contains_eager(WarrantyClaim.unit).options(joinedload(Unit.model), joinedload(Unit.lot)),
            joinedload(WarrantyClaim.owner),
        )
        .order_by(WarrantyClaim.created_at, WarrantyClaim.id)
        .limit(PAGE + 1)
    )
    after = request.args.get("after", type=int)
    if after:  # keyset: continue after the last row shown, by (filed, id)
        pivot = (
            select(WarrantyClaim.created_at)
            .where(WarrantyClaim.id == after, WarrantyClaim.manufacturer_id == g.tenant.id)
            .scalar_subquery()
        )
        stmt = stmt.where(
            or_(
                WarrantyClaim.created_at > pivot,
                and_(WarrantyClaim.created_at == pivot, WarrantyClaim.id > after),
            )
        )
    found = db.session.scalars(stmt).unique().all()
    more = len(found) > PAGE
    rows = found[:PAGE]
    since = waiting_since([c.id for c in rows])
    target = current_app.config["CLAIM_SERVICE_TARGET_DAYS"]
    today = local_date(utcnow())
    waits = {}
    for c in rows:
        start = since.get(c.id, c.created_at)
        days = working_days(local_date(start), today) if c.state in DESK_TURN else None
        waits[c.id] = (days, days is not None and days > target)
    total = db.session.scalar(
        scoped_count(WarrantyClaim).join(Unit, Unit.id == WarrantyClaim.unit_id).where(*where)
    )
    models = db.session.scalars(scoped(ProductModel).order_by(ProductModel.name)).all()
    return render_template(
        "warranty/console_claims.html",
        claims=rows,
        waits=waits,
        filters=filters,
        total=total,
        models=models,
        target=target,
        today=today,
        states=list(ClaimState),
        next_after=rows[-1].id if more else None,
    )


# --- one claim -------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """A refused form, shown again beside the form it came from, with what the agent typed."""

    form: str  # a target state, "message" or "extension"
    message: str
    field: str | None = None


def _claim_page(
    claim: WarrantyClaim,
    status: int = 200,
    problem: Problem | None = None,
    extension_form: ExtensionForm | None = None,
):
    unit = claim.unit
    now = utcnow()
    entries = sorted(
        db.session.scalars(select(ClaimEntry).where(ClaimEntry.claim_id == claim.id)),
        key=lambda e: (e.at, e.kind != "state", e.id),
    )  # a filing's photos follow its state entry
    author_ids = {e.author_id for e in entries if e.author_id}
    authors = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(author_ids)))}
        if author_ids
        else {}
    )
    ownerships = db.session.scalars(
        select(Ownership)
        .options(joinedload(Ownership.owner))
        .where(Ownership.unit_id == unit.id)
        .order_by(Ownership.since)
    ).all()
    others = (
        scoped(WarrantyClaim).where(WarrantyClaim.id != claim.id).order_by(WarrantyClaim.created_at.desc())
    )
    moves = [
        {"target": target, "rule": rule, "action": ACTIONS[target], "reasons": REASONS.get(target, ())}
        for (source, target), rule in TRANSITIONS.items()
        if source is claim.state and rule.by == "agent"
    ]
    since = waiting_since([claim.id]).get(claim.id, claim.created_at)
    waited = working_days(local_date(since), local_date(now)) if claim.state in DESK_TURN else None
    role = g.membership.role
    return render_template(
        "warranty/console_claim.html",
        claim=claim,
        unit=unit,
        entries=entries,
        authors=authors,
        photos=[e for e in entries if e.kind == "photo" and e.file_key],
        ownerships=ownerships,
        cover_then=coverage(unit, claim.created_at),
        cover_now=coverage(unit, now),
        unit_claims=db.session.scalars(others.where(WarrantyClaim.unit_id == unit.id).limit(20)).all(),
        person_claims=db.session.scalars(
            others.where(WarrantyClaim.owner_id == claim.owner_id, WarrantyClaim.unit_id != unit.id).limit(20)
        ).all(),
        signals=services.fraud_signals(claim),
        moves=moves,
        problem=problem,
        posted=request.form,
        can_decide=role in (Role.ADMIN, Role.CLAIMS_AGENT),
        is_admin=role is Role.ADMIN,
        extension_form=extension_form
        or ExtensionForm(
            formdata=None, starts_on=local_date(now), months=12, scope=["parts", "labour"], claim=claim.number
        ),
        waited=waited,
        target=current_app.config["CLAIM_SERVICE_TARGET_DAYS"],
        state_labels={s.value: s.label for s in ClaimState},
    ), status


@bp.get("/<tenant>/claims/<number>")
def claim(number: str):
    return _claim_page(tenant_scoped(WarrantyClaim, number=number))


@bp.get("/<tenant>/claims/<number>/photos/<int:entry_id>")
def claim_photo(number: str, entry_id: int):
    item = tenant_scoped(WarrantyClaim, number=number)
    entry = db.session.scalar(
        select(ClaimEntry).where(
            ClaimEntry.id == entry_id, ClaimEntry.claim_id == item.id, ClaimEntry.kind == "photo"
        )
    )
    if entry is None or not entry.file_key:
        abort(404)
    try:
        path = open_stored(entry.file_key)
    except FileNotFoundError:
        abort(404)
    # The stored file was re-encoded: its key's extension, not the owner's file name, says what it is.
    return send_file(path, mimetype=mimetypes.guess_type(path.name)[0], download_name=entry.body or path.name)


def _status(err: DomainError) -> int:
    # An unknown replacement serial is a typo in the form, not a missing page.
    return 422 if isinstance(err, NotFound) else err.status


@bp.post("/<tenant>/claims/<number>/move")
@desk_staff
def claim_move(number: str):
    item = tenant_scoped(WarrantyClaim, number=number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        target = ClaimState(request.form.get("target", ""))
    except ValueError:
        abort(400)
    if request.form.get("version", type=int) != item.version:
        return _claim_page(item, 409, Problem(target.value, STALE))
    note = request.form.get("note", "").strip() or reason_text(target, request.form.get("template", ""))
    rule = TRANSITIONS.get((item.state, target))
    try:
        services.move(
            item,
            target,
            actor=current_user,
            role="agent",
            note=note,
            replacement_serial=request.form.get("replacement_serial", "").strip(),
        )
    except DomainError as err:
        db.session.rollback()
        return _claim_page(item, _status(err), Problem(target.value, str(err), err.field))
    db.session.commit()
    told = " The owner has been told by e-mail." if rule.notify else ""
    extra = f" Return number {item.rma_number}." if target is S.APPROVED else ""
    flash(f"Claim {item.number} is now {target.label.lower()}.{extra}{told}", "success")
    return redirect(url_for(".claim", number=number), 303)


@bp.post("/<tenant>/claims/<number>/messages")
@desk_staff
def claim_message(number: str):
    item = tenant_scoped(WarrantyClaim, number=number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.add_message(item, current_user, "agent", request.form.get("body", ""))
    except DomainError as err:
        db.session.rollback()
        return _claim_page(item, _status(err), Problem("message", str(err), err.field))
    db.session.commit()
    flash("Message sent to the owner.", "success")
    return redirect(url_for(".claim", number=number, _anchor="conversation"), 303)


@bp.get("/<tenant>/claims/<number>/rma.pdf")
def claim_rma(number: str):

    item = tenant_scoped(WarrantyClaim, number=number)
    if not item.rma_number:
        abort(404)
    return send_file(
        io.BytesIO(render_rma(item)), mimetype="application/pdf", download_name=f"{item.rma_number}.pdf"
    )


# --- quality ---------------------------------------------------------------------------------------------


@bp.get("/<tenant>/quality")
def quality():
    report = quality_report(g.tenant.id)
    chosen = request.args.get("model", type=int)
    chosen = chosen if chosen in report.months else None
    return render_template(
        "warranty/console_quality.html",
        report=report,
        chosen=chosen,
        series=report.months[chosen],
        can_recall=g.membership.role in (Role.ADMIN, Role.RECALL_MANAGER),
    )


@bp.get("/<tenant>/quality.csv")
def quality_csv():
    return Response(
        csv_text(csv_rows(quality_report(g.tenant.id))),  # formulas neutralised (portal.core.exports)
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={g.tenant.slug}-claim-rates.csv"},
    )
