"""Reaching the passport: the gs1:dpp link of a unit's code, the phone page in three languages with a sign-in
path, and the demo's PowerPack."""
from __future__ import annotations

from tests.factories import login


def test_the_units_linkset_offers_its_passport_as_gs1_dpp(client, battery):
    response = client.get(f"/01/{battery.gtin}/21/{battery.serials[0]}?linkType=linkset",
                          headers={"Accept": "application/linkset+json"})
    assert response.status_code == 200
    links = response.get_json()["linkset"][0]["https://gs1.org/voc/dpp"]
    assert {"/passport" + link["href"].split("/passport", 1)[1] for link in links} == {
        battery.path(), battery.path() + "?format=json"}
    redirect = client.get(f"/01/{battery.gtin}/21/{battery.serials[0]}?linkType=gs1:dpp")
    assert redirect.status_code == 307 and redirect.headers["Location"].endswith(battery.path())


def test_the_phone_page_speaks_three_languages_and_offers_a_sign_in(client, battery):
    page = client.get(battery.path()).get_data(as_text=True)
    assert "Sign in for restricted fields" in page and "/signin?next=" in page
    assert "Rated capacity" in page and "Carbon footprint" in page
    for code, words in (("fr", ("Passeport", "Capacité nominale", "Empreinte carbone")),
                        ("de", ("Pass", "Nennkapazität", "CO2-Fußabdruck"))):
        client.get(f"/language/{code}")
        page = client.get(battery.path()).get_data(as_text=True)
        assert all(word in page for word in words), code


def test_a_signed_in_reader_without_rights_is_told_how_to_get_them(client, battery):
    login(client, battery.nobody)
    page = client.get(battery.path()).get_data(as_text=True)
    assert "ask the manufacturer for access" in page and "Sign in for restricted fields" not in page


def test_a_restricted_readers_answers_are_kept_by_no_shared_cache(client, battery):
    assert "no-store" not in client.get(battery.path()).headers.get("Cache-Control", "")
    login(client, battery.recycler)
    for url in (battery.path(), battery.path() + "?format=json", battery.path() + "/circularity.json",
                battery.path() + "/pdf"):
        assert client.get(url).headers["Cache-Control"] == "private, no-store", url
