"""Regulator reports (CPSC, NHTSA, EU) pre-filled from the campaign, editable, exported as PDF, CSV and JSON;
the legal deadlines on the campaign's timeline."""
import csv
import io
import json
from datetime import date

import pytest
from pypdf import PdfReader

from portal.extensions import db
from portal.recalls import regulator, remedies, services
from portal.recalls.deadlines import add_working_days, deadlines
from tests.factories import login
from tests.support.recalls import BIKE, MANAGER, make_draft, own

FACTS = {"determined_on": "2026-03-02", "incidents": "Two packs overheated while charging; no injuries.",
         "chronology": "2026-02-10: first customer complaint. 2026-02-24: lab confirms cell defect.",
         "units_sold": 4, "consequence": "A pack that overheats can catch fire.", "contact": "recalls@ebike.example",
         "severity": "class I"}


@pytest.fixture
def launched(fleet):
    with fleet.app_context():
        own("ann@example.test", BIKE, "B-001")
        campaign = make_draft(lots=["CELL-A"], notice=FACTS)
        services.launch(campaign, remedy_available=True, actor="test")
        remedies.record_remedy(remedies.find_by_serial(campaign, "B-001"), by="dealer")
        remedies.remove_from_population(remedies.find_by_serial(campaign, "B-004"), "exported", by="desk")
        db.session.commit()
        return campaign.id


@pytest.mark.parametrize("slug", regulator.SLUGS)
def test_each_report_has_every_field_filled_from_the_campaign(fleet, launched, slug):
    with fleet.app_context():
        from portal.recalls.models import RecallCampaign

        report = regulator.build(db.session.get(RecallCampaign, launched), slug)
    assert report.missing == [], report.missing
    assert all(f.source and not f.edited for f in report.fields)


def test_the_reports_carry_the_campaigns_facts(fleet, launched):
    with fleet.app_context():
        from portal.recalls.models import RecallCampaign

        campaign = db.session.get(RecallCampaign, launched)
        cpsc = {f.name: f.value for f in regulator.build(campaign, "cpsc-15b").fields}
        nhtsa = {f.name: f.value for f in regulator.build(campaign, "nhtsa-573").fields}
        quarterly = regulator.build(campaign, "nhtsa-quarterly")
        gate = {f.name: f.value for f in regulator.build(campaign, "eu-safety-gate").fields}
    assert cpsc["date_codes"] == "lot CELL-A" and cpsc["units"] == "4" and cpsc["information_obtained"] == "2026-03-02"
    assert "first customer complaint" in cpsc["chronology"] and "2026-03-02: defect determined." in cpsc["chronology"]
    assert cpsc["manufacture_dates"].startswith("2025-0") and cpsc["due"] == "2026-03-03"
    assert nhtsa["due"] == "2026-03-09" and nhtsa["population"] == "4" and "Repair, Replacement, Refund" in nhtsa["remedy"]
    fields = {f.name: f.value for f in quarterly.fields}
    assert (fields["remedied"], fields["exported"], fields["completion"]) == ("1", "1", "33.3%")
    assert quarterly.table[0][0] == "campaign" and len(quarterly.table) == 2
    assert gate["barcode"] and gate["countries"] == "FR; DE; BE" and gate["risk_type"] == "class I"


def test_deadlines_are_counted_from_the_campaign_timeline(fleet, launched):
    with fleet.app_context():
        from portal.recalls.models import RecallCampaign

        campaign = db.session.get(RecallCampaign, launched)
        assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday -> Monday
        due = {d.key: d for d in deadlines(campaign, today=date(2026, 3, 20))}
        assert due["nhtsa-573"].due == date(2026, 3, 9) and due["nhtsa-573"].state == "late"
        assert due["cpsc-15b"].due == date(2026, 3, 3) and due["owner-notice-60"].due == date(2026, 5, 8)
        assert due["owner-notice-60"].state in ("done", "late")  # launched: done on the launch day
        assert sum(k.startswith("nhtsa-quarterly-") for k in due) == 8
        assert sum(k.startswith("nhtsa-annual-") for k in due) == 3
        regulator.save_edits(campaign, "nhtsa-573", {}, filed_on=date(2026, 3, 6), actor="test")
        due = {d.key: d for d in deadlines(campaign, today=date(2026, 3, 20))}
        assert due["nhtsa-573"].state == "done" and due["owner-notice-60"].due == date(2026, 5, 5)


