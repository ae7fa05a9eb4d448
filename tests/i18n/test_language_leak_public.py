"""No English left on the public and owner pages the main sweep (test_language_leak.py) does not reach, in French
and German (issue 17): the resale pages (the seller's proof, its public page, the buyer's check with the code and
a wrong code), the public recall lookup with an answer, the verdict of a genuine, a recalled and a stolen unit,
the owner's service history, the transfer acceptance page, the account's sessions, sign-up, sign-in, the
password reset pages, and the error pages (404, 429). The world's names, shops and service notes are data."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer, Unit
from portal.extensions import db
from portal.ownership import services as ownership_services
from portal.ownership.models import Ownership
from portal.recalls import services as recalls
from portal.resale import services as resale
from tests.factories import PASSWORD, login
from tests.support.forms import shown
from tests.support.leaks import english_in
from tests.support.resale import BUYER_EMAIL, RECEIPT_NAME, add_service, build_sale, make_proof
from tests.support.scanning import signed_label_uri

#: Data of the world: the seller's shop, the service centre and partner's words, the recall as the maker typed it.
DATA_WORDS = frozenset("""
horlogerie vautrin atelier genève maison vexilloid rue obscure strasbourg zebedee quillfeather bea buyer
""".split())  # noqa: SIM905 - a word list reads best as text

#: The maker typed its recall in French: that text is data on every page (as the recall desk's own test does).
NOTICE = {
    "number": "R-7", "title": "Bracelet qui se détache", "hazard": "Le fermoir peut s’ouvrir seul.",
    "consequence": "Perte de la montre.", "remedy_instructions": "Rapportez la montre à un revendeur.",
    "remedy_options": "Revendeur", "product_description": "Montre Acme One.", "product_image": "test/product.png",
    "identifier_location": "Au dos du boîtier.", "identifier_image": "test/label.png", "sold_from": "2025-01-01",
    "sold_to": "2025-12-31", "sold_where": "Boutiques en France", "sold_by": "Revendeurs agréés",
    "countries": "FR,DE", "remedies": "repair,replace", "contact_phone": "0800 100 200",
    "contact_url": "https://acme.example/rappel", "share_request": "Merci de partager cet avis.",
    "contact": "Service client", "incidents": "Aucun.", "chronology": "Analyse des retours.", "units_sold": 3,
}


def _unit(serial_index: int, world) -> Unit:
    return db.session.get(Unit, world.unit_ids_a[serial_index])


@pytest.fixture
def place(app):
    """The seller owns unit 0 (a proof, a service, a transfer offered through the proof); the buyer owns unit 2,
    reported stolen, and has a transfer code for unit 1 from the seller; a recall covers unit 1."""
    sale = build_sale(app)
    world = sale.world
    add_service(app, sale)
    proof_id, token = make_proof(app, sale, include_service=True)
    with app.test_request_context():
        seller, buyer = find_user(sale.seller), find_user(BUYER_EMAIL)
        from portal.resale.models import OwnershipProof

        _offer, proof_code = resale.offer_transfer(seller, db.session.get(OwnershipProof, proof_id))
        second = ownership_services.register_unit(seller, _unit(1, world), purchased_on=date(2025, 6, 1))
        _offer, transfer_code = ownership_services.start_transfer(seller, second)
        stolen = ownership_services.register_unit(buyer, _unit(2, world), purchased_on=date(2025, 6, 1))
        ownership_services.report_stolen(buyer, stolen, note="", place="")
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        campaign = recalls.save_draft(acme, actor="test", criteria={"serial_ranges": [
            {"from": world.serials_a[1], "to": world.serials_a[1]}]}, determined_on=date.today(), **NOTICE)
        recalls.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
    return {"sale": sale, "world": world, "proof_id": proof_id, "token": token, "proof_code": proof_code,
            "transfer_code": transfer_code, "recalled": world.serials_a[1],
            "labels": {name: signed_label_uri(app, world.unit_ids_a[i])
                       for name, i in (("genuine", 0), ("recalled", 1), ("stolen", 2))}}


def local(uri: str) -> str:
    return re.sub(r"^https?://[^/]+", "", uri).replace("/01/", "/verdict/01/", 1)


URL = re.compile(r"https?://\S+")


def english_on(response) -> list[str]:
    """English on the page, less the world's data: its words, the receipt's file name, and addresses (a link to
    /transfer is a path, not a sentence)."""
    return english_in(URL.sub("", response.get_data(as_text=True).replace(RECEIPT_NAME, "")), DATA_WORDS)


def leaks_of(client, paths: dict[str, tuple[str, int]]) -> dict[str, list[str]]:
    leaks = {}
    for name, (path, status) in paths.items():
        response = client.get(path)
        assert response.status_code == status, (name, path, response.status_code)
        if found := english_on(response):
            leaks[name] = found
        if DUMP:
            print(f"\n=== {name}\n" + " | ".join(" ".join(p.split()) for p in _visible(response) if p.strip()))
    return leaks


DUMP = False


def _visible(response):
    from tests.support.leaks import Visible

    parser = Visible()
    parser.feed(response.get_data(as_text=True))
    return parser.parts


def report(leaks: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}: {', '.join(words[:8])}" for name, words in leaks.items())


@pytest.mark.parametrize("language", ["fr", "de"])
def test_public_pages_speak_only_the_readers_language(app, client, place, language):
    world, token = place["world"], place["token"]
    client.get(f"/language/{language}")
    leaks = leaks_of(client, {
        "verdict genuine": (local(place["labels"]["genuine"]), 200),
        "verdict recalled": (local(place["labels"]["recalled"]), 200),
        "verdict stolen": (local(place["labels"]["stolen"]), 200),
        "recall lookup, recalled": (f"/recalls/lookup?gtin={world.gtin_a}&serial={place['recalled']}", 200),
        "recall lookup, clear": (f"/recalls/lookup?gtin={world.gtin_a}&serial={world.serials_a[0]}", 200),
        "proof, public": (f"/proof/{token}", 200),
        "sign-up": ("/signup", 200), "sign-in": ("/signin", 200), "reset": ("/reset", 200),
        "reset, new password": ("/reset/not-a-real-token", 200),
        "not found": ("/no/such/page", 404),
    })
    with app.test_request_context(headers={"Cookie": f"lang={language}"}):
        too_many = app.make_response(app.handle_user_exception(TooManyRequests()))
        assert too_many.status_code == 429
        if DUMP:
            print("\n=== 429\n" + " | ".join(" ".join(p.split()) for p in _visible(too_many) if p.strip()))
        if found := english_on(too_many):
            leaks["429"] = found
    # the forms' refusals: the fields' own checks and the accounts' answers
    for name, path, data in (
            ("sign-up refused", "/signup", {"name": "", "email": "not-an-address", "password": "short"}),
            ("sign-in refused", "/signin", {"email": "nobody@example.test", "password": "wrong password"}),
            ("reset refused", "/reset", {"email": ""}),
            ("new password refused", "/reset/not-a-real-token", {"password": "a long new password",
                                                                 "confirm": "another long password"})):
        response = shown(client, client.post(path, data=data))  # a refused sign-in: 303 to its form
        assert 400 <= response.status_code < 500, (name, response.status_code)
        if DUMP:
            print(f"\n=== {name}\n" + " | ".join(" ".join(p.split()) for p in _visible(response) if p.strip()))
        if found := english_on(response):
            leaks[name] = found
    assert not leaks, report(leaks)


@pytest.mark.parametrize("language", ["fr", "de"])
def test_owner_and_buyer_pages_speak_only_the_readers_language(app, place, language):
    sale, token = place["sale"], place["token"]
    seller, buyer = app.test_client(), app.test_client()
    login(seller, sale.seller, PASSWORD)
    login(buyer, BUYER_EMAIL, PASSWORD)
    for client in (seller, buyer):
        client.get(f"/language/{language}")
    leaks = leaks_of(seller, {
        "my proof": (f"/my/proofs/{place['proof_id']}", 200),
        "unit with service history": (f"/my/units/{sale.ownership_id}", 200),
        "sessions": ("/account/sessions", 200),
    })
    leaks |= leaks_of(buyer, {
        "buyer's check with the code": (f"/proof/{token}?code={place['proof_code']}", 200),
        "transfer acceptance": (f"/transfer?code={place['transfer_code']}", 200),
        "transfer, unknown code": ("/transfer?code=ZZZZ-ZZZZ-ZZZZ", 404),  # was a 500 (errors on an unvalidated form)
    })
    # the pages a POST leads to: the transfer offered from the proof, a refused registration and claim (303 to
    # their forms, core/drafts.py), a started transfer's code
    offered = seller.post(f"/my/proofs/{place['proof_id']}/offer")
    assert offered.status_code == 303
    pages = {"transfer offered from the proof": seller.get(offered.headers["Location"])}
    seller.post("/my/register", data={"gtin": sale.world.gtin_a, "serial": "ACME-9999"})
    pages["registration refused"] = seller.get("/my/register")
    seller.post(f"/my/units/{sale.ownership_id}/claims/new", data={"category": "", "description": "court"})
    pages["claim refused"] = seller.get(f"/my/units/{sale.ownership_id}/claims/new")
    with app.app_context():
        second = db.session.scalar(select(Ownership.id).where(Ownership.unit_id == sale.world.unit_ids_a[1]))
    seller.post(f"/my/units/{second}/transfer")
    pages["transfer code"] = seller.get(f"/my/units/{second}/transfer")
    for name, response in pages.items():
        assert response.status_code < 500 and response.status_code != 302, (name, response.status_code)
        if DUMP:
            print(f"\n=== {name}\n" + " | ".join(" ".join(p.split()) for p in _visible(response) if p.strip()))
        if found := english_on(response):
            leaks[name] = found
    wrong = shown(buyer, buyer.post(f"/proof/{token}/receive", data={"code": "AAAA-BBBB-CCCC"}))
    assert 400 <= wrong.status_code < 500
    if found := english_on(wrong):
        leaks["buyer's check, wrong code"] = found
    with app.app_context():
        assert db.session.scalar(select(Ownership.id).where(Ownership.id == sale.ownership_id))
    assert not leaks, report(leaks)


@pytest.mark.parametrize(("language", "before", "after"), [("fr", "Bénin", "Bermudes"), ("de", "Ägypten", "Albanien")])
def test_the_registration_country_list_sorts_accented_names_among_their_letters(app, client, language, before,
                                                                                 after):
    """A plain sort put Bénin after Burundi and Ägypten after Zypern; the claim form already sorted by letters."""
    sale = build_sale(app)
    login(client, sale.seller, PASSWORD)
    client.get(f"/language/{language}")
    html = client.get("/my/register").get_data(as_text=True)
    assert html.index(f">{before}</option>") < html.index(f">{after}</option>")
