"""The French and German pages need compiled catalogs; `make test` builds them, a bare pytest run gets them here."""
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "portal" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            tmp = mo.with_suffix(".mo.tmp")  # another test worker may compile at the same moment
            with tmp.open("wb") as out:
                write_mo(out, catalog)
            tmp.replace(mo)
