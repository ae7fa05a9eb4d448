"""Uploaded files: checked by their content, cleaned, stored outside the web root under a random key.

Images are re-encoded from their pixels alone, which drops EXIF, GPS and anything appended to them."""
from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, send_file
from flask_babel import gettext
from PIL import Image, ImageOps
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.core.errors import Invalid
from portal.core.extensions import db
from portal.core.upload_checks import IMAGE_TYPES, inspect_image, inspect_pdf, pixel_limit, too_many_pixels

__all__ = ["IMAGE_TYPES", "StoredFile", "open_stored", "store_image", "store_proof"]


@dataclass
class StoredFile:
    key: str
    mime: str
    name: str
    size: int


def store_proof(data: bytes, filename: str) -> StoredFile:
    """Accept a PDF or a JPEG/PNG/WebP photo. Photos are re-encoded, which drops EXIF and location data.

    A PDF is stored as sent, so it must be a plain document: no scripts or actions that run when opened."""
    _check_size(data, "proof")
    if data.startswith(b"%PDF-"):
        inspect_pdf(data, field="proof")
        mime, ext, payload = "application/pdf", "pdf", data
    else:
        mime, ext, payload = _clean_image(data, field="proof")
    return _write(payload, mime, ext, filename or "proof")


def store_image(data: bytes, filename: str, *, field: str = "image") -> StoredFile:
    """Accept a JPEG/PNG/WebP picture (a product photo), re-encoded without metadata."""
    _check_size(data, field)
    mime, ext, payload = _clean_image(data, field=field, message=gettext("Upload a JPEG, PNG or WebP picture."))
    return _write(payload, mime, ext, filename or "image")


def _check_size(data: bytes, field: str) -> None:
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data:
        raise Invalid(gettext("The file is empty."), field=field)
    if len(data) > limit:
        raise Invalid(gettext("The file is larger than %(size)d MB.", size=limit // (1024 * 1024)), field=field)


def _write(payload: bytes, mime: str, ext: str, filename: str) -> StoredFile:
    key = f"{secrets.token_hex(16)}.{ext}"
    new_stored(key).write_bytes(payload)
    # An upload belongs to the transaction that records it: if that transaction rolls back (a refused
    # registration, claim or report), the file goes with it, so refusals leave nothing on disk.
    db.session().info.setdefault(_PENDING_FILES, []).append(key)
    safe_name = "".join(c for c in Path(filename).name if c.isalnum() or c in "._- ")[:120] or "file"
    return StoredFile(key=key, mime=mime, name=safe_name, size=len(payload))


def _clean_image(data: bytes, *, field: str, message: str | None = None) -> tuple[str, str, bytes]:
    message = message or gettext("Upload a photo (JPEG, PNG or WebP) or a PDF of your receipt.")
    kind = inspect_image(data, message=message, field=field)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _reencode(data, kind)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Invalid(str(too_many_pixels(pixel_limit())), field=field) from None
        except (OSError, SyntaxError, ValueError):
            raise Invalid(message, field=field) from None


def _reencode(data: bytes, kind: str) -> tuple[str, str, bytes]:
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
        if image.mode not in ("RGB", "RGBA", "L"):
            image = image.convert("RGB" if kind == "JPEG" else "RGBA")
        # A fresh image made from the pixels alone carries no EXIF, GPS or other metadata. Pasting copies the
        # pixels straight across (no intermediate bytes object), so at most two copies of a picture are in memory.
        clean = Image.new(image.mode, image.size)
        clean.paste(image)
    mime, ext = IMAGE_TYPES[kind]
    out = io.BytesIO()
    clean.save(out, format=kind)
    return mime, ext, out.getvalue()


# Every upload and every file the portal makes (proofs, photos, pictures, CSV imports and their error
# reports, label sheets) is named by a key and found through these four functions, and nothing else in
# the portal knows where files live. They live in UPLOAD_FOLDER: with several machines, a shared volume
# mounted at the same path on each (docs/deploy.md). Another store (an S3-compatible one) replaces these
# functions, not their callers.

def _stored_path(key: str) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / Path(key).name  # a key never leaves the folder


def new_stored(key: str) -> Path:
    """Where to write a new file under `key` (the folder is made on first use)."""
    path = _stored_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def open_stored(key: str) -> Path:
    """An existing file; FileNotFoundError when it is gone."""
    path = _stored_path(key)
    if not path.is_file():
        raise FileNotFoundError(key)
    return path


def stored_or_404(key: str | None) -> Path:
    """The stored file's path, or a 404 when there is no key or the file is gone."""
    if not key:
        abort(404)
    try:
        return open_stored(key)
    except FileNotFoundError:
        abort(404)


def send_private(key: str | None, mime: str, name: str):
    """One person's stored document (a receipt, a service report) as a download: 404 when there is none or it
    is gone, a PDF as an attachment, never kept by a shared cache."""
    response = send_file(stored_or_404(key), mimetype=mime, download_name=name, as_attachment=mime == "application/pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


_PENDING_FILES = "portal.storage.pending_files"


@event.listens_for(Session, "after_commit")
def _keep_uploads(session: Session) -> None:
    session.info.pop(_PENDING_FILES, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_uploads(session: Session, previous_transaction) -> None:
    if previous_transaction.nested or previous_transaction.parent is not None:
        return  # a savepoint rolled back; the request's own transaction may still commit the file
    for key in session.info.pop(_PENDING_FILES, []):
        try:
            remove_stored(key)
        except (OSError, RuntimeError):  # no app context, or the disk said no: a stray file, never an error
            pass


def remove_stored(key: str) -> bool:
    """Delete a file (and the thumbnail made of it) if it is there; says whether it was."""
    _stored_path(_thumbnail_key(key)).unlink(missing_ok=True)
    path = _stored_path(key)
    if not path.is_file():
        return False
    path.unlink()
    return True


def _thumbnail_key(key: str) -> str:
    return f"{Path(key).stem}.thumb.jpg"


def thumbnail_of(key: str, edge: int) -> Path:
    """A JPEG of the stored picture `key` at most `edge` pixels on its longer side, made once and kept.

    The first request decodes the picture (a JPEG at a reduced scale straight from the file, which is far
    cheaper than the full image); every later one is a file read. FileNotFoundError when `key` is gone."""
    thumb = _stored_path(_thumbnail_key(key))
    if thumb.is_file():
        return thumb
    source = open_stored(key)
    with Image.open(source) as image:
        image.draft("RGB", (edge, edge))  # JPEG only: decode at 1/2, 1/4 or 1/8 scale when that is enough
        image = ImageOps.exif_transpose(image)
        image.thumbnail((edge, edge))
        if image.mode != "RGB":
            background = Image.new("RGB", image.size, "white")
            background.paste(image, mask=image.getchannel("A") if "A" in image.getbands() else None)
            image = background
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=82)
    partial = thumb.with_name(f"{thumb.name}.{secrets.token_hex(4)}.part")
    partial.write_bytes(out.getvalue())
    partial.replace(thumb)  # two requests at once both write; each replace is whole
    return thumb
