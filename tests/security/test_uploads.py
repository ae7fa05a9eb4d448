"""Hostile uploads at every upload point: each is refused with a clear message and nothing is stored.

Every hostile file is made here, in the test: decompression bombs, polyglots (JPEG+ZIP, JPEG+PDF,
PDF+ZIP, PNG carrying HTML), an HTML page named .jpg, SVG with a script, PDFs with JavaScript (plain,
with #xx-escaped names, and hidden in a compressed object stream) or launch actions, bodies over the
size limit, and files named .csv that are not text.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from portal.catalog.models import Unit
from portal.extensions import db
from tests.factories import build_world
from tests.support.api import make_token
from tests.support.uploads import (
    Point,
    claim_point,
    import_point,
    model_point,
    pdf,
    proof_point,
    report_point,
)

# --- hostile files ------------------------------------------------------------------------------------

def jpeg(size=(48, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width=60_000, height=60_000) -> bytes:
    """A few hundred bytes claiming 3.6 billion pixels: only the header is real."""
    rows = zlib.compress(b"\x00" * (1 + width // 8), 9)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b""))


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


def pdf_with_hidden_js() -> bytes:
    """The /JS lives inside a Flate-compressed object stream, invisible to a scan of the raw bytes."""
    inner = b"2 0 << /S /JavaScript /JS (app.alert(1)) >>"
    packed = zlib.compress(inner)
    stream = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
    return pdf(b"<< /Type /Catalog /OpenAction 2 0 R >>", stream + packed + b"\nendstream")


def png_with_html() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<html><body><script>alert(document.cookie)</script></body></html>")
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script><rect width="10" height="10"/></svg>')
HTML = b"<!DOCTYPE html><html><body><script>fetch('/my/account/export.zip')</script></body></html>"

HOSTILE_IMAGES = {
    "bomb": (png_bomb(), "bomb.png", "million pixels"),
    "jpeg+zip": (jpeg() + zip_bytes(), "holiday.jpg", "ZIP archive"),
    "jpeg+pdf": (jpeg() + pdf(), "holiday.jpg", "PDF document"),
    "png+html": (png_with_html(), "pixel.png", "web page code"),
    "html named .jpg": (HTML, "photo.jpg", "JPEG, PNG"),
    "svg with script": (SVG, "logo.svg", "SVG pictures are not accepted"),
}


# --- upload points (each sends a file where the portal takes one: tests/support/uploads.py) -----------

@pytest.fixture
def world(app):
    return build_world(app)


IMAGE_POINTS = {"proof": proof_point, "claim photo": claim_point, "model picture": model_point,
                "counterfeit photo": report_point}
ALL_POINTS = {**IMAGE_POINTS, "csv import": import_point}


@pytest.fixture(params=list(IMAGE_POINTS))
def image_point(request, app, client, world) -> Point:
    return Point(client, app, IMAGE_POINTS[request.param](app, client, world))


# --- tests --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hostile", list(HOSTILE_IMAGES))
def test_hostile_pictures_are_refused_with_a_reason_at_every_image_upload(image_point, hostile):
    data, name, reason = HOSTILE_IMAGES[hostile]
    before = image_point.stored()

    response = image_point.send(data, name)

    assert 400 <= response.status_code < 500
    assert reason in response.get_data(as_text=True)
    assert image_point.stored() == before


def test_a_plain_photo_still_passes_every_image_upload(image_point):
    before = image_point.stored()
    response = image_point.send(jpeg(), "fine.jpg")
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    assert image_point.stored() != before


def test_the_pixel_limit_comes_from_the_settings(app, client, world):
    point = Point(client, app, proof_point(app, client, world))
    app.config["MAX_IMAGE_PIXELS"] = 1000
    try:
        response = point.send(jpeg((40, 40)), "receipt.jpg")  # 1,600 pixels: a "bomb" under this limit
    finally:
        app.config["MAX_IMAGE_PIXELS"] = 24_000_000
    assert response.status_code == 422 and "0.001 million pixels" in response.get_data(as_text=True)


HOSTILE_PDFS = {
    "javascript": pdf(b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"),
    "escaped name": pdf(b"<< /Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >>"),
    "hidden in object stream": pdf_with_hidden_js(),
    "launch action": pdf(b"<< /Type /Catalog /OpenAction << /S /Launch /F (cmd.exe) >> >>"),
    "opens an embedded file": pdf(b"<< /Type /Catalog /OpenAction << /S /GoToE /T << /R /C /N (x.pdf) >> >> >>"),
}


@pytest.mark.parametrize("hostile", list(HOSTILE_PDFS))
def test_pdf_proofs_with_scripts_or_actions_are_refused(app, client, world, hostile):
    point = Point(client, app, proof_point(app, client, world))
    before = point.stored()
    response = point.send(HOSTILE_PDFS[hostile], "invoice.pdf")
    assert response.status_code == 422
    assert "scripts or actions that run when it is opened" in response.get_data(as_text=True)
    assert point.stored() == before


def test_a_pdf_that_is_also_a_zip_is_refused(app, client, world):
    point = Point(client, app, proof_point(app, client, world))
    before = point.stored()
    response = point.send(pdf() + zip_bytes(), "invoice.pdf")
    assert response.status_code == 422 and "ZIP archive" in response.get_data(as_text=True)
    assert point.stored() == before


@pytest.mark.parametrize("document", [
    pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"),
    # An e-invoice carrying its XML as an embedded file is refused since issue 19 (test_pdf_proofs.py).
], ids=["plain"])
def test_a_plain_pdf_proof_is_accepted(app, client, world, document):
    point = Point(client, app, proof_point(app, client, world))
    assert point.send(document, "invoice.pdf").status_code == 302


CSV_HEADER = b"gtin,serial,lot,manufactured_on,parent_gtin,parent_serial,nfc_uid\n"
HOSTILE_CSVS = {
    "zip named .csv": (zip_bytes(), "not a CSV file"),
    "pdf named .csv": (pdf(), "not a CSV file"),
    "html named .csv": (HTML, "not a CSV file"),
    "header then binary": (CSV_HEADER + b"40123450000014,A1\n" + zlib.compress(b"x" * 5000), "binary data"),
    "header then not utf-8": (CSV_HEADER + b"40123450000014,caf\xe9\n", "not UTF-8"),
}


@pytest.mark.parametrize("hostile", list(HOSTILE_CSVS))
def test_csv_imports_refuse_files_that_are_not_text(app, client, world, hostile):
    point = Point(client, app, import_point(app, client, world))
    data, reason = HOSTILE_CSVS[hostile]
    before = point.stored()
    response = point.send(data, "units.csv")
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert point.stored() == before


@pytest.mark.parametrize("name", list(ALL_POINTS))
def test_bodies_over_the_limit_get_413_with_the_friendly_message(app, client, world, name):
    point = Point(client, app, ALL_POINTS[name](app, client, world))
    before = point.stored()
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    try:
        response = point.send(b"\xff\xd8\xff" + b"\x00" * (300 * 1024), "big.jpg")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    assert response.status_code == 413
    assert "That file is too large" in response.get_data(as_text=True)
    assert point.stored() == before


def test_api_bodies_over_the_limit_get_a_413_problem(app, client, world):
    token = make_token(app, world)
    before = app.config.get("API_MAX_BODY_BYTES")
    app.config["API_MAX_BODY_BYTES"] = 16 * 1024  # the API's own, smaller body limit
    try:
        units = [{"gtin": world.gtin_a, "serial": f"SERIAL-{i:05d}"} for i in range(900)]
        response = client.post("/api/v1/units", json={"units": units}, headers={"Authorization": f"Bearer {token}"})
    finally:
        if before is None:
            app.config.pop("API_MAX_BODY_BYTES")
        else:
            app.config["API_MAX_BODY_BYTES"] = before
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json" and response.get_json()["status"] == 413
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 4  # the world's units only
