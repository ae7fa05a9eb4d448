"""Demonstration data: a watchmaker, an e-bike maker whose bikes carry serialized battery packs,
thousands of units across lots, a few owners, one stolen bike. Loaded through the services."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from portal import demo_pictures as pictures
from portal.accounts.second_factor import enrol, secret_from_text
from portal.accounts.services import add_staff, create_user, find_user
from portal.api.services import record_sale
from portal.authenticity.keys import create_key
from portal.authenticity.labels import issue_label
from portal.catalog.importer import import_units_csv
from portal.catalog.models import Manufacturer
from portal.catalog.services import add_model, create_tenant, find_unit, set_model_image
from portal.core.db import utcnow
from portal.core.gs1 import gtin_check_digit
from portal.core.storage import store_image
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.ownership.services import register_unit, report_stolen
from portal.passport import demo_data as passports
from portal.recalls.services import launch, save_draft
from portal.warranty.models import ClaimEntry
from portal.warranty.services import file_claim, move

PASSWORD = "provenance-demo"
DEMO_SIGN_INS = [
    ("alice@example.com", "owner of a watch and an e-bike", PASSWORD),
    ("bob@example.com", "owner whose e-bike is reported stolen", PASSWORD),
    ("admin@vautrin.example", "admin of Vautrin (watches)", PASSWORD),
    ("agent@vautrin.example", "claims agent of Vautrin", PASSWORD),
    ("admin@velora.example", "admin of Velora (e-bikes)", PASSWORD),
    ("recalls@velora.example", "recall manager of Velora", PASSWORD),
    ("platform@provenance.example", "platform admin (opens tenants)", PASSWORD),
]
#: The authenticator key of every demo staff member and the platform admin (documented in the README):
#: a demo is for looking around, so its second factor is shared and public. Never use it elsewhere.
DEMO_TOTP_SECRET = "DEMO DEMO DEMO DEMO DEMO DEMO DEMO DEMO"


def gtin_for(prefix: str, item: int) -> str:
    body = f"0{prefix}{item:0{12 - len(prefix)}d}"
    return body + str(gtin_check_digit(body))


def demo_present() -> bool:
    return db.session.scalar(select(Manufacturer.id).where(Manufacturer.slug == "vautrin")) is not None


def load_demo(scale: int = 1) -> None:
    vautrin = create_tenant("vautrin", "Horlogerie Vautrin", ["7612345"], actor="demo")
    velora = create_tenant("velora", "Velora E-Bikes", ["4061234"], actor="demo")
    for tenant, email, role in [(vautrin, "admin@vautrin.example", "admin"),
                                (vautrin, "agent@vautrin.example", "claims_agent"),
                                (velora, "admin@velora.example", "admin"),
                                (velora, "recalls@velora.example", "recall_manager")]:
        add_staff(tenant, email, role, password=PASSWORD, actor="demo")
    platform = create_user("platform@provenance.example", PASSWORD, name="Platform admin", verified=True)
    platform.is_platform_admin = True
    for email in ("admin@vautrin.example", "agent@vautrin.example", "admin@velora.example", "recalls@velora.example",
                  "platform@provenance.example"):
        enrol(find_user(email), secret_from_text(DEMO_TOTP_SECRET), actor="demo")

    watches = [(gtin_for("7612345", 1), "Chronographe 42", 60, "VC42"),
               (gtin_for("7612345", 2), "Classique 38", 24, "VL38"),
               (gtin_for("7612345", 3), "Plongée 300", 36, "VP300")]
    dials = [(250, 245, 235), (24, 36, 64), (18, 70, 60)]
    for (gtin, name, months, _), dial in zip(watches, dials, strict=True):
        model = add_model(vautrin, gtin=gtin, name=f"Vautrin {name}", warranty_months=months, actor="demo")
        set_model_image(model, store_image(pictures.watch(dial), "watch.png"), actor="demo")
    bikes = [(gtin_for("4061234", 10), "Velora City E8", "E8"), (gtin_for("4061234", 11), "Velora Trail X1", "TX1")]
    pack = gtin_for("4061234", 90)
    for (gtin, name, _), frame in zip(bikes, [(31, 79, 209), (200, 80, 30)], strict=True):
        model = add_model(velora, gtin=gtin, name=name, warranty_months=24, actor="demo")
        set_model_image(model, store_image(pictures.bike(frame), "bike.png"), actor="demo")
    pack_model = add_model(velora, gtin=pack, name="Velora PowerPack 500 Wh", warranty_months=24, actor="demo")
    set_model_image(pack_model, store_image(pictures.battery(), "battery.png"), actor="demo")

    start = date(2025, 1, 6)
    rows = ["gtin,serial,lot,manufactured_on,parent_gtin,parent_serial,nfc_uid"]
    for gtin, _, _, code in watches:
        for n in range(1, 1200 * scale + 1):
            made = start + timedelta(days=n // 6)
            rows.append(f"{gtin},{code}-{n:06d},L{made:%Y}-{made.month:02d},{made},,,")
    import_units_csv(vautrin, io.StringIO("\n".join(rows)), actor="demo")

    rows = rows[:1]
    for b, (gtin, _, code) in enumerate(bikes):
        for n in range(1, 800 * scale + 1):
            made = start + timedelta(days=n // 4)
            cell_lot = "CELL-" + "AB"[b] + str(1 + n // 300)
            bike_serial = f"{code}-{made:%y}-{n:05d}"
            rows.append(f"{gtin},{bike_serial},{made:%Y}W{made.isocalendar().week:02d},{made},,,")
            rows.append(f"{pack},PP5-{code}-{n:05d},{cell_lot},{made},{gtin},{bike_serial},")
    import_units_csv(velora, io.StringIO("\n".join(rows)), actor="demo")

    alice = create_user("alice@example.com", PASSWORD, name="Alice Martin", verified=True)
    bob = create_user("bob@example.com", PASSWORD, name="Bob Keller", verified=True)
    register_unit(alice, find_unit(watches[0][0], "VC42-000017"), purchased_on=date(2025, 3, 14),
                  retailer="Bijouterie du Lac, Geneva")
    register_unit(alice, find_unit(bikes[0][0], "E8-25-00042"), purchased_on=date(2025, 5, 2),
                  retailer="Velo Centrum, Munich")
    register_unit(bob, find_unit(watches[1][0], "VL38-000210"), purchased_on=date(2025, 8, 30),
                  retailer="Vautrin Boutique, Zurich")
    stolen = register_unit(bob, find_unit(bikes[1][0], "TX1-25-00007"), purchased_on=date(2025, 4, 12),
                           retailer="Trail Store, Innsbruck")
    report_stolen(bob, stolen, place="Innsbruck, bike rack at the station", note="Lock cut overnight")
    for tenant in (vautrin, velora):
        create_key(tenant, actor="demo")
    issue_label(find_unit(watches[0][0], "VC42-000017"), actor="demo")
    recall = save_draft(
        velora, actor="demo", number="R-2026-001", title="PowerPack 500 cells of lot CELL-A1 may overheat",
        hazard="Cells from lot CELL-A1 can overheat while charging.", severity="class I",
        consequence="A pack that overheats can catch fire and cause burns or property damage.",
        remedy_type="replace", remedy_instructions="Stop charging the pack. A dealer replaces it free of charge.",
        remedy_options="Replacement at a Velora dealer\nPick-up and return at home", contact="recalls@velora.example",
        remedies="replace,refund", contact_phone="0800 835 672", contact_url="https://velora.example/recall",
        product_description="PowerPack 500 battery pack for Velora e-bikes, 500 Wh, black housing.",
        identifier_location="The lot and serial are on the label under the pack, next to the charging port.",
        sold_from="2025-01-15", sold_to="2025-09-30", sold_where="Velora dealers and velora.example",
        sold_by="Velora and its dealers", countries="FR,DE,BE,AT",
        share_request="Please share this notice with anyone who rides a Velora e-bike.",
        identifier_image=store_image(pictures.rating_label(), "label.png").key,
        criteria={"model_ids": [pack_model.id], "lots": ["CELL-A1"], "remedy_unit": "assembly"})
    launch(recall, remedy_available=True, actor="demo")
    passports.load(velora, pack_model)  # the PowerPack's battery passport (docs/passport.md)
    _a_year_of_owners(watches, date.today())
    for ownership in db.session.scalars(select(Ownership)):  # owners registered on the day they bought
        ownership.since = datetime.combine(ownership.purchased_on, time(16, 30), tzinfo=UTC)
    _a_story_for_insights(vautrin, watches, date.today())


def _a_year_of_owners(watches, today: date) -> None:
    """Owners who bought watches over the last twelve months, three with open claims of different ages,
    so the console's charts have something to show."""
    owners = [create_user(f"owner{n:02d}@example.org", PASSWORD, name=f"Demo Owner {n}", verified=True)
              for n in range(1, 13)]
    serial = 400
    for month_back in range(12):
        for k in range(2 + (11 - month_back) % 4):
            serial += 1
            gtin, _, _, code = watches[serial % len(watches)]
            register_unit(owners[(month_back + k) % len(owners)], find_unit(gtin, f"{code}-{serial:06d}"),
                          purchased_on=today - timedelta(days=30 * month_back + 3 * k + 1),
                          retailer="Vautrin Boutique, Zurich")
    db.session.flush()
    for age_days, owner in ((2, owners[0]), (10, owners[1]), (33, owners[4])):
        ownership = db.session.scalar(select(Ownership).where(Ownership.owner_id == owner.id).limit(1))
        claim = file_claim(owner, ownership.unit, category="does_not_work", started_on=ownership.purchased_on,
                           description="The watch stops overnight although it is fully wound.")
        filed = utcnow() - timedelta(days=age_days)
        claim.created_at = claim.updated_at = filed
        # Its timeline too: the desk's waiting clock starts at the latest entry, not at created_at.
        db.session.execute(update(ClaimEntry).where(ClaimEntry.claim_id == claim.id).values(at=filed))


