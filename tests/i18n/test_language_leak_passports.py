"""No English left on the digital product passport pages in French and German (issue 17): the console a
manufacturer keeps its passports in (the list, a model's and a lot's static data, a refused save, an import
report with its per-row errors, the messages after each action), the platform's access page, and the page anyone
reaches from a battery's code at every tier (with its versions, its new-life links, a ceased passport, a wrong
address) and its PDF. The battery has a full passport, built as tests/passport builds it.

The values of the Battery Pass data model are shown as stored ("Housing with charging port", "Repurposed"):
they are data, taken out of the page before the search; only the page's own words must be the reader's."""
from __future__ import annotations

import html
import io
import json
import re

import pytest
from pypdf import PdfReader

from portal.accounts.services import create_user, find_user
from portal.catalog.models import Unit
from portal.extensions import db
from portal.passport import services
from portal.passport.demo_data import POWERPACK
from tests.factories import login
from tests.support.leaks import WORD, english_in, without_emails
from tests.support.passport import DYNAMIC, EMAILS, build_battery

#: English words of the passport pages that the shared list (test_language_leak.ENGLISH) does not hold.
PASSPORT_ENGLISH = frozenset("""
passport passports grant granted revoke revoked lifecycle refused missing field fields required must kind row
rows record saved changed access errors tier authorities legitimate interest battery carbon footprint health
signed backup registry file whole least entry lacks unknown attribute object list address manufacturer
model unit yes copy role recycled repurposed remanufactured reused repairer recycler body notified operator life
instead edit empty years months month ceased
""".split())  # noqa: SIM905 - a word list reads best as text
#: Names of the test world and words both languages share with English.
NAMES = frozenset({"volt", "packs", "pack", "watch", "velora", "bikes", "gmbh", "csv", "json", "pdf", "gtin", "api",
                   "epcis", "console", "lot", "version", "import", "export", "test"})
#: German words spelt as English ones: "EU-Register", "Recycler" (the catalog's word for recyclers).
GERMAN = frozenset({"register", "recycler"})
DATA_LABEL = re.compile(r'data-label="([^"]*)"')
#: Names the pages cite as they are: the data model's, a document's, the import file's keys.
CITED = ("Battery Pass Data Model", "docs/passport.md", "{gtin, lot, fields}")
URL = re.compile(r"https?://\S+")
TEXTAREA = re.compile(r"(<textarea[^>]*>).*?(</textarea>)", re.DOTALL)


def _data_phrases() -> list[str]:
    """Every text value of the test passport, longest first (a value is shown as stored)."""
    out: list[str] = []

    def walk(value):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk([POWERPACK, DYNAMIC, EMAILS])
    return sorted({p for p in out if len(p) > 3}, key=len, reverse=True)


PHRASES = _data_phrases()
DATA_WORDS = frozenset({"original", "repurposed", "waste"})  # the data model's battery status, a stored value


def leaks(page: str, language: str, *, data: bool = False) -> list[str]:
    """English words of the page: the shared check, the passport's own words, and the mobile tables' labels."""
    page = TEXTAREA.sub(r"\1\2", page)  # a list field's stored value, as JSON
    for phrase in CITED:
        page = page.replace(html.escape(phrase, quote=False), " ")
    if data:
        for phrase in PHRASES:  # as stored, however a line wraps it (the PDF's text breaks long values)
            page = re.sub(r"\s*".join(map(re.escape, html.escape(phrase, quote=False))), " ", page)
    allowed = NAMES | (DATA_WORDS if data else frozenset()) | (GERMAN if language == "de" else frozenset())
    found = english_in(page, allowed)
    texts = [*DATA_LABEL.findall(page)]
    visible = re.sub(r"<(script|style|code)[^>]*>.*?</\1>", " ", page, flags=re.DOTALL)
    visible = re.sub(r'<[^>]*?(?:aria-label|placeholder|title|alt)="([^"]*)"[^>]*>', r" \1 ", visible)
    texts.append(html.unescape(re.sub(r"<[^>]+>", " ", visible)))
    for text in texts:
        for word in WORD.findall(URL.sub("", without_emails(text))):
            if word.lower() in PASSPORT_ENGLISH and word.lower() not in allowed:
                found.append(f"{word!r} in {' '.join(text.split())[:60]!r}" if len(text) < 200 else repr(word))
    return found


@pytest.fixture
def battery(app):
    """The full battery passport of tests/passport, one pack begun anew (linked both ways), one recycled."""
    battery = build_battery(app)
    with app.app_context():
        units = [db.session.scalar(db.select(Unit).where(Unit.serial == s)) for s in battery.serials]
        admin = find_user(battery.admin)
        services.begin_new_life(units[1], new_serial="VP-2L-001", reason="repurposed", actor=admin)
        services.recycle(units[2], actor=admin, note="")
        platform = create_user("platform@provenance.test", "correct horse battery", verified=True)
        platform.is_platform_admin = True
        db.session.commit()
    return battery


def _check(pages: dict[str, str]) -> None:
    assert not {k: v for k, v in pages.items() if v}, "\n".join(
        f"{k}: {', '.join(v[:10])}" for k, v in pages.items() if v)


