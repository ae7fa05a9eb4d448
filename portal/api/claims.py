"""Warranty claims for service partners: list, read, and move through the claims desk's states."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts.tenancy import scoped, tenant_scoped
from portal.api.blueprint import PageArgs, bp, current_token, operation, page, paged
from portal.api.models import Scope
from portal.api.schemas import ClaimDetailSchema, ClaimFilterSchema, ClaimPageSchema, TransitionSchema
from portal.catalog.models import Unit
from portal.extensions import db
from portal.warranty.models import TRANSITIONS, ClaimEntry, ClaimState, WarrantyClaim
from portal.warranty.services import move


def next_states(claim: WarrantyClaim) -> list[str]:
    return [target.value for (source, target), rule in TRANSITIONS.items()
            if source is claim.state and rule.by == "agent"]


def summary(claim: WarrantyClaim) -> dict:
    return {
        "number": claim.number, "state": claim.state.value,
        "unit": {"gtin": claim.unit.model.gtin, "serial": claim.unit.serial},
        "category": claim.category, "description": claim.description, "preferred_remedy": claim.preferred_remedy,
        "goodwill": claim.goodwill, "covered_at_filing": claim.covered_at_filing,
        "coverage_reason": claim.coverage_reason, "rma_number": claim.rma_number,
        "created_at": claim.created_at, "updated_at": claim.updated_at, "decided_at": claim.decided_at,
        "next_states": next_states(claim),
    }


def detail(claim: WarrantyClaim) -> dict:
    entries = db.session.scalars(select(ClaimEntry).where(ClaimEntry.claim_id == claim.id)
                                 .order_by(ClaimEntry.at, ClaimEntry.id))
    timeline = [{"at": e.at, "author_role": e.author_role, "kind": e.kind, "from_state": e.from_state,
                 "to_state": e.to_state, "body": e.body} for e in entries]
    return {**summary(claim), "timeline": timeline}


class ClaimListArgs(PageArgs, ClaimFilterSchema):
    pass


@bp.route("/claims", methods=["GET"], tags=["Claims"])
@operation(Scope.CLAIMS_READ, errors=(422,))
@bp.arguments(ClaimListArgs, location="query")
@bp.response(200, ClaimPageSchema)
def list_claims(args: dict):
    """List warranty claims

    Claims on your units in the order they were filed, optionally in one state. Follow `next` for more.
    Owners' names and addresses are not part of the API.
    """
    stmt = scoped(WarrantyClaim).options(joinedload(WarrantyClaim.unit).joinedload(Unit.model))
    if args.get("state"):
        stmt = stmt.where(WarrantyClaim.state == ClaimState(args["state"]))
    claims, next_link = page(stmt, WarrantyClaim.id, args)
    return paged([summary(c) for c in claims], next_link)


@bp.route("/claims/<number>", methods=["GET"], tags=["Claims"])
@operation(Scope.CLAIMS_READ)
@bp.response(200, ClaimDetailSchema)
def get_claim(number: str):
    """Read a warranty claim

    The claim with its timeline (state changes and messages) and the states it may move to next.
    """
    return detail(tenant_scoped(WarrantyClaim, number=number))


@bp.route("/claims/<number>/transitions", methods=["POST"], tags=["Claims"])
@operation(Scope.CLAIMS_WRITE, errors=(403,), body=True)
@bp.arguments(TransitionSchema)
@bp.response(200, ClaimDetailSchema)
def move_claim(data: dict, number: str):
    """Move a warranty claim

    The same moves the claims desk makes (approve, reject with a note, in repair, repaired, replaced with
    the replacement's serial, ...), made in the name of the admin who issued the token. The owner is told
    by e-mail as with the desk. A move the claim's state does not allow is refused (409); one only the
    owner may make is refused (403).
    """
    claim = tenant_scoped(WarrantyClaim, number=number)
    move(claim, data["to"], actor=current_token().created_by, role="agent", note=data.get("note", ""),
         replacement_serial=data.get("replacement_serial") or "")
    return detail(claim)
