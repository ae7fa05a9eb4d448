"""Console pages of the claims desk, quality signals and warranty terms (routes on the console blueprint).

Claims agents decide; tenant admins may do everything; analysts and recall managers only look. Every
claim is loaded through the tenant helper by its number, so another tenant's claim answers 404.
"""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass

from flask import Response, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from portal.accounts.forms import EmptyForm
from portal.accounts.models import Role
from portal.accounts.tenancy import console as bp
from portal.accounts.tenancy import staff_required, tenant_scoped
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotFound
from portal.core.exports import csv_text
from portal.core.storage import open_stored
from portal.core.work import attempt, shown_by_page
from portal.warranty import queries, services
from portal.warranty.coverage import coverage, local_date
from portal.warranty.desk import QueueFilters, reason_text
from portal.warranty.forms import ExtensionForm
from portal.warranty.models import TRANSITIONS, ClaimState, WarrantyClaim
from portal.warranty.quality import csv_rows, percent, quality_report, times
from portal.warranty.rma import render_rma

desk_staff = staff_required(Role.CLAIMS_AGENT)
S = ClaimState
STALE = (
    "Someone else changed this claim since you opened it. Reload it to see what changed, then decide again."
)


@bp.get("/<tenant>/claims")
def claims():
    filters = QueueFilters.from_args(request.args)
    queue = queries.claims_queue(filters, request.args.get("after", type=int), utcnow())
    return render_template(
        "warranty/console_claims.html",
        claims=queue.claims,
        waits=queue.waits,
        filters=filters,
        total=queue.total,
        models=queue.models,
        target=queue.target,
        today=queue.today,
        states=list(ClaimState),
        next_after=queue.next_after,
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
    file = queries.claim_file(claim, now)
    role = g.membership.role
    return render_template(
        "warranty/console_claim.html",
        claim=claim,
        unit=unit,
        entries=file.entries,
        authors=file.authors,
        photos=file.photos,
        ownerships=file.ownerships,
        cover_then=coverage(unit, claim.created_at),
        cover_now=coverage(unit, now),
        unit_claims=file.unit_claims,
        person_claims=file.person_claims,
        signals=services.fraud_signals(claim),
        moves=file.moves,
        problem=problem,
        posted=request.form,
        can_decide=role in (Role.ADMIN, Role.CLAIMS_AGENT),
        is_admin=role is Role.ADMIN,
        extension_form=extension_form
        or ExtensionForm(
            formdata=None, starts_on=local_date(now), months=12, scope=["parts", "labour"], claim=claim.number
        ),
        waited=file.waited,
        target=file.target,
        state_labels={s.value: s.label for s in ClaimState},
    ), status


@bp.get("/<tenant>/claims/<number>")
def claim(number: str):
    return _claim_page(tenant_scoped(WarrantyClaim, number=number))


@bp.get("/<tenant>/claims/<number>/photos/<int:entry_id>")
def claim_photo(number: str, entry_id: int):
    entry = queries.claim_photo(tenant_scoped(WarrantyClaim, number=number), entry_id)
    if entry is None:
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
    moved = attempt(lambda: services.move(
        item, target, actor=current_user, role="agent", note=note,
        replacement_serial=request.form.get("replacement_serial", "").strip(),
        cost_amount=request.form.get("cost_amount", "")[:40], cost_currency=request.form.get("cost_currency", "")[:10],
    ), refused=shown_by_page)
    if not moved:
        err = moved.refusal
        return _claim_page(item, _status(err), Problem(target.value, str(err), err.field))
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
    sent = attempt(lambda: services.add_message(item, current_user, "agent", request.form.get("body", "")),
                   refused=shown_by_page)
    if not sent:
        err = sent.refusal
        return _claim_page(item, _status(err), Problem("message", str(err), err.field))
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
        pct=percent,
        decimal=times,
    )


@bp.get("/<tenant>/quality.csv")
def quality_csv():
    return Response(
        csv_text(csv_rows(quality_report(g.tenant.id))),  # formulas neutralised (portal.core.exports)
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={g.tenant.slug}-claim-rates.csv"},
    )
