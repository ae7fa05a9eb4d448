"""The typed lookup's suggestions (portal/authenticity/typed.py): one slip away, that model only, serials only,
one indexed statement, and rationed per client."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from portal.accounts.services import find_user
from portal.authenticity.typed import edit_candidates
from portal.catalog.models import Manufacturer, Unit
from portal.catalog.services import create_unit
from portal.extensions import db
from portal.ownership.services import register_unit
from tests.factories import build_world


@pytest.fixture
def world(app):
    saved = app.config["RATELIMIT_SUGGESTIONS"]
    yield build_world(app)
    app.config["RATELIMIT_SUGGESTIONS"] = saved


@pytest.mark.parametrize(("typed", "meant"), [
    ("ACME-001", "ACME-0001"),  # a character left out
    ("ACME-00001", "ACME-0001"),  # one too many
    ("ACME-0O01", "ACME-0001"),  # one wrong
    ("ACME-0010", "ACME-0001"),  # two neighbours swapped
    ("acme-0001", "ACME-0001"),  # case
    ("acme-001", "ACME-0001"),  # case and a slip
])
def test_one_slip_away_is_a_candidate(typed, meant):
    assert meant in edit_candidates(typed)


def test_candidates_stay_bounded_and_valid():
    candidates = edit_candidates("A" * 20)
    assert len(candidates) < 5000
    assert all(1 <= len(c) <= 20 for c in candidates)


def _page(client, gtin, serial):
    response = client.get("/lookup", query_string={"gtin": gtin, "serial": serial})
    return response.status_code, response.get_data(as_text=True)


def test_suggestions_name_serials_of_that_model_only_and_no_owner(app, client, world):
    with app.app_context():
        register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[0]), purchased_on=None)
        db.session.commit()
    status, page = _page(client, world.gtin_a, "ACME-001")
    assert status == 404 and "Did you mean" in page and "ACME-0001" in page and "ACME-0002" not in page  # two slips away
    assert world.owner not in page and "Olivia" not in page and "Registered to an owner" not in page
    assert 'value="ACME-001"' in page  # the field keeps what was typed, for editing
    status, page = _page(client, world.gtin_b, "ACME-001")  # bravo's model has no such serials
    assert status == 404 and "Did you mean" not in page


def test_suggestions_are_rationed_per_client_and_the_answer_stays_neutral(app, world):
    app.config["RATELIMIT_SUGGESTIONS"] = "2 per hour"
    one = app.test_client()
    for _ in range(2):
        assert "Did you mean" in _page(one, world.gtin_a, "ACME-001")[1]
    status, page = _page(one, world.gtin_a, "ACME-001")
    assert status == 404 and "Did you mean" not in page and "No product found" in page
    assert "Not genuine" not in page
    # another client (another address) still gets them: the count is per client
    other = app.test_client()
    response = other.get("/lookup", query_string={"gtin": world.gtin_a, "serial": "ACME-001"},
                         environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert "Did you mean" in response.get_data(as_text=True)


def test_a_maker_with_case_insensitive_serials_matches_what_was_typed_in_any_case(app, client, world):
    with app.app_context():
        db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme")).identifiers_case_insensitive = True
        db.session.commit()
    status, page = _page(client, f" {world.gtin_a} ", " acme-0002 ")
    assert status == 200 and "This serial is on record" in page and "ACME-0002" in page


def test_the_suggestion_statement_uses_the_model_serial_index(app, world):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the plan is read on SQLite; PostgreSQL's planner picks by table size")
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        for n in range(5, 60):
            create_unit(acme, gtin=world.gtin_a, serial=f"ACME-{n:04d}", actor="test")
        db.session.commit()
        candidates = sorted(edit_candidates("ACME-001"))
        params = ", ".join(f"'{c}'" for c in candidates[:50])
        plan = " ".join(str(row[-1]) for row in db.session.execute(text(
            f"EXPLAIN QUERY PLAN SELECT serial FROM units WHERE model_id = {world.model_id_a} "
            f"AND serial IN ({params})")))
    assert "USING" in plan and "INDEX" in plan and "SCAN units" not in plan, plan


@pytest.mark.parametrize(("lang", "none_found", "did_you_mean", "on_record"), [
    ("fr", "Aucun produit trouvé", "Vouliez-vous dire", "Ce numéro de série est enregistré"),
    ("de", "Kein Produkt gefunden", "Meinten Sie", "Diese Seriennummer ist erfasst"),
])
def test_the_answers_speak_french_and_german(app, world, lang, none_found, did_you_mean, on_record):
    from portal.core.i18n import LANGUAGE_COOKIE

    client = app.test_client()
    client.set_cookie(LANGUAGE_COOKIE, lang)
    page = _page(client, world.gtin_a, "ACME-001")[1]
    assert none_found in page and did_you_mean in page and "We found no" not in page
    page = _page(client, world.gtin_a, "ACME-0001")[1]
    assert on_record in page and "Typed numbers" not in page
