"""The public Atom feed stays well-formed XML, and a tenant's text stays inside its own entry."""
from __future__ import annotations

from xml.etree import ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.catalog.models import Manufacturer
from portal.extensions import db
from portal.recalls import services
from portal.recalls.models import RecallCampaign
from tests.factories import GPSR_NOTICE, build_bike_fleet

A = "{http://www.w3.org/2005/Atom}"

#: A recall manager's "What owners should do" that closes the summary and adds an entry under another name.
FORGED_ENTRY = (
    "Bring it back.</summary></entry><entry><title>Bravo Bikes recall B-9: Frames crack</title>"
    "<id>http://portal.test/recalls#bravo-B-9</id><link href=\"https://evil.example/refund\"/>"
    "<updated>2026-05-01T00:00:00Z</updated><author><name>Bravo Bikes</name></author>"
    "<summary>Claim your refund at https://evil.example/refund"
)


def _launch(title: str, instructions: str, number: str = "R-1") -> None:
    tenant = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "ebike"))
    campaign = services.save_draft(tenant, actor="test", **{**GPSR_NOTICE, "remedy_instructions": instructions if instructions.strip() else "-"}, number=number, title=title, hazard="Cells can overheat.",
                                   criteria={"lots": ["CELL-A"]})
    services.launch(campaign, remedy_available=True, actor="test")


def test_a_closing_tag_in_the_instructions_cannot_add_an_entry(app, client):
    with app.app_context():
        build_bike_fleet()
        _launch("Brakes & cables", FORGED_ENTRY)
        db.session.commit()
    response = client.get("/recalls.atom")
    feed = ET.fromstring(response.get_data())  # a real XML parser: raises on a malformed document
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.findtext(f"{A}title") == "E-Bike Co recall R-1: Brakes & cables"
    assert entry.findtext(f"{A}author/{A}name") == "E-Bike Co"
    assert entry.findtext(f"{A}summary").endswith(FORGED_ENTRY)
    assert [link.get("href") for link in feed.iter(f"{A}link")] == [
        "http://portal.test/recalls.atom", "http://portal.test/recalls", "http://portal.test/recalls"]


def test_an_ampersand_in_a_title_keeps_the_feed_readable_for_every_tenant(app, client):
    with app.app_context():
        build_bike_fleet()
        _launch("Brakes & cables", "Stop riding.", "R-1")
        _launch("Cells <hot>", "Call us.", "R-2")
        db.session.commit()
    feed = ET.fromstring(client.get("/recalls.atom").get_data())
    assert sorted(e.findtext(f"{A}title") for e in feed.findall(f"{A}entry")) == [
        "E-Bike Co recall R-1: Brakes & cables", "E-Bike Co recall R-2: Cells <hot>"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60).filter(str.strip),
       instructions=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200))
def test_any_text_gives_a_well_formed_feed_with_one_entry(app, title, instructions):
    from portal.recalls.feed import atom_feed

    with app.test_request_context("/recalls.atom"):
        if db.session.scalar(select(Manufacturer.id).where(Manufacturer.slug == "ebike")) is None:
            build_bike_fleet()
        _launch(title, instructions)
        campaigns = db.session.scalars(select(RecallCampaign)).all()
        body = atom_feed(campaigns, "http://portal.test")
        db.session.rollback()
    entries = ET.fromstring(body).findall(f"{A}entry")
    assert len(entries) == 1 and entries[0].findtext(f"{A}author/{A}name") == "E-Bike Co"