#: Shops selling Vautrin watches, with how many of their buyers register (in tenths) and their country: the
#: online shop (selling to France) and the airport shop register poorly, which the Reach insight shows.
SHOPS = (("Vautrin Boutique, Zurich", 8, "CH"), ("Bijouterie du Lac, Geneva", 6, "CH"),
         ("Montres-en-ligne.example", 1, "FR"), ("Duty Free, Zurich Airport", 0, "CH"))
#: What a closed claim cost, per outcome, in CHF (the reserve forecast averages the recorded costs).
CLAIM_COSTS = {"repaired": ("85.00", "140.00", "120.00"), "refunded": ("1450.00",)}


def _a_story_for_insights(vautrin, watches, today: date) -> None:
    """Till sales, registrations and claims that give each insight view something to say (docs/insights.md):
    the Chronographe sells quickly, the Classique 38 slowly (its first lots age in stock), online and
    airport buyers seldom register, and the Plongée 300 fails more the longer it is in service."""
    agent = find_user("agent@vautrin.example")
    owners = [create_user(f"buyer{n:02d}@example.org", PASSWORD, name=f"Demo Buyer {n}", verified=True)
              for n in range(1, 21)]
    # (model index, serials sold, days from manufacture to sale for the k-th sale)
    plans = ((0, range(600, 1200, 6), lambda k: 20 + k * 7 % 90),  # Chronographe 42: 100 sold, quickly
             (2, range(601, 1200, 6), lambda k: 30 + k * 11 % 150),  # Plongée 300: 100 sold
             (1, range(900, 1200, 10), lambda k: 150 + k * 13 % 250))  # Classique 38: 30 sold, slowly, late lots
    registered = []
    for index, serials, wait in plans:
        gtin, _, _, code = watches[index]
        for k, n in enumerate(serials):
            unit = find_unit(gtin, f"{code}-{n:06d}")
            sold_on = unit.manufactured_on + timedelta(days=wait(k))
            if sold_on >= today:
                continue
            shop, registers, country = SHOPS[(k + index) % len(SHOPS)]
            record_sale(vautrin, unit, retailer=shop, sold_on=sold_on, buyer_email=None, actor="demo till",
                        country=country)
            if (k * 7 + index) % 10 < registers:
                owner = owners[(n + k) % len(owners)]
                ownership = register_unit(owner, unit, purchased_on=sold_on, retailer=shop)
                since = min(sold_on + timedelta(days=k * 3 % 40), today - timedelta(days=1))
                ownership.since = datetime.combine(since, time(18), tzinfo=UTC)
                registered.append((index, k, unit, owner, sold_on))
    filed_claims = 0
    for index, k, unit, owner, sold_on in registered:
        if index == 2 and k % 5:  # Plongée 300: a seal that gives way, later in service more often
            months = (2, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)[k % 12]
        elif index == 0 and k % 6 == 0:  # Chronographe 42: now and then, at any age
            months = k % 14
        else:
            continue
        filed = sold_on + timedelta(days=30 * months + 6)
        if filed >= today - timedelta(days=2):
            continue
        claim = file_claim(owner, unit, category="does_not_work", started_on=filed,
                           description="Water got under the crystal; the dial fogs after a swim."
                           if index == 2 else "The watch loses several minutes a day.")
        steps = (("approved", "in_repair", "repaired", "closed"), ("approved", "refunded", "closed"),
                 ("approved", "in_repair", "repaired", "closed"), ("rejected",))[filed_claims % 4]
        filed_claims += 1
        if filed < today - timedelta(days=45):
            costs = CLAIM_COSTS.get(steps[-2], ("",)) if len(steps) > 1 else ("",)
            for state in steps:
                move(claim, state, actor=agent, role="agent",
                     note="Damage from a fall, not covered." if state == "rejected" else "",
                     cost_amount=costs[filed_claims % len(costs)] if state == "closed" else "", cost_currency="CHF")
        at = datetime.combine(filed, time(9), tzinfo=UTC)
        claim.created_at = claim.updated_at = at
        db.session.execute(update(ClaimEntry).where(ClaimEntry.claim_id == claim.id).values(at=at))
