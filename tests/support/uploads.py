"""Upload points for the upload tests: each sends a file (bytes, name) where the portal takes one, signed in
as someone allowed to; `Point.stored` counts what the uploads left behind. And the smallest PDF a test can
build object by object."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.authenticity.models import CounterfeitReport
from portal.catalog.import_jobs import ImportJob
from portal.catalog.models import ProductModel, Unit
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.ownership.services import register_unit
from portal.warranty.models import WarrantyClaim
from tests.factories import login
from tests.support.forms import shown


def pdf(*objects: bytes) -> bytes:
    body = b"%PDF-1.7\n"
    for number, obj in enumerate(objects or (b"<< /Type /Catalog >>",), start=1):
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    return body + b"trailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Point:
    client: object
    app: object
    send: object  # (bytes, name) -> response

    def stored(self) -> tuple:
        with self.app.app_context():
            return (len(list(Path(self.app.config["UPLOAD_FOLDER"]).iterdir())),
                    db.session.scalar(select(func.count()).select_from(Ownership).where(Ownership.proof_key.is_not(None))),
                    db.session.scalar(select(func.count()).select_from(WarrantyClaim)),
                    db.session.scalar(select(func.count()).select_from(CounterfeitReport)),
                    db.session.scalar(select(func.count()).select_from(ImportJob)),
                    db.session.scalar(select(ProductModel.image_path).limit(1)))


def proof_point(app, client, world):
    login(client, world.owner)
    return lambda data, name: shown(client, client.post("/my/register", content_type="multipart/form-data", data={
        "gtin": world.gtin_a, "serial": world.serials_a[0], "purchased_on": "", "retailer": "Shop",
        "proof": (io.BytesIO(data), name)}))


def claim_point(app, client, world):
    with app.app_context():
        ownership = register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[1]),
                                  purchased_on=date.today() - timedelta(days=10))
        db.session.commit()
        ownership_id = ownership.id
    login(client, world.owner)
    return lambda data, name: shown(client, client.post(
        f"/my/units/{ownership_id}/claims/new", content_type="multipart/form-data",
        data={"category": "does_not_work", "preferred_remedy": "repair", "description": "It stopped working after a week.",
              "photos": [(io.BytesIO(data), name)]}))


def model_point(app, client, world):
    login(client, world.staff_a["admin"])
    return lambda data, name: client.post(f"/console/acme/models/{world.model_id_a}/image",
                                          content_type="multipart/form-data", data={"image": (io.BytesIO(data), name)})


def report_point(app, client, world):
    return lambda data, name: client.post("/report", content_type="multipart/form-data", data={
        "message": "Sold in a car park for a tenth of the price.", "photo": (io.BytesIO(data), name)})


def import_point(app, client, world):
    login(client, world.staff_a["admin"])
    return lambda data, name: client.post("/console/acme/import", content_type="multipart/form-data",
                                          data={"file": (io.BytesIO(data), name)})
