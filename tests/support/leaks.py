"""Finding English left in a French or German page: the words a reader sees or hears (text outside script and
style, and the names assistive technology reads: aria-label, alt, placeholder, title, an input button's value)
searched for words that are English and neither French nor German. Used by tests/i18n/test_language_leak*.py."""
from __future__ import annotations

import re
from html.parser import HTMLParser

#: Words that are English and neither French nor German (so "on", "an", "was", "will", "also" are not here).
ENGLISH = frozenset("""
the and your you with this that from have been were what which when where who there their our these those
its they has had does did yet more most some such only other about after before over under between each every
same own both few many much very just again once here how why because while until without within upon among
sign save send add remove read new open closed back next show filed covered warranty claim claims units models
overview keys labels recalls disputes history owner made bought none uploaded contains receipt
yours since selling found stolen lost report transfer cancel create products product check register
mine nothing yet please account language skip content sign out serial number purchase shop
month months days working matching oldest first target answer approved rejected submitted review state all
waiting desk filter filters apply reset search picture upload units imported shipped sold returned damaged
destroyed recalled manufactured commissioning shipping receiving retail selling inspecting repairing
should would could must can't don't isn't won't it's you're we're here's there's let's
""".split())  # noqa: SIM905 - a word list reads best as text
#: Data shown as entered, brand and product names, identifiers and units of the demo world.
ALLOWED = frozenset("""
provenance acme watches one bravo bikes cargo olivia otto gtin rma pdf csv json api url epcis qr nfc
boutique ltd gmbh
""".split())  # noqa: SIM905 - a word list reads best as text
#: People and addresses of the test world, shown as typed.
DATA = ("Olivia Owner", "Otto Other")
EMAIL = re.compile(r"\S+@\S+")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # whole words, accented letters included (signées, not sign)
NAMED = ("aria-label", "alt", "placeholder", "title")
RUN = re.compile(r"\S+")


def without_emails(text: str) -> str:
    """`EMAIL.sub("", text)` in linear time. EMAIL matches a whole run of non-space characters whenever the run
    holds an "@" that is neither its first nor its last character, and nothing else; but searching a long run
    with no "@" (a signed JSON download is one run of 100 kB) tries every start and costs seconds per page."""
    return RUN.sub(lambda run: "" if "@" in run[0][1:-1] else run[0], text)


class Visible(HTMLParser):
    """The text a reader sees or hears: text outside script/style/template, and the naming attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "svg", "code"):  # code: identifiers (audit actions, EPCIS steps)
            self.hidden += 1
        for name, value in attrs:
            if name in NAMED and value:
                self.parts.append(value)
        if tag == "input" and dict(attrs).get("type") in ("submit", "button") and dict(attrs).get("value"):
            self.parts.append(dict(attrs)["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "svg", "code") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def english_in(html: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    parser = Visible()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for name in DATA:
            part = part.replace(name, "")
        for word in WORD.findall(without_emails(part)):
            w = word.lower().strip("'’")
            if w in ENGLISH and w not in ALLOWED and w not in allowed:
                found.append(f"{word!r} in {' '.join(part.split())[:90]!r}")
    return found
