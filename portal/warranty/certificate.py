"""The owner's warranty certificate: one A4 page with the unit, the owner, the terms in plain words and a QR code.

No request objects: it needs only an application context (BASE_URL, the warranty time zone, the database),
so a view, a mail job or the CLI can all render it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from weasyprint import HTML

from portal.core.db import utcnow
from portal.core.gs1 import DigitalLink, format_digital_link
from portal.core.i18n import current_language, long_date, user_locale
from portal.documents.env import TEMPLATES, document_env
from portal.documents.qr import qr_svg
from portal.ownership.models import Ownership
from portal.warranty.coverage import SCOPE_WORDS, Window, and_list, coverage, local_date, terms_for

_env = document_env()


def scope_words(scopes: tuple[str, ...] | list[str]) -> str:
    words = [SCOPE_WORDS.get(s, s) for s in scopes]
    return and_list(words) if words else _("nothing")


@dataclass(frozen=True)
class Term:
    """One window of cover as the certificate prints it."""

    label: str
    start: str
    end: str
    scope: str


def _term(window: Window) -> Term:
    label = window.label[:1].upper() + window.label[1:]
    return Term(label=label, start=long_date(window.start), end=long_date(window.end),
                scope=scope_words(window.scopes).capitalize())


def verdict_uri(gtin: str, serial: str) -> str:
    """The unit's public page as a GS1 Digital Link URI on this portal (what the QR code opens)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return format_digital_link(DigitalLink(gtin, serial=serial), base=base)


def certificate_context(ownership: Ownership, *, on: date | None = None) -> dict:
    """Everything the template prints, worked out here so the template only lays it out."""
    unit, model = ownership.unit, ownership.unit.model
    now = utcnow()
    issued = on or local_date(now)
    cover = coverage(unit, on or now)
    terms = terms_for(model)
    uri = verdict_uri(model.gtin, unit.serial)
    return {
        "unit": unit,
        "model": model,
        "manufacturer": model.manufacturer,
        "owner_name": ownership.owner.display_name,
        "purchased_on": long_date(ownership.purchased_on),
        "retailer": ownership.retailer,
        "has_receipt": bool(ownership.proof_key),
        "owner_since": long_date(local_date(ownership.since)),
        "manufactured_on": long_date(unit.manufactured_on),
        "cover": cover,
        "status": cover.words,
        "terms": [_term(w) for w in sorted(cover.windows, key=lambda w: (w.start, w.end))],
        "transfers": (_("The warranty passes to the next owner when the unit is transferred through Provenance.")
                      if terms.survives_transfer else _("The warranty ends when the unit changes owner.")),
        "issued": long_date(issued),
        "uri": uri,
        "qr": Markup(qr_svg(uri, border=0)),
        "lang": current_language(),
    }


def render_certificate(ownership: Ownership, *, on: date | None = None) -> bytes:
    """PDF bytes of the certificate for `ownership` as of `on` (default: today in the warranty time zone).

    Written in the owner's language, whoever asks for it (the owner, or an agent printing it for them).
    """
    with force_locale(user_locale(ownership.owner)):
        context = certificate_context(ownership, on=on)
        html = _env.get_template("documents/certificate.html").render(**context)
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()  # <title> becomes the PDF title
