"""Records of tenant acme for console tests: a picture, an import job and the ids the permission matrix visits."""
from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import StaffMembership
from portal.extensions import db
from tests.factories import GPSR_NOTICE


def acme_records(app, world) -> dict[str, int]:
    """One record of acme for every kind of id a console URL takes, made through the services."""
    from portal.accounts.services import find_user
    from portal.authenticity.clones import check_for_clone, record_scan
    from portal.authenticity.services import report_counterfeit
    from portal.authenticity.sheets import start_run
    from portal.catalog.models import Manufacturer, Unit
    from portal.notifications.models import Notification
    from portal.ownership.services import register_unit
    from portal.recalls.services import launch, save_draft
    from portal.warranty.models import ClaimEntry
    from portal.warranty.services import file_claim

    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        unit = db.session.get(Unit, world.unit_ids_a[0])
        scans = [record_scan(unit, "genuine", "ok", client=f"device-{i}") for i in range(acme.clone_max_clients)]
        alert = check_for_clone(unit, scans[-1], registered=False)
        report = report_counterfeit(gtin=world.gtin_a, serial=unit.serial, code="", message="Looks like a copy",
                                    where_seen="market", contact="", photo=None)
        run = start_run(acme, actor="test", gtin=world.gtin_a)
        membership_id = db.session.scalar(select(StaffMembership.id).join(StaffMembership.user)
                                          .where(StaffMembership.role == "analyst"))
        register_unit(find_user(world.owner), unit, purchased_on=None)
        campaign = save_draft(acme, actor="test", **GPSR_NOTICE, number="R-1", title="Strap pin", hazard="Strap may detach",
                              criteria={"model_ids": [world.model_id_a]})
        launch(campaign, remedy_available=True, actor="test")
        notification_id = db.session.scalar(select(Notification.id).where(Notification.template == "recall_notice"))
        claim = file_claim(find_user(world.owner), unit, category="does_not_work", started_on=None,
                           description="It stopped ticking overnight.", photos=[(_png(), "dial.png")], goodwill=True)
        photo_id = db.session.scalar(select(ClaimEntry.id).where(ClaimEntry.claim_id == claim.id,
                                                                 ClaimEntry.kind == "photo"))
        ids = {"alert_id": alert.id, "report_id": report.id, "run_id": run.id, "membership_id": membership_id,
               "campaign_id": campaign.id, "notification_id": notification_id, "action": "follow-up",
               "number": claim.number, "entry_id": photo_id}
        from portal.resolver.services import LinkFields, add_link

        ids["service_id"] = _service_entry(unit, world)
        ids["link_id"] = add_link(acme, LinkFields(gtin=world.gtin_a, scope="model", link_type="support", title="Help",
                                                   target="https://acme.example/help"), actor="test").id
        db.session.commit()
        ids["job_id"] = _finished_import_job(acme, world)
    return ids


def _service_entry(unit, world) -> int:
    """A service the seeded partner recorded on the owner's unit, with its report."""
    from datetime import date

    from portal.accounts.services import find_user
    from portal.core.storage import store_proof
    from portal.servicing.services import record_service

    return record_service(unit, actor=find_user(world.staff_a["service_partner"]), performed_on=date(2026, 1, 5),
                          kind="service", centre="Acme Service Geneva", document=store_proof(_png(), "report.png")).id


def _finished_import_job(acme, world) -> int:
    """An import of acme that ran to the end, with a rejected row, so its page and error report exist."""
    import io

    from portal.catalog.import_jobs import run_import_job, start_import

    job = start_import(acme, io.BytesIO(f"gtin,serial\n{world.gtin_a},BAD SERIAL\n".encode()), filename="units.csv",
                       actor="test")
    db.session.commit()
    run_import_job(job.id)
    return job.id


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()
