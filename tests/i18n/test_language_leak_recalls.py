"""No English left on the recall console's pages in French and German (issue 17): the campaigns list, the editor,
a draft, an active campaign (units, notices, a remedy recorded), a closed one, closing and reopening, the
regulator reports and each report's page, the flash messages and the editor's validation errors.

The manufacturer typed the campaigns in French here, so its words are data, not leaks. A report page's
values (the textareas) are what the exports carry, in the regulator's language (English): they are not
searched; their labels and sources are. The word list adds the recall desk's English to the shared one."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.recalls.regulator import SLUGS
from tests.support.leaks import english_in
from tests.support.recall_desk import ADMIN, build_desk

#: The recall desk's English, beyond the shared list: words that are neither French nor German ("notice",
#: "service", "plan", "contact", "incidents", "close", "parts", "sent", "brand", "online" are, so not here).
RECALL_ENGLISH = frozenset("""
campaign campaigns remedy remedies remedied draft launch launched deadline deadlines done late regulator regulators
hazard affected completion removed reach letter letters follow book booked record recorded outcome severity
serials preview sample timeline missing filed edited edit reopen keep why what owners reachable notify matching
assemblies holding counted exported scrapped unreachable pending failed withdrawn quarterly annual quarter ending
report reports schedule consumers product products sold shops picture pictures barcode measures taken risk level
line request share free phone countries chronology events injuries
""".split())  # noqa: SIM905 - a word list reads best as text
#: Data: the tenant's and models' names, identifiers, regulators' names and citations kept as proper names.
DATA_WORDS = frozenset("""
bike co cell pack ebike cpsc nhtsa section cfr fast track safety gate business gateway gpsr eml ue eu
""".split())  # noqa: SIM905
TEXTAREA = re.compile(r"<textarea[^>]*>.*?</textarea>", re.DOTALL)

@pytest.fixture
def desk(app) -> dict:
    return build_desk(app)


def pages(ids: dict) -> list[str]:
    base = "/console/ebike/recalls"
    out = [base, f"{base}/new", f"{base}/{ids['draft']}", f"{base}/{ids['draft']}/edit",
           f"{base}/{ids['active']}", f"{base}/{ids['waiting']}", f"{base}/{ids['closed']}",
           f"{base}/{ids['active']}/close", f"{base}/{ids['closed']}/reopen", f"{base}/{ids['active']}/reports"]
    return out + [f"{base}/{ids['active']}/reports/{slug}" for slug in SLUGS]


#: Proper names kept as the regulators write them (the text around them is translated).
PROPER_NAMES = ("Consumer Product Safety Act",)


def leaks_in(html: str) -> list[str]:
    visible = TEXTAREA.sub("", html)
    for name in PROPER_NAMES:
        visible = visible.replace(name, "")
    found = english_in(visible, DATA_WORDS)
    found += [w for w in _recall_english(visible) if w not in found]
    return found


def _recall_english(html: str) -> list[str]:
    from tests.support.leaks import WORD, Visible

    parser = Visible()
    parser.feed(html)
    return [f"{w!r} in {' '.join(part.split())[:90]!r}" for part in parser.parts for w in WORD.findall(part)
            if w.lower() in RECALL_ENGLISH and w.lower() not in DATA_WORDS]


def _speak(client, language: str) -> None:
    from tests.factories import login

    login(client, ADMIN)
    client.get(f"/language/{language}")


@pytest.mark.parametrize("language", ["fr", "de"])
def test_every_recall_console_page_speaks_only_the_readers_language(app, client, desk, language):
    _speak(client, language)
    leaks = {}
    for path in pages(desk):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if found := leaks_in(response.get_data(as_text=True)):
            leaks[path] = found
    assert not leaks, "\n".join(f"{p}: {', '.join(w[:8])}" for p, w in leaks.items())


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_recall_desks_messages_and_errors_speak_the_readers_language(app, client, desk, language):
    """Flash messages after recording and booking, a refused serial, the letters with nobody to write to, a report
    saved, and the editor's validation errors."""
    _speak(client, language)
    base = f"/console/ebike/recalls/{desk['active']}"
    with app.app_context():
        token = _token(client, base)
    shown = {
        "record": client.post(f"{base}/remedies", data={"csrf_token": token, "serial": "B-004", "outcome": "remedied"},
                              follow_redirects=True),
        "unknown serial": client.post(f"{base}/remedies", data={"csrf_token": token, "serial": "B-009",
                                                                "outcome": "remedied"}),
        "booking without a day": client.post(f"{base}/schedule", data={"csrf_token": token, "schedule-serial": "B-001"},
                                             follow_redirects=True),
        "letters": client.get(f"{base}/letters.pdf", follow_redirects=True),
        "report saved": client.post(f"{base}/reports/cpsc-15b", data={"csrf_token": token, "filed_on": ""},
                                    follow_redirects=True),
        "empty editor": client.post("/console/ebike/recalls/new", data={"csrf_token": token}),
    }
    expected = {"fr": ["Enregistré : B-004 corrigée.", "Le numéro de série B-009 n’est pas concerné par cette campagne.",
                       "Ce champ est requis.", "Rapport enregistré.",
                       "Indiquez le numéro de série et le jour prévu pour la mesure corrective.",
                       "Tous les propriétaires concernés sont joignables par e-mail : aucune lettre à imprimer."],
                "de": ["Erfasst: B-004 behoben.", "Die Seriennummer B-009 ist von dieser Rückrufaktion nicht betroffen.",
                       "Dieses Feld wird benötigt.", "Bericht gespeichert.",
                       "Geben Sie die Seriennummer und den Tag an, für den die Abhilfe eingeplant ist.",
                       "Alle betroffenen Eigentümer sind per E-Mail erreichbar: keine Briefe zu drucken."]}[language]
    pages_text = {name: r.get_data(as_text=True) for name, r in shown.items()}
    everything = " ".join(pages_text.values())
    for sentence in expected:
        assert sentence in everything, sentence
    assert shown["empty editor"].status_code == 400
    leaks = {name: found for name, text in pages_text.items() if (found := leaks_in(text))}
    assert not leaks, "\n".join(f"{p}: {', '.join(w[:8])}" for p, w in leaks.items())


