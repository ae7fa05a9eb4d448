"""The message catalogs: complete in French and German, placeholders intact, and in step with the source."""
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
LANGUAGES = ("fr", "de")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def read(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


def entries(catalog):
    return {m.id: m for m in catalog if m.id}


def key(msgid) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


TEMPLATE = entries(read(TRANSLATIONS / "messages.pot"))


def test_the_template_holds_every_marked_string_of_the_source(tmp_path):
    """Marking a string without running `make extract-messages` leaves it untranslated: this notices."""
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
                                "-k", "lazy_gettext", "--no-location", "-o", str(fresh), str(ROOT)])
    extracted = {key(i) for i in entries(read(fresh))}
    assert extracted - {key(i) for i in TEMPLATE} == set(), "run `make extract-messages` and translate"
    assert len(extracted) > 400  # the check really read the source


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_has_a_translation(lang):
    catalog = entries(read(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"))
    missing = [key(i) for i in TEMPLATE if i not in catalog]
    empty = [key(i) for i, m in catalog.items()
             if i in TEMPLATE and (not all(m.string) if isinstance(m.string, tuple) else not m.string)]
    fuzzy = [key(i) for i, m in catalog.items() if m.fuzzy]
    assert (missing, empty, fuzzy) == ([], [], [])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_between_english_and_translation(lang):
    wrong = []
    for msgid, message in entries(read(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")).items():
        english = [msgid] if isinstance(msgid, str) else list(msgid)
        translated = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = sorted(PLACEHOLDER.findall(english[-1]))
        for text in translated:
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((key(msgid), text))
    assert wrong == []


def test_recall_headline_reads_as_an_official_safety_notice():
    headline = "IMPORTANT SAFETY RECALL INFORMATION"
    fr = entries(read(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"))[headline].string
    de = entries(read(TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"))[headline].string
    assert fr == "INFORMATIONS IMPORTANTES SUR UN RAPPEL DE SÉCURITÉ"
    assert de == "WICHTIGE INFORMATIONEN ZU EINEM SICHERHEITSRÜCKRUF"
