"""The quality, Digital Links, API token and service history consoles in French and German on a 390px phone:
nothing scrolls sideways (a token's one-time secret and long link addresses wrap), the pages stay accessible,
and the form's labels are the reader's. Screenshots go to
test-artifacts/screenshots/partners-<lang>-<page>-<phone|desktop>.png for a person to look at."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.signin import sign_in
from tests.support.partner_consoles import build_partner_world, csv_upload

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ISSUE = {"fr": ("Nom", "Émettre le jeton", "Copiez-le maintenant"),
         "de": ("Name", "Token ausstellen", "Kopieren Sie es jetzt")}
IMPORT = {"fr": ("Fichier CSV", "Importer le fichier", "1 lien ajouté ; 5 lignes refusées"),
          "de": ("CSV-Datei", "Datei importieren", "1 Link hinzugefügt; 5 Zeilen abgelehnt")}


def fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"{name}: the page is {width}px wide on a 390px phone (sideways scrolling)"


@pytest.fixture
def world(app):
    return build_partner_world(app)


@pytest.mark.parametrize("language", ["fr", "de"])
def test_partner_consoles_fit_a_phone_in_french_and_german(world, new_page, language, tmp_path):
    page = new_page("phone")
    sign_in(page, world.staff_a["admin"])
    page.goto(f"/language/{language}")
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto("/console/acme/tokens")
    expect(page.locator("html")).to_have_attribute("lang", language)
    name, button, copy = ISSUE[language]
    page.get_by_label(name, exact=True).fill("Caisse Genève")
    page.locator("input[value='sales:write']").check()
    page.get_by_label("Valable jusqu'au" if language == "fr" else "Gültig bis").fill(
        str(date.today() + timedelta(days=30)))
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text(copy)
    page.screenshot(path=SHOTS / f"partners-{language}-tokens-phone.png", full_page=True)
    fits(page, "tokens")
    assert_accessible(page)

    page.goto("/console/acme/links")
    csv = tmp_path / "liens.csv"
    csv.write_bytes(csv_upload(world)["file"][0].getvalue())
    label, button, report = IMPORT[language]
    page.get_by_label(label).set_input_files(str(csv))
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(report)
    page.screenshot(path=SHOTS / f"partners-{language}-links-phone.png", full_page=True)
    fits(page, "links")
    assert_accessible(page)

    for name, path in {"quality": "/console/acme/quality", "services": "/console/acme/services"}.items():
        page.goto(path)
        page.screenshot(path=SHOTS / f"partners-{language}-{name}-phone.png", full_page=True)
        fits(page, name)
    assert_accessible(page)

    page.goto("/language/en")  # the choice is stored with the person: the next sign-in's page speaks English again
    wide = new_page("desktop")
    sign_in(wide, world.staff_a["admin"])
    wide.goto(f"/language/{language}")
    for name in ("tokens", "links", "quality"):
        wide.goto(f"/console/acme/{name}")
        wide.screenshot(path=SHOTS / f"partners-{language}-{name}-desktop.png", full_page=True)
