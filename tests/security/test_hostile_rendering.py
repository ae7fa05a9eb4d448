"""Hostile text in every field a tenant or an owner controls, rendered by public, owner and console pages,
the Atom feed, the CSV export, the recall e-mail and a PDF, each output read back with its real parser.

What must hold: the HTML gains no element or attribute from the text (html.parser), the feed stays
well-formed with one entry per campaign (ElementTree), no CSV cell starts a formula (csv), the e-mail's
headers stay single lines and its parts parse (email), and the PDF holds no active content and its text
is readable (pypdf).
"""
from __future__ import annotations

import csv
import io
import itertools
from datetime import date
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer, ProductModel, Unit
from portal.core.errors import DomainError
from portal.core.exports import FORMULA_STARTS
from portal.core.pdf_checks import pdf_verdict
from portal.extensions import db
from portal.notifications.services import deliver_due
from portal.ownership.services import current_ownership, register_unit
from portal.recalls import services as recalls
from tests.factories import GPSR_NOTICE, build_world, login

PIECES = [
    "<evil-tag>", "</summary></entry><entry><title>forged</title>", "<script>evil()</script>",
    '" onmouseover="evil()', "' onerror='evil()", '=HYPERLINK("https://evil.example","x")', "@SUM(1+1)",
    "+cmd", "-2+3", "& &amp; <![CDATA[x]]> ]]>", "{{ 7*7 }}", "{% raw %}", "${7*7}", "%(title)s", "\\", "Ünïcødé ✓",
]
LINE = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
SINGLE = st.lists(st.sampled_from(PIECES) | st.text(LINE, max_size=8), min_size=1, max_size=4).map("".join).filter(
    lambda s: s.strip() and len(s) <= 100)
MULTI = st.lists(st.sampled_from([*PIECES, "\n", "\r\n"]) | st.text(LINE, max_size=8), min_size=1, max_size=5).map(
    "".join).filter(str.strip)
BAD_ATTRIBUTES = {"onmouseover", "onerror"}
NUMBERS = itertools.count(1)


@pytest.fixture
def world(app):
    """Built once per test function; every example adds its campaign to it."""
    return build_world(app)


@pytest.fixture
def readers(app, world):
    """Signed in once (a second-factor code works once): the owner and a recall manager."""
    owner, staff = app.test_client(), app.test_client()
    login(owner, world.owner)
    login(staff, world.staff_a["recall_manager"])
    return owner, staff


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def assert_inert_html(body: str, where: str) -> None:
    parser = Elements()
    parser.feed(body)
    parser.close()
    names = {tag for tag, _ in parser.tags}
    assert "evil-tag" not in names and "entry" not in names, where
    assert not [attrs for _, attrs in parser.tags if BAD_ATTRIBUTES & set(attrs)], where
    assert not [s for s in parser.scripts if "evil()" in s], where


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(model=SINGLE, maker=SINGLE, title=SINGLE, hazard=MULTI, instructions=MULTI, owner_name=SINGLE, retailer=SINGLE)
def test_hostile_text_stays_text_in_every_output(app, world, readers, mailbox, model, maker, title, hazard,
                                                 instructions, owner_name, retailer):
    number = f"R-{next(NUMBERS)}"
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        acme.name = maker  # as the platform admin's form stores it (single line)
        db.session.get(ProductModel, world.model_id_a).name = model
        owner = find_user(world.owner)
        owner.name = owner_name
        unit = db.session.get(Unit, world.unit_ids_a[0])
        ownership = current_ownership(unit) or register_unit(owner, unit, purchased_on=date(2025, 5, 1),
                                                             retailer=retailer)
        ownership.retailer = retailer
        try:
            campaign = recalls.save_draft(acme, actor="test", **{**GPSR_NOTICE, "remedy_instructions": instructions},
                                          number=number, title=title, hazard=hazard, criteria={"lots": ["L1"]})
            recalls.launch(campaign, remedy_available=True, actor="test")
        except DomainError:
            db.session.rollback()
            reject()  # the notice rules refused the wording: nothing is published, nothing to render
        campaign_id, ownership_id = campaign.id, ownership.id
        db.session.commit()
        mailbox.messages.clear()
        deliver_due()
        active = len(recalls_active())

    public = app.test_client()
    for path in ("/recalls", f"/recalls/lookup?gtin={world.gtin_a}&serial={world.serials_a[0]}",
                 f"/01/{world.gtin_a}/21/{world.serials_a[0]}"):
        response = public.get(path, follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code)
        assert_inert_html(response.get_data(as_text=True), path)

    feed = ET.fromstring(public.get("/recalls.atom").get_data())
    assert len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == active

    owner_client, staff = readers
    assert_inert_html(owner_client.get(f"/my/units/{ownership_id}").get_data(as_text=True), "owner unit page")
    certificate = owner_client.get(f"/my/units/{ownership_id}/certificate.pdf")
    assert certificate.status_code == 200 and pdf_verdict(certificate.data) is None
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(certificate.data)).pages)
    assert text.strip()

    assert_inert_html(staff.get(f"/console/acme/recalls/{campaign_id}").get_data(as_text=True), "console recall")
    rows = list(csv.reader(io.StringIO(staff.get(f"/console/acme/recalls/{campaign_id}/units.csv").get_data(
        as_text=True))))
    assert rows and not [c for row in rows for c in row if c.startswith(FORMULA_STARTS)]

    notice = mailbox.last_to(world.owner)
    assert "\n" not in notice["Subject"] and "\r" not in notice["Subject"]
    assert notice.get_body(("plain",)).get_content().strip()
    assert_inert_html(notice.get_body(("html",)).get_content(), "recall e-mail")


def recalls_active() -> list:
    from portal.recalls.models import CampaignState, RecallCampaign

    return db.session.scalars(select(RecallCampaign.id).where(RecallCampaign.state.in_(
        (CampaignState.ACTIVE, CampaignState.ACTIVE_NO_REMEDY)))).all()