def test_a_recall_manager_edits_a_report_and_the_exports_follow(fleet, launched):
    client = fleet.test_client()
    login(client, MANAGER)
    base = f"/console/ebike/recalls/{launched}/reports"
    listing = client.get(base).get_data(as_text=True)
    assert "NHTSA Part 573 defect report" in listing and "49 CFR 573.6(b)" in listing and 'id="deadlines"' in listing
    page = client.get(f"{base}/cpsc-15b")
    assert page.status_code == 200 and "Two packs overheated" in page.get_data(as_text=True)
    saved = client.post(f"{base}/cpsc-15b", data={"f_incidents": "Three packs overheated; one minor burn.",
                                                  "f_units": "4", "filed_on": "2026-03-03"})
    assert saved.status_code == 302
    rows = list(csv.reader(io.StringIO(client.get(f"{base}/cpsc-15b.csv").get_data(as_text=True))))
    by_name = {r[0]: r for r in rows[1:] if r}
    assert by_name["incidents"][2:] == ["Three packs overheated; one minor burn.", "edited by the recall manager"]
    assert by_name["units"][3] == "affected units (units of remedy)"  # an unchanged value is not an edit
    assert all(r[2] for r in rows[1:] if r)
    data = json.loads(client.get(f"{base}/cpsc-15b.json").get_data())
    assert data["filed_on"] == "2026-03-03" and all(data["fields"].values())
    pdf = client.get(f"{base}/nhtsa-quarterly.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "NHTSA quarterly recall report" in text and "49 CFR 573.7" in text and "R-1" in text
    assert client.post(f"{base}/cpsc-15b", data={"filed_on": "not a date"}).status_code == 302
    assert client.post(f"{base}/cpsc-15b", data={"filed_on": "2999-01-01"}).status_code == 302


@pytest.mark.parametrize("fmt", ["", ".pdf", ".csv", ".json"])
def test_another_tenants_staff_get_404_for_the_reports(fleet, launched, fmt):
    from portal.accounts.models import Role
    from portal.accounts.services import add_staff
    from portal.catalog.services import create_tenant
    from tests.factories import PASSWORD

    with fleet.app_context():
        other = create_tenant("other", "Other Co", ["4099999"], actor="test")
        add_staff(other, "boss@other.test", Role.ADMIN, password=PASSWORD, actor="test")
        db.session.commit()
    client = fleet.test_client()
    login(client, "boss@other.test")
    assert client.get(f"/console/ebike/recalls/{launched}/reports/cpsc-15b{fmt}").status_code == 404
    assert client.get(f"/console/other/recalls/{launched}/reports/cpsc-15b{fmt}").status_code == 404


def test_the_dashboard_timeline_shows_each_deadline_and_what_is_late(fleet, launched):
    client = fleet.test_client()
    login(client, MANAGER)
    page = client.get(f"/console/ebike/recalls/{launched}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"'):page.index("</section>", page.index('id="timeline"'))]
    assert "NHTSA Part 573 defect report" in timeline and "2026-03-09" in timeline
    assert "NHTSA owner notification" in timeline and "EU Safety Business Gateway notification" in timeline
    assert timeline.count("NHTSA quarterly report") == 1  # the next one only
    late = [d for d in deadlines(db_campaign(fleet, launched)) if d.state == "late"]
    assert late and f'id="late-count">{len(late)} late' in page


def db_campaign(app, campaign_id):
    from portal.recalls.models import RecallCampaign

    with app.app_context():
        campaign = db.session.get(RecallCampaign, campaign_id)
        db.session.expunge(campaign)
        return campaign
