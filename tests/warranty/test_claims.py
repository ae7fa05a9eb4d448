"""Claims: eligibility, every allowed and forbidden transition, and two agents deciding at once."""
import threading
from datetime import date

import pytest
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import Disposition, Unit
from portal.catalog.services import create_unit
from portal.core.errors import Conflict, Invalid, NotAllowed, NotFound
from portal.core.storage import StoredFile
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.services import current_ownership, register_unit, report_stolen
from portal.warranty import services
from portal.warranty.models import TRANSITIONS, ClaimEntry, ClaimState, WarrantyClaim
from tests.factories import build_world

RECEIPT = StoredFile(key="receipt.pdf", mime="application/pdf", name="receipt.pdf", size=10)


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[0]), purchased_on=date.today(),
                      proof=RECEIPT)
        db.session.commit()
    return world


def unit(world) -> Unit:
    return db.session.get(Unit, world.unit_ids_a[0])


def new_claim(world, **kw) -> WarrantyClaim:
    args = {"category": "does_not_work", "description": "The crown came off after two weeks.",
            "started_on": date.today(), **kw}
    return services.file_claim(find_user(world.owner), unit(world), **args)


def agent(world):
    return find_user(world.staff_a["claims_agent"])


def test_filing_records_the_coverage_and_tells_the_owner(world, ctx):
    claim = new_claim(world)
    assert claim.state is ClaimState.SUBMITTED and claim.covered_at_filing and not claim.goodwill
    assert claim.number.startswith("W") and claim.rma_number is None
    assert db.session.scalar(select(Notification).where(Notification.template == "claim_update"))


@pytest.mark.parametrize("setup, error, message", [
    ("other_owner", NotAllowed, "current owner"),
    ("stolen", NotAllowed, "reported stolen"),
    ("same_problem", Conflict, "still open"),
    ("short", Invalid, "at least 15"),
    ("future", Invalid, "future"),
])
def test_eligibility_is_checked_in_the_service_and_says_why(world, ctx, setup, error, message):
    owner = find_user(world.owner)
    kwargs = {"category": "does_not_work", "description": "The crown came off after two weeks.",
              "started_on": date.today()}
    if setup == "other_owner":
        owner = find_user(world.other_owner)
    elif setup == "stolen":
        report_stolen(owner, current_ownership(unit(world)))
    elif setup == "same_problem":
        new_claim(world)
    elif setup == "short":
        kwargs["description"] = "broken"
    elif setup == "future":
        kwargs["started_on"] = date(2099, 1, 1)
    with pytest.raises(error, match=message):
        services.file_claim(owner, unit(world), **kwargs)


def test_an_uncovered_unit_needs_goodwill_and_is_labelled_so(world, ctx):
    unit(world).model.warranty_months = 0
    with pytest.raises(NotAllowed, match="goodwill"):
        new_claim(world)
    claim = new_claim(world, goodwill=True)
    assert claim.goodwill and not claim.covered_at_filing


def path_to(state: ClaimState) -> list[tuple[ClaimState, str]]:
    """A route of allowed moves from submitted to `state` (breadth-first over the table)."""
    frontier, seen = [(ClaimState.SUBMITTED, [])], {ClaimState.SUBMITTED}
    while frontier:
        current, route = frontier.pop(0)
        if current is state:
            return route
        for (src, dst), rule in TRANSITIONS.items():
            if src is current and dst not in seen:
                seen.add(dst)
                frontier.append((dst, route + [(dst, rule.by)]))
    raise AssertionError(f"{state} unreachable")


def walk(world, claim, route):
    for target, by in route:
        actor = agent(world) if by == "agent" else find_user(world.owner)
        fresh = create_unit(unit(world).model.manufacturer, gtin=world.gtin_a, serial=f"NEW-{claim.id}-{target.value[:4]}",
                            actor="test") if target is ClaimState.REPLACED else None
        services.move(claim, target, actor=actor, role=by, note="because",
                      replacement_serial=fresh.serial if fresh else "")


@pytest.mark.parametrize("transition", sorted(TRANSITIONS, key=lambda t: (t[0].value, t[1].value)),
                         ids=lambda t: f"{t[0].value}->{t[1].value}")
def test_every_allowed_transition_is_taken_by_its_role_only(world, ctx, transition):
    source, target = transition
    rule = TRANSITIONS[transition]
    claim = new_claim(world)
    walk(world, claim, path_to(source))
    wrong = "owner" if rule.by == "agent" else "agent"
    wrong_actor = find_user(world.owner) if wrong == "owner" else agent(world)
    with pytest.raises(NotAllowed):
        services.move(claim, target, actor=wrong_actor, role=wrong, note="x")
    walk(world, claim, [(target, rule.by)])
    assert claim.state is target
    entry = db.session.scalars(select(ClaimEntry).where(ClaimEntry.claim_id == claim.id)
                               .order_by(ClaimEntry.id.desc())).first()
    assert (entry.from_state, entry.to_state) == (source.value, target.value)