def _token(client, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_the_exports_keep_the_regulators_language(app, client, desk):
    """A French reader's PDF, CSV and JSON say what the regulator reads: English labels and values."""
    _speak(client, "fr")
    base = f"/console/ebike/recalls/{desk['active']}/reports/cpsc-15b"
    csv = client.get(f"{base}.csv").get_data(as_text=True)
    assert "Nature of the defect or risk" in csv and "Repair, Replacement, Refund" in csv
    assert "Réparation" not in csv
    data = client.get(f"{base}.json").get_json()
    assert data["title"] == "CPSC Section 15(b) report"


#: The console's recall pages (tests/i18n/test_marking.py still leaves recalls/console_ out); the regulator PDF's
#: template is an export, in the regulator's language.
CONSOLE_TEMPLATES = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "templates" / "recalls").glob("console_*.html")
                           if p.name != "console_regulator_report.html")


#: A file extension, and the values the launch buttons send (a <button>'s value is never shown).
NOT_PROSE = {".eml", '<button value="available">', '<button value="pending">'}


@pytest.mark.parametrize("name", CONSOLE_TEMPLATES)
def test_recall_console_template_has_no_unmarked_text(name):
    from tests.i18n.marking import unmarked_strings

    source = (Path(__file__).resolve().parents[2] / "templates" / "recalls" / name).read_text(encoding="utf-8")
    left = [s for s in unmarked_strings(source, html=True) if s not in NOT_PROSE]
    assert left == [], f"unmarked text in templates/recalls/{name}"
