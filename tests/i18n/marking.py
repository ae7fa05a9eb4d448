"""Find human text in a Jinja template that is not wrapped in `_()`: what a translator would never see.

Jinja comments, statements and expressions are cut out first (a marked string lives inside `{{ _("...") }}`),
then the HTML is parsed: text nodes and the attributes people read (placeholder, aria-label, title, alt,
a button's value) must have no letters left. Plain-text templates (mail) are all text.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

#: Words that are the same in every language: the brand, and standard names of things.
ALLOWED_WORDS = {"Provenance", "GTIN", "RMA", "UTC", "PDF", "JPEG", "PNG", "WebP", "QR", "GS1", "Atom", "JSON"}
READ_ATTRIBUTES = {"placeholder", "aria-label", "title", "alt", "aria-description"}

_JINJA = re.compile(r"\{\{.*?\}\}", re.DOTALL)
#: Comments and statements print nothing: a space, so one inside a tag (`<li{% if x %} class="a"{% endif %}>`)
#: leaves the tag whole.
_SILENT = re.compile(r"\{#.*?#\}|\{%.*?%\}", re.DOTALL)
_HIDDEN = re.compile(r"<(style|script)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


#: A file extension (".eml") or a two-letter code (a country's "FR") is the same in every language.
_CODE = re.compile(r"\.[a-z0-9]{2,4}|[A-Z]{2}")


def _is_word(word: str) -> bool:
    if not _LETTER.search(word) or word.startswith("/") or "://" in word:  # paths and addresses are not prose
        return False
    if _CODE.fullmatch(word):
        return False
    return word.strip(".,:;·()[]!?\"'") not in ALLOWED_WORDS


def _leftover(text: str) -> str:
    """The words in `text` that are neither Jinja nor allowed; empty when nothing needs translating."""
    return " ".join(w for w in re.split(r"[\s\x00]+", text) if w and _is_word(w))


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: Elements whose text nobody reads as prose: a feed's identifiers and timestamps.
MACHINE_TEXT = {"id", "updated"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.quiet: list[str] = []  # open elements whose text is hidden from readers (aria-hidden, machine text)

    def handle_endtag(self, tag):
        if self.quiet and self.quiet[-1] == tag:
            self.quiet.pop()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID and (attrs.get("aria-hidden") == "true" or tag in MACHINE_TEXT or self.quiet):
            self.quiet.append(tag)
        for name, value in attrs.items():
            read = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and attrs.get("type") in ("submit", "button", "reset"))  # a <button> shows its content
            is_address = (value or "").lstrip("\x00").startswith(("http://", "https://"))
            if read and value and not is_address and (left := _leftover(value)):
                self.found.append(f'<{tag} {name}="{left}">')

    def handle_data(self, data):
        if self.quiet:
            return
        if left := _leftover(data):
            self.found.append(left)


def unmarked_strings(source: str, *, html: bool = True) -> list[str]:
    """Every piece of human text in the template `source` that is not marked for translation."""
    # A block that fills a class attribute (main_class) holds class names, not words.
    bare = re.sub(r"\{%-?\s*block\s+main_class\s*-?%\}.*?\{%-?\s*endblock\s*-?%\}", "", source, flags=re.DOTALL)
    bare = _JINJA.sub("\x00", _SILENT.sub(" ", bare))
    if not html:
        return [left for line in bare.splitlines() if (left := _leftover(line))]
    bare = _HIDDEN.sub("", bare)
    bare = re.sub(r"<\?xml.*?\?>|<!doctype[^>]*>", "", bare, flags=re.IGNORECASE)
    collector = _Collector()
    collector.feed(bare)
    collector.close()
    return collector.found
