"""The console's remaining desks in French and German (issue 17): a clone alert and its scan timeline, with the
evidence the check wrote read in the reader's language; the claims desk closing a claim (its cost fields); and
the platform's tenant page with its refusals."""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.authenticity.keys import create_key
from portal.authenticity.labels import issue_label, label_uri
from portal.authenticity.models import CloneAlert
from portal.catalog.models import Manufacturer, Unit
from portal.extensions import db
from portal.ownership.services import register_unit
from portal.warranty import services
from portal.warranty.models import ClaimState
from tests.factories import build_world, login
from tests.support.leaks import english_in

EVIDENCE = {"fr": "4 appareils différents l’ont scanné en", "de": "4 verschiedene Geräte haben ihn innerhalb von"}


@pytest.fixture
def desks(app):
    """Acme with a clone alert raised by real scans from four devices, and a repaired claim ready to close."""
    world = build_world(app)
    with app.test_request_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        create_key(acme, actor="test")
        acme.clone_max_clients = 4
        unit = db.session.get(Unit, world.unit_ids_a[0])
        uri = urlsplit(label_uri(unit.model.gtin, unit.serial, issue_label(unit, actor="test")))
        owner = find_user(world.owner)
        register_unit(owner, db.session.get(Unit, world.unit_ids_a[1]), purchased_on=date.today() - timedelta(days=30))
        claim = services.file_claim(owner, db.session.get(Unit, world.unit_ids_a[1]), category="does_not_work",
                                    description="Ne démarre plus.", started_on=None, return_country="FR")
        agent = find_user(world.staff_a["claims_agent"])
        for state in (ClaimState.APPROVED, ClaimState.IN_REPAIR, ClaimState.REPAIRED):
            services.move(claim, state, actor=agent, role="agent")
        db.session.commit()
        world.claim_number = claim.number
    for device in range(4):  # the fourth device tips the alert (tests/authenticity/test_clones_and_taps.py)
        app.test_client().get(f"{uri.path}?{uri.query}", headers={"Accept": "application/json",
                                                                   "User-Agent": f"phone-{device}"})
    with app.app_context():
        world.alert_id = db.session.scalar(select(CloneAlert.id))
    assert world.alert_id, "the scans raised no alert"
    return world


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_alert_and_claims_desks_speak_only_the_readers_language(app, client, desks, language):
    login(client, desks.staff_a["admin"])
    client.get(f"/language/{language}")
    leaks = {}
    for path in ("/console/acme/alerts", f"/console/acme/alerts/{desks.alert_id}",
                 f"/console/acme/claims/{desks.claim_number}"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        page = response.get_data(as_text=True)
        if found := english_in(page, frozenset({"démarre", "plus", "ne"})):
            leaks[path] = found
        if "/alerts" in path:
            assert EVIDENCE[language] in page, "the stored evidence is not read in the reader's language"
    assert not leaks, "\n".join(f"{p}: {', '.join(w[:8])}" for p, w in leaks.items())


@pytest.mark.parametrize(("language", "refusal"), [("fr", "existe déjà"), ("de", "existiert bereits")])
def test_the_tenant_page_and_its_refusals_speak_the_readers_language(app, client, desks, language, refusal):
    login(client, desks.platform_admin)
    client.get(f"/language/{language}")
    page = client.get("/admin/tenants")
    assert page.status_code == 200
    assert not english_in(page.get_data(as_text=True), frozenset({"acme", "bravo", "watches", "bikes"}))
    taken = client.post("/admin/tenants", data={"slug": "acme", "name": "Encore", "gs1_prefix": "7000001"})
    assert taken.status_code == 400
    assert refusal in taken.get_data(as_text=True)
    unknown = client.post("/admin/second-factor/reset", data={"email": "nobody@example.test"}, follow_redirects=True)
    assert not english_in(unknown.get_data(as_text=True), frozenset({"acme", "bravo", "watches", "bikes"}))


@pytest.mark.parametrize(("language", "whole", "tenth"), [("en", "25%", "12.5%"), ("fr", "25\u00a0%", "12,5\u00a0%"),
                                                          ("de", "25\u00a0%", "12,5\u00a0%")])
def test_percentages_are_written_as_the_reader_writes_them(app, language, whole, tenth):
    """One filter for every page's rates (recall completion and reach, insights, the console's home)."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(language):
        assert render_template_string("{{ 0.25|percent }}|{{ 0.125|percent(1) }}|{{ none|percent }}") == \
            f"{whole}|{tenth}|"
