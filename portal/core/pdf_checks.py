"""What a PDF would do when opened, read with a real PDF parser (pypdf), whatever its streams' encoding.

Every object of the file is parsed with pypdf's object reader, including the objects packed into object
streams, and every stream is decoded with pypdf's filters (Flate, LZW, ASCIIHex, ASCII85, RunLength, in any
chain), so spelling a dictionary differently or hiding it in an encoded object stream changes nothing.
The document is refused when any object:

- has an action (`/A`, `/Next`) other than going to a page of the document itself (`/GoTo`) or a link
  (`/URI`) to an http, https or mailto address that a reader has to click; an `/OpenAction` may only go
  to a page (a web address, another file or a UNC path on opening is refused);
- carries additional actions (`/AA`, run on opening a page, on focus, on printing), JavaScript (`/JS`,
  a `/JavaScript` name tree), an XFA form (`/XFA`) or rich media;
- is, or names, an embedded file (`/EmbeddedFile`, `/EmbeddedFiles`, a file specification with `/EF`).

The objects are found by scanning the file for `N G obj`, not through its cross-reference table, so a
missing or lying table hides nothing. A stream that cannot be read (a damaged length, a broken filter)
makes the PDF refused as damaged: what cannot be read cannot be vouched for.
"""
from __future__ import annotations

import io
import re
from enum import Enum

from pypdf.errors import PdfReadError, PdfStreamError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NullObject, StreamObject, read_object

#: Objects found by scanning the file: "12 0 obj".
_OBJ = re.compile(rb"(?<![0-9])(\d{1,10})\s+(\d{1,5})\s+obj\b")
#: Action types that may stay: a jump inside the document, and a clicked web or mail link.
_SAFE_ACTIONS = {"/GoTo", "/URI"}
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_ACTIVE_KEYS = {"/AA", "/JS", "/JavaScript", "/XFA", "/RichMediaContent", "/RichMediaSettings"}
_EMBEDDED_KEYS = {"/EmbeddedFiles", "/EF"}
_EMBEDDED_TYPES = {"/EmbeddedFile"}
#: Decoded stream bytes a PDF may add up to before it is refused (a compression bomb in a PDF).
DECODE_BUDGET = 128 * 1024 * 1024
MAX_OBJECTS = 200_000


class Verdict(Enum):
    ACTIVE = "active"
    EMBEDDED = "embedded"
    DAMAGED = "damaged"
    TOO_DEEP = "too deep"


class _Found(Exception):
    def __init__(self, verdict: Verdict):
        self.verdict = verdict


class _Document:
    """Just enough of a reader for pypdf's object parser: resolves an indirect /Length from the raw file."""

    strict = False

    def __init__(self, data: bytes):
        self.data = data
        self.offsets = {}
        for match in _OBJ.finditer(data):
            self.offsets.setdefault(int(match.group(1)), match.end())
        self._resolving: set[int] = set()
        #: Objects found inside object streams, by number (a top-level object of that number wins).
        self.members: dict[int, object] = {}

    def get_object(self, ref):
        number = ref.idnum if isinstance(ref, IndirectObject) else int(ref)
        if number not in self.offsets and number in self.members:
            return self.members[number]
        if number not in self.offsets or number in self._resolving:
            return NullObject()
        self._resolving.add(number)
        try:
            return self.read_at(self.offsets[number])
        finally:
            self._resolving.discard(number)

    def read_at(self, offset: int, data: bytes | None = None):
        data = self.data if data is None else data
        while offset < len(data) and data[offset:offset + 1].isspace():
            offset += 1
        stream = io.BytesIO(data)
        stream.seek(offset)
        return read_object(stream, self)


