"""No English left in the French and German console pages partners and admins work in (issue 17): quality
signals, the Digital Links a manufacturer publishes (list, a link's page, a refused form, a CSV import's per-row
report, the flash of a retired link), API tokens (list, the one-time secret, a refused form, the flash of a
revoked one), the service history console (with records, as an admin and as a service partner) and the owner's
service history on their unit page. Each page is rendered with data so every part shows; what staff typed
(link titles, token names, centres, notes) is written in the reader's language or is a name."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.factories import login
from tests.i18n.marking import unmarked_strings
from tests.support.leaks import Visible, english_in
from tests.support.partner_consoles import PARTNER, build_partner_world, csv_upload

#: Console words that are English and neither French nor German (the shared list is the owner's journeys');
#: "link", "token", "service", "notes", "document", "import" and "type" are left out: they are German or French too.
CONSOLE_ENGLISH = frozenset("""
issued issue revoked revoke expired never retired retire live level default title target address quality signals
download rate upright twice further edit publish columns added refused line row recorded repair replaced battery
used last scopes through stands may sees acts copy shown lost another unit rows polish centres signal
""".split())  # noqa: SIM905 - a word list reads best as text
#: Names in the test data: the model, the lots, token and centre names, the CSV's column names.
ALLOWED = frozenset({"lünette", "horlogerie", "vautrin", "genève", "meier", "zurich", "atelier", "lyon"})
#: German writes "Upload" (die Upload-Grenze) as French writes "service".
ALSO = {"fr": frozenset(), "de": frozenset({"upload"})}
SECRET = re.compile(r"pvn_[a-z0-9]+_[-\w]*")  # a token's public prefix and secret are random letters
#: Identifiers typed as they are in any language: a link address's placeholders, an API scope's name.
PLACEHOLDER = re.compile(r"\{(serial|gtin|lot|cpv)\}|\b[a-z]+:(read|write)\b")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def leaks_in(page: str, language: str) -> list[str]:
    page = PLACEHOLDER.sub("", SECRET.sub("pvn", page))
    allowed = ALLOWED | ALSO[language]
    found = english_in(page, allowed)
    words = re.findall(r"[^\W\d_]+", " ".join(_visible(page)))
    return found + [repr(w) for w in words if w.lower() in CONSOLE_ENGLISH and w.lower() not in allowed]


def _visible(page: str) -> list[str]:
    parser = Visible()
    parser.feed(page)
    return parser.parts


@pytest.fixture
def world(app):
    return build_partner_world(app)


def walk(client, language: str, visits) -> dict[str, list[str]]:
    """Each visit is (label, method, path, data, expected status); a redirect is followed to read its flash."""
    client.get(f"/language/{language}")
    leaks = {}
    for label, method, path, data, status in visits:
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data=data or {}, follow_redirects=method == "POST+")
        assert response.status_code == status, (label, response.status_code)
        found = leaks_in(response.get_data(as_text=True), language)
        if found:
            leaks[label] = found
    return leaks


def visits_of_admin(world) -> list:
    link = world.link_id
    bad_link = {"gtin": world.gtin_a, "scope": "model", "link_type": "support", "title": "Aide",
                "target": "javascript:alert(1)"}
    good_link = {"gtin": world.gtin_a, "scope": "model", "link_type": "instructions", "title": "Notice",
                 "target": "https://acme.example/notice", "media_type": "text/html"}
    return [
        ("quality", "GET", "/console/acme/quality", None, 200),
        ("quality of one model", "GET", f"/console/acme/quality?model={world.model_id_a}", None, 200),
        ("links", "GET", "/console/acme/links", None, 200),
        ("a link", "GET", f"/console/acme/links/{link}", None, 200),
        ("a refused link", "POST", "/console/acme/links", bad_link, 422),
        ("a refused change", "POST", f"/console/acme/links/{link}", {**bad_link, "scope": "lot"}, 422),
        ("an import's report", "POST", "/console/acme/links/import", csv_upload(world), 422),
        ("an import without a file", "POST", "/console/acme/links/import", {}, 400),
        ("a link published", "POST+", "/console/acme/links", good_link, 200),
        ("a link retired", "POST+", f"/console/acme/links/{link}/retire", {}, 200),
        ("tokens", "GET", "/console/acme/tokens", None, 200),
        ("a refused token", "POST", "/console/acme/tokens", {"name": "", "expires_on": ""}, 400),
        ("a token too late", "POST", "/console/acme/tokens",
         {"name": "Caisse", "scopes": ["sales:write"], "expires_on": "2020-01-01"}, 422),
        ("a token issued", "POST", "/console/acme/tokens",
         {"name": "Caisse Genève", "scopes": ["sales:write"], "expires_on": str(date.today() + timedelta(days=9))},
         200),
        ("a token revoked", "POST+", "/console/acme/tokens/revoke", {"token_id": str(world.revoke_id)}, 200),
        ("services", "GET", "/console/acme/services", None, 200),
        ("a refused service", "POST", "/console/acme/services",
         {"gtin": world.gtin_a, "serial": world.serials_a[2], "performed_on": "2099-01-01", "kind": "repair",
          "centre": "Acme Lyon", "part_serial": "X1"}, 422),
        ("an empty service form", "POST", "/console/acme/services", {"kind": "nothing"}, 400),
        ("a service recorded", "POST+", "/console/acme/services",
         {"gtin": world.gtin_a, "serial": world.serials_a[2], "performed_on": str(date.today()),
          "kind": "polish", "centre": "Acme Lyon"}, 200),
    ]


@pytest.mark.parametrize("language", ["fr", "de"])
def test_admin_pages_of_quality_links_tokens_and_services_speak_the_readers_language(app, world, language):
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    leaks = walk(admin, language, visits_of_admin(world))
    analyst = app.test_client()  # sees the quality page without the right to start a recall
    login(analyst, world.staff_a["analyst"])
    leaks |= walk(analyst, language, [("quality (analyst)", "GET", "/console/acme/quality", None, 200)])
    assert not leaks, "\n".join(f"{p}: {', '.join(w[:8])}" for p, w in leaks.items())


@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_service_partners_pages_and_the_owners_history_speak_the_readers_language(app, world, language):
    partner = app.test_client()
    login(partner, PARTNER)
    leaks = walk(partner, language, [
        ("partner's services", "GET", "/console/acme/services", None, 200),
        ("partner's tokens", "GET", "/console/acme/tokens", None, 200),
        ("a partner's token refused", "POST", "/console/acme/tokens",
         {"name": "X", "scopes": ["units:write"], "expires_on": str(date.today())}, 400),
    ])
    owner = app.test_client()
    login(owner, world.owner)
    leaks |= walk(owner, language, [("owner's unit", "GET", f"/my/units/{world.ownership_id}", None, 200)])
    assert not leaks, "\n".join(f"{p}: {', '.join(w[:8])}" for p, w in leaks.items())


def test_the_import_report_and_a_refused_field_read_in_french(app, world):
    """What a French reader sees of a refusal: the per-row reasons of an import and a form's field error."""
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    admin.get("/language/fr")
    report = admin.post("/console/acme/links/import", data=csv_upload(world), content_type="multipart/form-data")
    text = html.unescape(report.get_data(as_text=True))
    assert report.status_code == 422 and "1 lien ajouté ; 5 lignes refusées :" in text
    assert "Ligne 3 : L'adresse doit être une simple adresse https://" in text
    assert "Ligne 6 : Vous n'avez aucun modèle de produit avec le GTIN" in text
    refused = admin.post("/console/acme/tokens", data={"name": "Caisse", "scopes": ["sales:write"],
                                                      "expires_on": "2020-01-01"})
    assert refused.status_code == 422
    assert "Choisissez une date d'expiration à partir d'aujourd'hui." in html.unescape(refused.get_data(as_text=True))


@pytest.mark.parametrize("name", ["warranty/console_quality.html", "resolver/console_links.html",
                                  "console/tokens.html", "servicing/console.html", "servicing/_owner_history.html"])
def test_these_console_templates_have_no_unmarked_text(name):
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    assert unmarked_strings(source) == [], f"unmarked text in templates/{name}"
