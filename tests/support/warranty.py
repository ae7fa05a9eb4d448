"""An owned unit and the words and photos of a warranty claim, for the tests that file claims over HTTP."""
from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from portal.accounts.services import find_user
from portal.catalog.models import Unit
from portal.core.storage import store_proof
from portal.extensions import db
from portal.ownership.services import register_unit

DESCRIPTION = "The crown came off and the hands stopped moving."


def jpeg(color=(40, 90, 160), size=(64, 48), noise: bool = False) -> bytes:
    image = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, color)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def receipt() -> bytes:
    return jpeg((250, 250, 250), (80, 120))


def give(app, email: str, unit_id: int, *, purchased_on: date | None = None, with_receipt: bool = True) -> int:
    """Register a unit to `email` through the services; returns the ownership id."""
    with app.app_context():
        proof = store_proof(receipt(), "receipt.jpg") if with_receipt else None
        ownership = register_unit(find_user(email), db.session.get(Unit, unit_id),
                                  purchased_on=purchased_on or date.today() - timedelta(days=60),
                                  retailer="Acme Boutique", proof=proof)
        db.session.commit()
        return ownership.id