FORBIDDEN = [(s, t) for s in ClaimState for t in ClaimState if (s, t) not in TRANSITIONS and s is not t]


@pytest.mark.parametrize("source, target", [(ClaimState.SUBMITTED, ClaimState.REPAIRED),
                                            (ClaimState.SUBMITTED, ClaimState.CLOSED),
                                            (ClaimState.APPROVED, ClaimState.WITHDRAWN),
                                            (ClaimState.REJECTED, ClaimState.APPROVED),
                                            (ClaimState.CLOSED, ClaimState.IN_REVIEW),
                                            (ClaimState.WITHDRAWN, ClaimState.APPROVED)])
def test_a_forbidden_transition_is_refused_and_changes_nothing(world, ctx, source, target):
    claim = new_claim(world)
    walk(world, claim, path_to(source))
    before = db.session.scalar(select(ClaimEntry.id).order_by(ClaimEntry.id.desc()).limit(1))
    with pytest.raises(Conflict, match="cannot become"):
        services.move(claim, target, actor=agent(world), role="agent", note="x")
    assert claim.state is source
    assert db.session.scalar(select(ClaimEntry.id).order_by(ClaimEntry.id.desc()).limit(1)) == before


def test_the_table_forbids_most_pairs():
    assert len(FORBIDDEN) > 100 and (ClaimState.SUBMITTED, ClaimState.REPAIRED) in FORBIDDEN


def test_a_rejection_needs_a_note_and_approval_gives_an_rma_number(world, ctx):
    claim = new_claim(world)
    with pytest.raises(Invalid, match="Add a note"):
        services.move(claim, ClaimState.REJECTED, actor=agent(world), role="agent")
    services.move(claim, ClaimState.APPROVED, actor=agent(world), role="agent")
    assert claim.rma_number and claim.rma_number.startswith("RMA")


def test_repair_records_epcis_events_on_the_unit(world, ctx):
    claim = new_claim(world)
    walk(world, claim, path_to(ClaimState.REPAIRED))
    steps = [(e.biz_step.value, e.disposition) for e in unit(world).events]
    assert ("repairing", Disposition.IN_PROGRESS) in steps and steps[-1] == ("repairing", Disposition.RETAIL_SOLD)


def test_replacement_moves_ownership_and_decommissions_the_old_unit(world, ctx):
    claim = new_claim(world)
    walk(world, claim, path_to(ClaimState.APPROVED))
    spare = create_unit(unit(world).model.manufacturer, gtin=world.gtin_a, serial="SPARE-1", actor="test")
    with pytest.raises(NotFound):
        services.move(claim, ClaimState.REPLACED, actor=agent(world), role="agent", replacement_serial="NOPE-1")
    services.move(claim, ClaimState.REPLACED, actor=agent(world), role="agent", replacement_serial="SPARE-1")
    assert current_ownership(spare).owner.email == world.owner and current_ownership(unit(world)) is None
    assert spare.replaces_id == unit(world).id and unit(world).status is Disposition.INACTIVE
    assert claim.replacement_unit_id == spare.id


def test_two_agents_deciding_at_once_one_wins_the_other_is_told(app, world):
    with app.app_context():
        number = new_claim(world).number
        db.session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def decide(target):
        with app.app_context():
            claim = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))
            assert claim.state is ClaimState.SUBMITTED
            barrier.wait()
            try:
                services.move(claim, target, actor=agent(world), role="agent", note="decided")
                db.session.commit()
                outcomes.append(("won", target))
            except Conflict as err:
                db.session.rollback()
                outcomes.append(("told", str(err)))
            except Exception as err:  # noqa: BLE001 - a lock error at commit counts as losing too
                db.session.rollback()
                outcomes.append(("told", type(err).__name__))

    threads = [threading.Thread(target=decide, args=(t,)) for t in (ClaimState.APPROVED, ClaimState.REJECTED)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o[0] for o in outcomes) == ["told", "won"], outcomes
    with app.app_context():
        final = db.session.scalar(select(WarrantyClaim).where(WarrantyClaim.number == number))
        winner = next(o[1] for o in outcomes if o[0] == "won")
        assert final.state is winner and final.version == 2


def test_fraud_signals_name_quick_claims_reused_photos_and_past_thefts(world, ctx):
    import io

    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (20, 20), (9, 9, 9)).save(photo, format="JPEG")
    first = new_claim(world, photos=[(photo.getvalue(), "a.jpg")])
    services.move(first, ClaimState.WITHDRAWN, actor=find_user(world.owner), role="owner")
    second = new_claim(world, category="cosmetic", photos=[(photo.getvalue(), "b.jpg")])
    signals = " ".join(services.fraud_signals(second))
    assert "days after registration" in signals and first.number in signals
