"""PDF proofs of purchase are inert: every action, script, attached file or XFA form is refused, whatever the
encoding of the stream that hides it (ASCIIHex, ASCII85, Flate, object streams). Every PDF is made here."""
from __future__ import annotations

import base64
import io
import zlib

import pytest
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from portal.core.pdf_checks import Verdict, pdf_verdict
from tests.factories import build_world
from tests.support.uploads import Point, pdf, proof_point

JS = b"<< /S /JavaScript /JS (app.alert(1)) >>"
ENCODINGS = {
    "ASCIIHex": (b"/ASCIIHexDecode", lambda raw: raw.hex().encode() + b">"),
    "ASCII85": (b"/ASCII85Decode", lambda raw: base64.a85encode(raw) + b"~>"),
    "Flate": (b"/FlateDecode", zlib.compress),
    "ASCII85 over Flate": (b"[/ASCII85Decode /FlateDecode]", lambda raw: base64.a85encode(zlib.compress(raw)) + b"~>"),
}


def object_stream_pdf(encoding: str, member: bytes = JS, *, indirect_length: bool = True,
                      catalog: bytes = b"<< /Type /Catalog /OpenAction 5 0 R >>") -> bytes:
    """The catalog opens with object 5, which lives only inside an encoded object stream (object 2) whose
    length is object 3; no cross-reference table says where anything is."""
    name, encode = ENCODINGS[encoding]
    inner = b"5 0 " + member
    packed = encode(inner)
    length = b"3 0 R" if indirect_length else b"%d" % len(packed)
    stream = (b"<< /Type /ObjStm /N 1 /First 4 /Filter " + name + b" /Length " + length + b" >>\nstream\n" + packed
              + b"\nendstream")
    return pdf(catalog, stream, b"%d" % len(packed))


def real_pdf(change=None) -> bytes:
    """A well-formed one-page PDF written by pypdf (cross-reference table and all), changed by `change`."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if change:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _link(writer: PdfWriter, uri: str) -> None:
    action = DictionaryObject({NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject(uri)})
    link = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
                             NameObject("/Rect"): ArrayObject([]), NameObject("/A"): action})
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])


def _page_aa(writer: PdfWriter) -> None:
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): DictionaryObject({
        NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})})


def _document_js(writer: PdfWriter) -> None:
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): DictionaryObject({
        NameObject("/Names"): ArrayObject([TextStringObject("start"), writer._add_object(action)])})})


def _xfa(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): ArrayObject([]), NameObject("/XFA"): TextStringObject("<xdp:xdp/>")})


HOSTILE = {
    **{f"JavaScript in an object stream, {e}": object_stream_pdf(e) for e in ENCODINGS},
    "OpenAction URI": pdf(b"<< /Type /Catalog /OpenAction << /S /URI /URI (https://evil.example/) >> >>"),
    "OpenAction GoToR to a UNC path": pdf(b"<< /Type /Catalog /OpenAction << /S /GoToR /F (\\\\\\\\evil\\\\share\\\\x.pdf)"
                                          b" /D [0 /Fit] >> >>"),
    "OpenAction URI in an ASCIIHex object stream": object_stream_pdf(
        "ASCIIHex", b"<< /S /URI /URI (file:///C:/Windows/System32/calc.exe) >>"),
    "page additional action": real_pdf(_page_aa),
    "link to a file": real_pdf(lambda w: _link(w, "file:///etc/passwd")),
    "document-level JavaScript": real_pdf(_document_js),
    "XFA form": real_pdf(_xfa),
}
EMBEDDED = {
    "attachment": real_pdf(lambda w: w.add_attachment("invoice.xml", b"<Invoice/>")),
    "e-invoice": pdf(b"<< /Type /Catalog /Names << /EmbeddedFiles << /Names [(factur-x.xml) 2 0 R] >> >> >>",
                     b"<< /Type /Filespec /F (factur-x.xml) /EF << /F 3 0 R >> /AFRelationship /Data >>",
                     b"<< /Type /EmbeddedFile /Length 9 >>\nstream\n<Invoice>\nendstream"),
}
PLAIN = {
    "written by pypdf": real_pdf(),
    "with bookmarks (outline items chain by /Next)": real_pdf(lambda w: [w.add_outline_item(t, 0) for t in "ABC"]),
    "with a web link": real_pdf(lambda w: _link(w, "https://shop.example/orders/42")),
    "opening on its first page": pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>",
                                     b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"),
    "an ASCII85 object stream of plain objects": object_stream_pdf(
        "ASCII85 over Flate", b"<< /Type /Pages /Kids [] /Count 0 >>", catalog=b"<< /Type /Catalog /Pages 5 0 R >>"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_active_pdfs_are_refused_at_the_proof_upload(app, client, name):
    point = Point(client, app, proof_point(app, client, build_world(app)))
    before = point.stored()
    response = point.send(HOSTILE[name], "invoice.pdf")
    assert response.status_code == 422, name
    assert "scripts or actions that run when it is opened" in response.get_data(as_text=True)
    assert point.stored() == before


@pytest.mark.parametrize("name", list(EMBEDDED))
def test_pdfs_carrying_files_are_refused(app, client, name):
    point = Point(client, app, proof_point(app, client, build_world(app)))
    before = point.stored()
    response = point.send(EMBEDDED[name], "invoice.pdf")
    assert response.status_code == 422 and "attached files" in response.get_data(as_text=True)
    assert point.stored() == before


@pytest.mark.parametrize("name", list(PLAIN))
def test_plain_pdfs_are_accepted(app, client, name):
    point = Point(client, app, proof_point(app, client, build_world(app)))
    assert point.send(PLAIN[name], "invoice.pdf").status_code == 302, name


def test_a_stream_that_cannot_be_read_is_not_vouched_for():
    broken = pdf(b"<< /Type /Catalog >>", b"<< /Filter /ASCII85Decode /Length 5 >>\nstream\n\x00\x01\x02{{\nendstream")
    assert pdf_verdict(broken) is Verdict.DAMAGED


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_the_parser_check_alone_sees_through_every_encoding(encoding):
    assert pdf_verdict(object_stream_pdf(encoding)) is Verdict.ACTIVE
    assert pdf_verdict(object_stream_pdf(encoding, indirect_length=False)) is Verdict.ACTIVE
