"""Pages in French and German: from the browser's Accept-Language, or the switcher, which sticks."""
import json
import re
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.services import find_user
from portal.authenticity.js_text import JS_TEXT
from portal.catalog.models import Unit
from portal.core.i18n import long_date, month_year, number
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.ownership.services import register_unit
from portal.recalls import services as recalls
from portal.recalls.models import RecallUnit
from tests.factories import GPSR_NOTICE, build_world, login
from tests.support.forms import shown


@pytest.fixture
def world(app):
    """The owner's first Acme watch, registered since March 2025 (a month whose name differs in all three)."""
    world = build_world(app)
    with app.app_context():
        ownership = register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[0]),
                                  purchased_on=date(2025, 3, 1))
        ownership.since = datetime(2025, 3, 15, 10, tzinfo=UTC)
        db.session.commit()
    return world


def page(response) -> str:
    """The page's text with entities decoded: whether an apostrophe is escaped is not the point here."""
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def test_recall_lookup_by_serial_answers_in_french_from_the_browser_language(app, client, world):
    with app.app_context():
        acme = db.session.get(Unit, world.unit_ids_a[0]).model.manufacturer
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-7", title="Crown may loosen",
                                      hazard="The crown can come off.", criteria={"lots": ["L1"]})
        recalls.launch(campaign, remedy_available=False, actor="test")
        db.session.commit()
    html = page(client.get(f"/recalls/lookup?gtin={world.gtin_a}&serial={world.serials_a[0]}",
                           headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"}))
    assert '<html lang="fr">' in html
    assert "Ce produit fait-il l'objet d'un rappel ?" in html
    assert "Rappel en cours, mesure corrective pas encore disponible" in html
    assert "rappel R-7" in html and "Danger :" in html
    assert "Crown may loosen" in html  # the manufacturer's own words are data, not translated


def test_verdict_page_answers_in_german_with_german_dates(client, world):
    html = page(client.get(f"/01/{world.gtin_a}/21/{world.serials_a[0]}", headers={"Accept-Language": "de-DE,de"},
                           follow_redirects=True))  # the code's address leads on to the verdict page
    assert '<html lang="de">' in html
    assert "Nicht überprüfbar" in html and "Dieser Code trägt keine Signatur" in html
    assert "Seit März 2025 auf einen Eigentümer registriert" in html
    assert "Januar 2025" in html  # made on 10 January 2025
    assert "Mutmaßliche Fälschung melden" in html and "Acme One" in html


def test_an_unknown_browser_language_gets_english(client, world):
    html = page(client.get(f"/01/{world.gtin_a}/21/{world.serials_a[0]}", headers={"Accept-Language": "ja, es"},
                           follow_redirects=True))
    assert '<html lang="en">' in html and "Registered to an owner since March 2025" in html


def test_the_switcher_sets_a_lasting_cookie_and_every_page_follows_it(client, world):
    response = client.get("/language/fr?next=/recalls", headers={"Accept-Language": "de"})
    assert response.status_code == 302 and response.headers["Location"] == "/recalls"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=fr;") and "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the tests run with SESSION_COOKIE_SECURE off, like `make run`
    for path in ("/", "/lookup", "/recalls", f"/01/{world.gtin_a}/21/{world.serials_a[0]}"):
        html = page(client.get(path, headers={"Accept-Language": "de"}, follow_redirects=True))  # the choice wins
        assert '<html lang="fr">' in html, path
        assert "Vérifier un produit" in html, path
    home = page(client.get("/"))
    assert "Sachez que votre produit est authentique, garanti et sûr." in home
    assert 'href="/language/de?next=/"' in home and 'hreflang="de"' in home
    assert '<a href="/language/fr?next=/" lang="fr" hreflang="fr"\n       aria-current="true">Français</a>' in home


def test_the_switcher_keeps_the_query_of_the_page_it_was_used_on(client, world):
    html = page(client.get(f"/recalls/lookup?gtin={world.gtin_a}&serial={world.serials_a[0]}"))
    assert f"/language/de?next=/recalls/lookup?gtin%3D{world.gtin_a}%26serial%3D{world.serials_a[0]}" in html
    back = client.get(f"/language/de?next=/recalls/lookup?gtin%3D{world.gtin_a}%26serial%3DACME-0001")
    assert back.headers["Location"] == f"/recalls/lookup?gtin={world.gtin_a}&serial=ACME-0001"


def test_the_cookie_is_secure_where_the_other_cookies_are(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        cookie = client.get("/language/de").headers["Set-Cookie"]
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                                    "", "evil"])
def test_the_switcher_only_redirects_to_a_path_on_this_site(client, target):
    response = client.get("/language/de", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_shared_caches_keep_the_languages_apart(client):
    for path in ("/", "/recalls", "/recalls.atom"):
        vary = client.get(path).headers.get("Vary", "")
        assert "Accept-Language" in vary and "Cookie" in vary, path


def test_an_unknown_language_is_not_found(client):
    response = client.get("/language/xx?next=/")
    assert response.status_code == 404 and "Set-Cookie" not in response.headers


def test_a_signed_in_owner_keeps_the_choice_on_the_account_and_on_a_new_device(app, client, world):
    login(client, world.owner)
    client.get("/language/de?next=/my")
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.email == world.owner)) == "de"
    other_device = app.test_client()
    login(other_device, world.owner)
    html = page(other_device.get("/my"))
    assert '<html lang="de">' in html and "Meine Produkte" in html and "Seriennummer ACME-0001" in html


