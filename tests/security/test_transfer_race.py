"""A buyer redeeming a transfer code while the seller cancels it: exactly one of them wins, and both hear so.

Two real connections race (a thread each, with its own session), on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import Unit
from portal.core.errors import DomainError
from portal.extensions import db
from portal.ownership import services
from portal.ownership.models import Ownership, TransferOffer, TransferState
from tests.factories import build_world

TRIALS = 6


def _race(app, seller_email: str, buyer_email: str, ownership_id: int, code: str) -> dict:
    barrier, outcome = threading.Barrier(2), {}

    def redeem():
        with app.app_context():
            buyer = find_user(buyer_email)
            barrier.wait()
            try:
                services.accept_transfer(buyer, code, purchased_on=date.today())
                db.session.commit()
                outcome["redeemed"] = True
            except DomainError as err:
                db.session.rollback()
                outcome["redeemed"], outcome["buyer_told"] = False, str(err)

    def cancel():
        with app.app_context():
            seller, ownership = find_user(seller_email), db.session.get(Ownership, ownership_id)
            barrier.wait()
            try:
                outcome["cancelled"] = services.cancel_transfer(seller, ownership)
                db.session.commit()
            except DomainError:  # the buyer's commit came first: the seller no longer owns it
                db.session.rollback()
                outcome["cancelled"] = 0

    threads = [threading.Thread(target=redeem), threading.Thread(target=cancel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcome


def test_redeem_racing_cancel_has_exactly_one_winner(app):
    world = build_world(app)
    people = [world.owner, world.other_owner]
    with app.app_context():
        ownership = services.register_unit(find_user(people[0]), db.session.get(Unit, world.unit_ids_a[0]),
                                           purchased_on=date(2025, 5, 1))
        ownership_id = ownership.id
        db.session.commit()
    seen = []
    for _ in range(TRIALS):
        with app.app_context():
            current = db.session.get(Ownership, ownership_id)
            seller_email = current.owner.email
            offer, code = services.start_transfer(current.owner, current)
            offer_id = offer.id
            db.session.commit()
        buyer_email = next(p for p in people if p != seller_email)
        outcome = _race(app, seller_email, buyer_email, ownership_id, code)
        seen.append(outcome)
        with app.app_context():
            offer = db.session.get(TransferOffer, offer_id)
            current_owner = db.session.scalar(select(Ownership).where(Ownership.unit_id == world.unit_ids_a[0],
                                                                       Ownership.until.is_(None)))
            # The buyer got the unit exactly when the seller was not told the code was cancelled.
            assert outcome["redeemed"] != bool(outcome["cancelled"]), outcome
            if outcome["redeemed"]:
                assert offer.state is TransferState.ACCEPTED and offer.accepted_by_id == current_owner.owner_id
                assert current_owner.owner.email == buyer_email
                ownership_id = current_owner.id
            else:
                assert offer.state is TransferState.CANCELLED and offer.accepted_by_id is None
                assert current_owner.owner.email == seller_email and current_owner.id == ownership_id
                assert "cancelled" in outcome["buyer_told"]
    assert len(seen) == TRIALS
