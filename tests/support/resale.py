"""Resale test data: a seller with distinctive personal data that must never appear in a proof, a unit
registered to them with a receipt, and proofs made through the services."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from portal.accounts.services import create_user, find_user
from portal.catalog.models import Unit
from portal.core.storage import store_proof
from portal.extensions import db
from portal.ownership import services as ownership_services
from portal.resale import services
from tests.factories import PASSWORD, build_world

SELLER_EMAIL = "zebedee.quillfeather@rare-mailhost.test"
SELLER_NAME = "Zebedee Quillfeather"
RETAILER = "Maison Vexilloid, 12 Rue Obscure, Strasbourg"
RECEIPT_NAME = "quillfeather-receipt.png"
STOLEN_PLACE = "Quimperlé station"
BUYER_EMAIL = "bea.buyer@example.test"
#: Strings about the seller that no proof, page, JSON or credential may contain.
PERSONAL = [SELLER_EMAIL, "zebedee", "quillfeather", "Vexilloid", "Rue Obscure", "Strasbourg", RECEIPT_NAME,
            "rare-mailhost"]

def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 190, 170)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Sale:
    world: object
    unit_id: int
    ownership_id: int
    seller: str = SELLER_EMAIL
    buyer: str = BUYER_EMAIL


def build_sale(app) -> Sale:
    """build_world, plus the seller (verified, distinctive name) owning acme's first unit since May 2025 with
    a receipt from a named shop, and a verified buyer."""
    world = build_world(app)
    with app.app_context():
        seller = create_user(SELLER_EMAIL, PASSWORD, name=SELLER_NAME, verified=True)
        create_user(BUYER_EMAIL, PASSWORD, name="Bea Buyer", verified=True)
        unit = db.session.get(Unit, world.unit_ids_a[0])
        receipt = store_proof(_png(), RECEIPT_NAME)
        ownership = ownership_services.register_unit(seller, unit, purchased_on=date(2025, 5, 3), retailer=RETAILER,
                                                     proof=receipt)
        ownership.since = datetime(2025, 5, 3, 15, 30, tzinfo=UTC)  # registered on the day of purchase
        db.session.commit()
        return Sale(world, unit.id, ownership.id)


def make_proof(app, sale: Sale, *, days: int = 30, serial_shown: str = "masked",
               include_service: bool = False) -> tuple[int, str]:
    """A proof made through the service; its id and token."""
    from portal.ownership.models import Ownership

    with app.app_context():
        ownership = db.session.get(Ownership, sale.ownership_id)
        proof, token = services.create_proof(find_user(sale.seller), ownership, days=days, serial_shown=serial_shown,
                                             include_service=include_service)
        db.session.commit()
        return proof.id, token


def add_service(app, sale: Sale) -> None:
    """A part replaced by acme's service partner, with notes that name the seller (the owner's eyes only)."""
    from portal.servicing.services import record_service

    with app.app_context():
        record_service(db.session.get(Unit, sale.unit_id), actor=find_user(sale.world.staff_a["service_partner"]),
                       performed_on=date(2026, 3, 2), kind="part_replaced", centre="Atelier Genève",
                       notes=f"Handed in by {SELLER_NAME} ({SELLER_EMAIL}), 12 Rue Obscure.", part_serial="CROWN-77")
        db.session.commit()