def pdf_verdict(data: bytes) -> Verdict | None:
    """Why the PDF is refused, or None when nothing in it acts on its own, runs code or carries files."""
    document = _Document(data)
    if len(document.offsets) > MAX_OBJECTS:
        return Verdict.TOO_DEEP
    budget = [DECODE_BUDGET]
    try:
        objects = []
        for number, offset in list(document.offsets.items()):
            try:
                obj = document.read_at(offset)
            except (PdfReadError, PdfStreamError, ValueError, TypeError, KeyError, IndexError, RecursionError):
                if b"stream" in data[offset:offset + 4096].split(b"endobj", 1)[0]:
                    return Verdict.DAMAGED  # a stream we cannot read could hold anything
                continue
            objects.append(obj)
            if isinstance(obj, StreamObject):
                objects.extend(_unpack(obj, document, budget))  # first, so references to members resolve
        for obj in objects:
            _check(obj, document, budget, depth=0)
    except _Found as found:
        return found.verdict
    return None


def _decoded(stream: StreamObject, budget: list[int]) -> bytes:
    try:
        decoded = stream.get_data()
    except Exception:  # noqa: BLE001 - any filter failure: unreadable, so not vouched for
        raise _Found(Verdict.DAMAGED) from None
    budget[0] -= len(decoded)
    if budget[0] < 0:
        raise _Found(Verdict.TOO_DEEP)
    return decoded


def _unpack(stream: StreamObject, document: _Document, budget: list[int]) -> list:
    """Every stream decoded (whatever its filters); an object stream's members parsed and made resolvable."""
    decoded = _decoded(stream, budget)
    if str(stream.get("/Type", "")) != "/ObjStm":
        return []
    members = []
    try:
        first = int(stream.get("/First", 0))
        header = decoded[:first].split()
        for index in range(0, min(len(header), 2 * int(stream.get("/N", 0))) - 1, 2):
            member = document.read_at(first + int(header[index + 1]), decoded)
            document.members.setdefault(int(header[index]), member)
            members.append(member)
    except (PdfReadError, PdfStreamError, ValueError, TypeError, KeyError, IndexError, RecursionError):
        raise _Found(Verdict.DAMAGED) from None
    return members


def _check(obj, document: _Document, budget: list[int], depth: int) -> None:
    if depth > 64:
        raise _Found(Verdict.TOO_DEEP)
    if isinstance(obj, ArrayObject):
        for item in obj:
            _check(item, document, budget, depth + 1)
        return
    if not isinstance(obj, DictionaryObject):
        return
    keys = {str(k) for k in obj}
    if keys & _ACTIVE_KEYS:
        raise _Found(Verdict.ACTIVE)
    if keys & _EMBEDDED_KEYS or str(obj.get("/Type", "")) in _EMBEDDED_TYPES:
        raise _Found(Verdict.EMBEDDED)
    if "/OpenAction" in keys:
        opening = _resolve(obj["/OpenAction"], document)
        if isinstance(opening, DictionaryObject) and str(opening.get("/S", "")) != "/GoTo":
            raise _Found(Verdict.ACTIVE)  # on opening: a jump to a page at most, never a link
    for key in ("/A", "/Next"):  # a link's or an outline item's action, and the actions chained after one
        value = _resolve(obj.get(key), document)
        for action in value if isinstance(value, ArrayObject) else [value]:
            action = _resolve(action, document)
            # An action dictionary names its type in /S; an outline item's /Next (its next sibling) does not.
            if isinstance(action, DictionaryObject) and "/S" in action and not _safe_action(action):
                raise _Found(Verdict.ACTIVE)
    for key, value in obj.items():
        if str(key) != "/Parent":
            _check(value, document, budget, depth + 1)


def _resolve(value, document: _Document):
    return document.get_object(value) if isinstance(value, IndirectObject) else value


def _safe_action(action: DictionaryObject) -> bool:
    kind = str(action.get("/S", ""))
    if kind not in _SAFE_ACTIONS:
        return False
    if kind == "/URI":
        target = str(action.get("/URI", "")).strip().lower()
        return target.startswith(_SAFE_SCHEMES)
    return True
