"""A unit ready for a warranty claim journey, and the words and photo the journeys send."""
from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

QUESTION = "Please send a photo of the serial number label on the back."


ANSWER = "The label is under the strap; the photo I added shows it."


def give_unit(app, email: str, unit_id: int) -> None:
    """Register a unit with a receipt to `email` through the services (setup, not the journey under test)."""
    from PIL import Image

    from portal.accounts.services import find_user
    from portal.catalog.models import Unit
    from portal.core.storage import store_proof
    from portal.extensions import db
    from portal.ownership.services import register_unit

    out = io.BytesIO()
    Image.new("RGB", (60, 90), "white").save(out, format="PNG")
    with app.app_context():
        register_unit(find_user(email), db.session.get(Unit, unit_id), purchased_on=date.today() - timedelta(days=90),
                      retailer="Acme Boutique", proof=store_proof(out.getvalue(), "receipt.png"))
        db.session.commit()


def photo_file(tmp_path: Path, name: str = "scratched-case.jpg") -> Path:
    from PIL import Image, ImageDraw

    path = tmp_path / name
    image = Image.new("RGB", (900, 1200), (225, 228, 235))
    ImageDraw.Draw(image).ellipse((200, 300, 700, 800), outline=(60, 60, 60), width=18)
    image.save(path, format="JPEG", quality=85)
    return path