def _import(client, name: str, body: str | bytes, **kwargs):
    raw = body if isinstance(body, bytes) else body.encode()
    return client.post("/console/volt/passports/import", data={"file": (io.BytesIO(raw), name)}, **kwargs)


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_passport_console_speaks_only_the_readers_language(app, client, battery, language):
    login(client, battery.admin)
    client.get(f"/language/{language}")
    base, model = "/console/volt/passports", f"/console/volt/passports/{battery.model_id}"
    found = {}
    for path in (base, model, model + "?lot=L1"):
        response = client.get(path)
        assert response.status_code == 200, path
        found[path] = leaks(response.get_data(as_text=True), language)
    refused = client.post(model, data={
        "generalProductInformation.batteryMass": "-3", "circularity.renewableContent": "lots",
        "circularity.safetyMeasures.extinguishingAgent": "[oops", "generalProductInformation.batteryCategory": "car",
        "generalProductInformation.manufacturerInformation.webAddress": "ftp://x",
        "performanceAndDurability.batteryTechicalProperties.ratedEnergy": "5",
        "performanceAndDurability.batteryTechicalProperties.ratedEnergy@unit": "V"})
    assert refused.status_code == 400
    found["refused save"] = leaks(refused.get_data(as_text=True), language)
    report = _import(client, "data.csv", "gtin,lot,field,value,unit\n"
                     f"{battery.gtin},,circularity.renewableContent,140,%\n"
                     f"{battery.gtin},NOLOT,carbonFootprint.batteryCarbonFootprint,70,\n"
                     f"{battery.gtin},L1,nonsense.field,1,\n"
                     "04000000000000,,circularity.renewableContent,1,\n"
                     f"{battery.watch_gtin},,circularity.renewableContent,1,\n")
    assert report.status_code == 400
    found["import report"] = leaks(report.get_data(as_text=True), language)
    rows = [{"gtin": battery.gtin, "fields": {"circularity.renewableContent": 14,
                                              "generalProductInformation.batteryMass": "heavy"}}, "not a row",
            {"gtin": battery.gtin, "fields": {"materialComposition.hazardousSubstances": [{"x": 1}],
                                              "circularity.recycledContent": [{"recycledMaterial": "Gold"}]}}]
    report = _import(client, "data.json", json.dumps(rows))
    assert report.status_code == 400
    found["JSON import report"] = leaks(report.get_data(as_text=True), language)
    for name, body in (("data.json", "{"), ("data.json", "{}"), ("data.csv", b"\xff"), ("data.csv", "x" * 2**21)):
        refused = _import(client, name, body, follow_redirects=True)
        found[f"refused file {body[:9]!r}"] = leaks(refused.get_data(as_text=True), language)
    for n in (1, 2):  # the singular and a plural form of the message
        good = _import(client, "data.json", json.dumps([{"gtin": battery.gtin, "lot": ("L1" if i else None),
                                                         "fields": {"circularity.renewableContent": 15 + n}}
                                                        for i in range(n)]))
        assert good.status_code == 200
        found[f"import of {n} done"] = leaks(good.get_data(as_text=True), language)
    for path, data in ((f"{base}/{battery.model_id + 1}/kind", {"kind": "battery"}),
                       (f"{base}/access", {"email": battery.nobody, "tier": "legitimate_interest", "role": "repairer"}),
                       (f"{base}/access", {"email": "nobody@nowhere.test", "tier": "authority", "role": "commission"}),
                       (f"{base}/access/revoke", {"grant": 1}), (f"{base}/access/revoke", {"grant": 1}),
                       (f"{base}/lifecycle", {"gtin": battery.gtin, "serial": battery.serials[0], "action": "reused",
                                              "new_serial": "VP-2L-002"}),
                       (f"{base}/lifecycle", {"gtin": battery.gtin, "serial": "NOPE", "action": "recycled"}),
                       (f"{base}/lifecycle", {"gtin": battery.gtin, "serial": battery.serials[2], "action": "recycled"}),
                       (f"{base}/backup.json", {})):
        response = client.post(path, data=data, follow_redirects=True)
        found[f"after {path} {data}"] = leaks(response.get_data(as_text=True), language)
    model_page = client.post(model, data={"circularity.renewableContent": "16"}, follow_redirects=True)
    found["saved"] = leaks(model_page.get_data(as_text=True), language)
    _check(found)


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_platform_access_page_speaks_only_the_readers_language(app, client, battery, language):
    login(client, "platform@provenance.test")
    client.get(f"/language/{language}")
    found = {}
    for name, path, data in (
            ("granted", "/admin/passport-access", {"email": battery.nobody, "tier": "authority",
                                                   "role": "market_surveillance"}),
            ("revoked", "/admin/passport-access/3/revoke", {}),
            ("refused", "/admin/passport-access", {"email": "nobody@nowhere.test", "tier": "authority",
                                                   "role": "commission"})):
        found[name] = leaks(client.post(path, data=data, follow_redirects=True).get_data(as_text=True), language)
    _check(found)


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("reader", [None, "recycler", "admin"])
def test_the_public_passport_page_speaks_only_the_readers_language(app, client, battery, language, reader):
    """Each tier's page of the full passport, the page of a pack begun anew and of its new passport, a ceased
    passport, an address with no passport, and the PDF (drawn in the reader's language)."""
    if reader:
        login(client, getattr(battery, reader))
    client.get(f"/language/{language}")
    found = {}
    for path in (battery.path(0), battery.path(1), f"/passport/01/{battery.gtin}/21/VP-2L-001"):
        response = client.get(path)
        assert response.status_code == 200, path
        found[path] = leaks(response.get_data(as_text=True), language, data=True)
        assert "2,9" in response.get_data(as_text=True)  # the pack's mass (2.9 kg), with the reader's decimal sign
    for path, status in ((battery.path(2), 410), (f"/passport/01/{battery.gtin}/21/NOPE", 404),
                         (battery.path(0) + "?version=9.9.9", 404), ("/passport/01/123/21/x", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        found[path] = leaks(response.get_data(as_text=True), language)
    pdf = client.get(battery.path(0) + "/pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    found["PDF"] = leaks("<p>" + html.escape(text.replace("\n", " ")) + "</p>", language, data=True)
    _check(found)
