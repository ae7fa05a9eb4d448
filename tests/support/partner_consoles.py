"""The partners' consoles of the language tests: quality signals, Digital Links at every level, API tokens and
service history, built through the services (tests/i18n/test_language_leak_partners.py,
tests/browser/test_partner_console_languages.py)."""
from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.api.models import ApiToken
from portal.api.tokens import issue_token, revoke_token
from portal.catalog.models import Manufacturer, Unit
from portal.catalog.services import create_unit
from portal.core.db import utcnow
from portal.core.storage import StoredFile
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.ownership.services import register_unit
from portal.resolver import services as links
from portal.resolver.services import LinkFields
from portal.servicing.services import record_service
from portal.warranty import services as warranty
from tests.factories import build_world

PARTNER = "service_partner@acme.test"


def build_partner_world(app):
    """Lot L1 of Acme One comes back three times out of three (it stands out), lot L2 has twenty healthy units;
    links at every level (one retired), tokens (one revoked, one used), services recorded by the partner and
    by an admin, on the owner's unit."""
    world = build_world(app)
    with app.test_request_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        for n in range(1, 21):
            create_unit(acme, gtin=world.gtin_a, serial=f"ACME-L2-{n:03d}", lot="L2", actor="test")
        owner = find_user(world.owner)
        for unit_id in world.unit_ids_a:
            unit = db.session.get(Unit, unit_id)
            register_unit(owner, unit, purchased_on=date.today() - timedelta(days=60), retailer="Horlogerie Vautrin")
            warranty.file_claim(owner, unit, category="does_not_work", description="Lünette desserrée.",
                                started_on=None, return_country="FR")
        admin = find_user(world.staff_a["admin"])
        for given in (LinkFields(world.gtin_a, "model", "support", "https://acme.example/aide", "Aide",
                                 language="fr", is_default=True),
                      LinkFields(world.gtin_a, "lot", "recallStatus", "https://acme.example/rappel/L1", "Rappel",
                                 lot="L1", context="rappel"),
                      LinkFields(world.gtin_a, "unit", "repairInfo", "https://acme.example/atelier/{serial}",
                                 "Atelier")):
            world.link_id = links.add_link(acme, given, actor=admin).id
        old = links.add_link(acme, LinkFields(world.gtin_a, "model", "faqs", "https://acme.example/faq", "FAQ"),
                             actor=admin)
        links.retire_link(acme, old.id, actor=admin)
        till, _ = issue_token(acme, name="Caisse Zurich", scopes=["sales:write", "units:read"],
                              expires_on=date.today() + timedelta(days=30), actor=admin)
        till.last_used_at = utcnow()
        gone, _ = issue_token(acme, name="Atelier Meier", scopes=[], expires_on=date.today(), actor=admin)
        revoke_token(gone, actor=admin)
        partner = find_user(PARTNER)
        issue_token(acme, name="Atelier Genève", scopes=["service:write", "units:read"],
                    expires_on=date.today() + timedelta(days=30), actor=partner)
        units = [db.session.get(Unit, unit_id) for unit_id in world.unit_ids_a]
        report = StoredFile(key="rapport-revision.pdf", mime="application/pdf", name="rapport.pdf", size=1200)
        record_service(units[0], actor=partner, performed_on=date.today() - timedelta(days=20), kind="service",
                       centre="Atelier Genève", notes="Révision complète.", document=report)
        record_service(units[0], actor=partner, performed_on=date.today() - timedelta(days=10),
                       kind="part_replaced", part_serial="CR-2207", centre="Atelier Genève")
        record_service(units[1], actor=admin, performed_on=date.today() - timedelta(days=5), kind="battery",
                       centre="Acme Lyon")
        db.session.commit()
        world.ownership_id = db.session.scalar(select(Ownership.id).where(Ownership.unit_id == world.unit_ids_a[0]))
        world.revoke_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "Caisse Zurich"))
    return world


def csv_upload(world) -> dict:
    rows = ("gtin,scope,lot,link_type,target,title,language,media_type,context,default\n"
            f"{world.gtin_a},model,,instructions,https://acme.example/notice,Notice,fr,text/html,,\n"
            f"{world.gtin_a},model,,pip,javascript:alert(1),Piège,,,,\n"
            f"{world.gtin_a},lot,,pip,https://acme.example/lot,Lot,,,,\n"
            f"{world.gtin_a},unit,,rien,https://acme.example/x,X,,,,\n"
            f"{world.gtin_b},model,,pip,https://acme.example/y,Y,,,,\n"  # another maker's model
            f"{world.gtin_a},model,,pip,https://acme.example/z,,zz,text,a b,\n")
    return {"file": (io.BytesIO(rows.encode()), "liens.csv")}