def test_owner_pages_and_form_labels_are_translated(client, world):
    login(client, world.owner)
    client.get("/language/fr")
    with client.application.app_context():
        ownership_id = db.session.scalar(select(Ownership.id).where(Ownership.until.is_(None)))
    html = page(client.get(f"/my/units/{ownership_id}"))
    assert "À vous depuis" in html and "15 mars 2025" in html and "Certificat de garantie (PDF)" in html
    assert "Enregistré par son propriétaire" in html  # the portal's own note in the history, translated
    form = page(client.get("/my/register"))
    assert "Date d'achat" in form and "Enregistrer un produit" in form
    refused = shown(client, client.post("/my/register", data={"gtin": world.gtin_a, "serial": "NOPE-1"}))
    assert "Provenance ne connaît aucun exemplaire" in refused.get_data(as_text=True)


def test_sign_up_remembers_the_language_the_page_was_read_in(app, client):
    response = client.post("/signup", data={"name": "Élodie", "email": "elodie@example.test",
                                            "password": "un mot de passe long"},
                           headers={"Accept-Language": "fr"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "elodie@example.test"))
        assert user.locale == "fr"
    welcome = page(client.get(response.headers["Location"], headers={"Accept-Language": "fr"}))
    assert "Bienvenue sur Provenance." in welcome


@pytest.mark.parametrize("lang, long, month, figure", [
    ("en", "1 March 2025", "March 2025", "1,234,567"),
    ("fr", "1 mars 2025", "mars 2025", "1\u202f234\u202f567"),
    ("de", "1. März 2025", "März 2025", "1.234.567"),
])
def test_dates_and_numbers_follow_the_reader(app, lang, long, month, figure):
    with app.test_request_context(), force_locale(lang):
        assert (long_date(date(2025, 3, 1)), month_year(date(2025, 3, 1)), number(1234567)) == (long, month, figure)


def test_the_scan_and_verdict_scripts_get_their_sentences_translated(client, world):
    html = client.get(f"/01/{world.gtin_a}/21/{world.serials_a[0]}", headers={"Accept-Language": "de"},
                      follow_redirects=True)
    block = re.search(r'<script type="application/json" id="js-text">(.*?)</script>', html.get_data(as_text=True))
    text = json.loads(block.group(1))
    assert text["verify.match"] == "Signatur auf diesem Gerät geprüft: Sie passt zum veröffentlichten Schlüssel des Herstellers."
    scan = client.get("/scan", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    text = json.loads(re.search(r'id="js-text">(.*?)</script>', scan).group(1))
    assert text["scan.on"] == "Caméra activée. Placez le code dans le cadre." and "verify.mismatch" in text


@pytest.mark.parametrize("script", ["scan.js", "verify.js", "offline.js"])
def test_every_sentence_a_script_shows_is_in_the_catalog_with_the_same_english(app, script):
    source = (Path(__file__).resolve().parents[2] / "static" / "js" / script).read_text(encoding="utf-8")
    calls = re.findall(r't\("([\w.]+)",\s*((?:"(?:[^"\\]|\\.)*"\s*\+?\s*)+)', source)
    assert calls, "the script shows no sentence through t()"
    with app.test_request_context(), force_locale("en"):
        for key, literals in calls:
            english = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', literals))
            assert english == str(JS_TEXT[key]), key
    bare = re.findall(r'(?:textContent\s*=|say\(|Error\(|show\("\w+",)\s*"[A-Z]', source)
    assert bare == [], "a sentence bypasses t()"


@pytest.mark.parametrize("lang, words", [("fr", ("Mes produits", "Se déconnecter")),
                                         ("de", ("Meine Produkte", "Abmelden"))])
def test_every_owner_page_renders_in_french_and_german(app, client, world, lang, words):
    from portal.warranty import services as claims

    with app.app_context():
        olivia = find_user(world.owner)
        claim = claims.file_claim(olivia, db.session.get(Unit, world.unit_ids_a[0]), category="cosmetic",
                                  description="A scratch across the glass.", started_on=date(2025, 4, 1),
                                  goodwill=True)
        acme = db.session.get(Unit, world.unit_ids_a[0]).model.manufacturer
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-1", title="Crown", hazard="Loose crown.",
                                      remedy_options="Dealer\nPost", criteria={"lots": ["L1"]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
        ownership_id = db.session.scalar(select(Ownership.id).where(Ownership.unit_id == world.unit_ids_a[0]))
        recall_unit_id = db.session.scalar(select(RecallUnit.id).where(RecallUnit.unit_id == world.unit_ids_a[0]))
        number = claim.number
    login(client, world.owner)
    client.get(f"/language/{lang}")
    for path in ("/my", f"/my/units/{ownership_id}", f"/my/units/{ownership_id}/claims/new", "/my/claims",
                 f"/my/claims/{number}", "/my/register", "/transfer", "/my/dispute",
                 f"/my/recalls/{recall_unit_id}", "/recalls", "/scan", "/lookup", "/report", "/verify-offline", "/nope"):
        response = client.get(path)
        html = unescape(response.get_data(as_text=True))
        assert response.status_code in (200, 404), (path, response.status_code)
        assert f'<html lang="{lang}">' in html and all(w in html for w in words), path
        assert "My products" not in html and "Sign out" not in html, path


@pytest.mark.parametrize("target", ["/\t/evil.example", "/x\\y"])
def test_the_switcher_refuses_control_characters_and_backslashes_too(client, target):
    response = client.get("/language/de", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
