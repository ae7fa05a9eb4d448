"""No English left in French and German pages of the main journeys (issue 17): the owner's wallet, a unit, a
claim, registering, the account, and the console a manufacturer works in. Each page is rendered in FR and DE
and its visible text (and the names assistive technology reads: aria-label, alt, placeholder, title) is
searched for English words. Data the portal shows as typed (model and maker names, serials, addresses, the
owner's words) is the allow list below, never a page's own sentences."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer, Unit
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.ownership.services import register_unit
from portal.warranty import returns, services
from portal.warranty.models import ClaimState
from tests.factories import build_world, login
from tests.support.insights import build_shop
from tests.support.leaks import english_in


@pytest.fixture
def world(app):
    """An owner with two watches (one with a claim the desk asked about), return addresses, a picture-less model."""
    world = build_world(app)
    with app.test_request_context():
        owner = find_user(world.owner)
        for i in range(2):
            register_unit(owner, db.session.get(Unit, world.unit_ids_a[i]), purchased_on=date.today() - timedelta(days=60),
                          retailer="Horlogerie Vautrin")
        claim = services.file_claim(owner, db.session.get(Unit, world.unit_ids_a[0]), category="does_not_work",
                                    description="Lünette — bracelet cassé.", started_on=None, return_country="FR")
        agent = find_user(world.staff_a["claims_agent"])
        services.move(claim, ClaimState.IN_REVIEW, actor=agent, role="agent")
        services.move(claim, ClaimState.INFO_REQUESTED, actor=agent, role="agent", note="Photo ?")
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        returns.save_address(acme.id, "FR", "Acme Retours\n12 rue du Port\n69002 Lyon", actor="test")
        db.session.commit()
        world.claim_number = claim.number
        world.ownership_id = db.session.scalar(select(Ownership.id).where(Ownership.unit_id == world.unit_ids_a[0]))
    return world


OWNER_PAGES = ["/", "/lookup", "/scan", "/my", "/my/register", "/my/units/{ownership_id}", "/my/claims",
               "/my/claims/{claim_number}", "/my/units/{ownership_id}/claims/new", "/transfer", "/my/account"]
CONSOLE_PAGES = ["/console/acme/", "/console/acme/models", "/console/acme/models/{model_id_a}", "/console/acme/units",
                 "/console/acme/units/{unit_id}", "/console/acme/claims", "/console/acme/claims/{claim_number}",
                 "/console/acme/returns", "/console/acme/team", "/console/acme/alerts", "/console/acme/disputes",
                 "/console/acme/audit", "/console/acme/keys", "/console/acme/reports", "/console/acme/import",
                 "/console/acme/labels", "/console/acme/models/{model_id_a}/warranty"]


def paths(templates, world) -> list[str]:
    values = {"ownership_id": world.ownership_id, "claim_number": world.claim_number,
              "model_id_a": world.model_id_a, "unit_id": world.unit_ids_a[0]}
    return [t.format(**values) for t in templates]


@pytest.mark.parametrize("language", ["fr", "de"])
def test_owner_pages_speak_only_the_readers_language(app, client, world, language):
    login(client, world.owner)
    client.get(f"/language/{language}")
    leaks = {}
    for path in paths(OWNER_PAGES, world):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        found = english_in(response.get_data(as_text=True), frozenset({"horlogerie", "vautrin"}))
        if found:
            leaks[path] = found
    assert not leaks, "\n".join(f"{p}: {', '.join(w[:8])}" for p, w in leaks.items())


@pytest.mark.parametrize("language", ["fr", "de"])
def test_console_pages_speak_only_the_readers_language(app, client, world, language):
    login(client, world.staff_a["admin"])
    client.get(f"/language/{language}")
    leaks = {}
    for path in paths(CONSOLE_PAGES, world):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        found = english_in(response.get_data(as_text=True), frozenset({"horlogerie", "vautrin", "lünette"}))
        if found:
            leaks[path] = found
    assert not leaks, "\n".join(f"{p}: {', '.join(w[:8])}" for p, w in leaks.items())


INSIGHT_PAGES = ["/console/acme/insights/", "/console/acme/insights/stock", "/console/acme/insights/sales",
                 "/console/acme/insights/reach", "/console/acme/insights/failures",
                 "/console/acme/insights/failures?by=lot", "/console/acme/insights/forecast"]


@pytest.mark.parametrize("language", ["fr", "de"])
def test_insight_pages_speak_only_the_readers_language(app, client, language):
    """The insights of a tenant with units made, sold, registered and claimed (tests/support/insights.py), so that
    every table, chart and explanation is drawn; the shops' names ("Shop A") are data."""
    with app.app_context():
        build_shop()
        db.session.remove()
    login(client, "agent@acme.test")
    client.get(f"/language/{language}")
    allowed = frozenset({"shop", "alpha"} | ({"filter"} if language == "de" else set()))  # German: der Filter
    leaks = {}
    for path in INSIGHT_PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        found = english_in(response.get_data(as_text=True), allowed)
        if found:
            leaks[path] = found
    bad = client.get("/console/acme/insights/stock?made_from=1900-01-01")
    assert bad.status_code == 400
    if found := english_in(bad.get_data(as_text=True), allowed):
        leaks["bad filter"] = found
    assert not leaks, "\n".join(f"{p}: {', '.join(w[:8])}" for p, w in leaks.items())


def test_the_check_catches_english_and_lets_names_and_the_other_languages_through():
    assert english_in("<p>Covered until 3 March</p>")
    assert english_in('<button aria-label="Remove the address">x</button>')
    assert not english_in("<p>Acme One · GTIN 04012345000016</p><script>var the = 1;</script>")
    assert not english_in("<p>Garantie jusqu’au 3 mars · Was ist das? Ein Produkt, also gut.</p>")


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", ["Importé depuis un fichier CSV", "Intégré à Velora City E8 E8-25-00042",
            "Remplace ACME-0001 au titre de la réclamation W26-K7QX9M", "Lock cut overnight"]),
    ("de", ["Aus CSV importiert", "Eingebaut in Velora City E8 E8-25-00042",
            "Ersetzt ACME-0001 im Garantiefall W26-K7QX9M", "Lock cut overnight"]),
])
def test_unit_history_notes_the_portal_wrote_read_in_the_readers_language(app, language, expected):
    """Stored in English as history ("Imported from CSV"), shown translated; an owner's own words stay as typed."""
    from flask_babel import force_locale

    from portal.catalog.models import event_note

    stored = ["Imported from CSV", "Built into Velora City E8 E8-25-00042", "Replaces ACME-0001 under claim W26-K7QX9M",
              "Lock cut overnight"]
    with app.test_request_context(), force_locale(language):
        assert [event_note(note) for note in stored] == expected
