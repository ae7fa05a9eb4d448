"""The return document (RMA) an owner prints and puts in the parcel: one A4 page, WeasyPrint.

Plain Jinja2 and no request, so the console and the owner's claim page serve the same bytes; it only
needs an application context (BASE_URL for the QR code's link and the database for the claim's rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.catalog.models import Manufacturer
from portal.core.i18n import current_language, user_locale
from portal.core.urls import external_url
from portal.documents.env import document_env
from portal.documents.qr import qr_svg
from portal.extensions import db
from portal.warranty import returns
from portal.warranty.forms import CATEGORY_LABELS
from portal.warranty.models import WarrantyClaim

_env = document_env()

PACKING = (
    _l("Switch the product off; take out removable batteries unless the claim is about the battery."),
    _l("Pack it in its original box or in sturdy packaging with at least 5 cm of padding on every side."),
    _l("Put this page (folded) inside the parcel; write the RMA number clearly on the outside."),
    _l("Do not include accessories, straps or cables unless the claim is about them: we cannot return them."),
    _l("Keep the carrier's receipt and tracking number until the claim is closed."),
)


@dataclass(frozen=True)
class ReturnAddress:
    """The lines printed under "Send the product to", and the country they were chosen for ("" default)."""

    lines: tuple[str, ...]
    country: str = ""


def return_address(manufacturer: Manufacturer, country: str = "") -> ReturnAddress:
    """The manufacturer's address for owners in `country`, else its default, else its returns department
    by name (a manufacturer that kept no address yet; the console asks for one)."""
    kept = returns.address_for(manufacturer.id, country)
    if kept is not None:
        return ReturnAddress(kept.lines, kept.country)
    return ReturnAddress((str(_l("Returns department, %(name)s", name=manufacturer.name)),))


def render_rma(claim: WarrantyClaim) -> bytes:
    """The PDF for an approved claim. Raises ValueError when the claim has no RMA number yet."""
    from weasyprint import HTML  # heavy import, only when a document is drawn

    if not claim.rma_number:
        raise ValueError(f"claim {claim.number} has no RMA number")
    manufacturer = db.session.get(Manufacturer, claim.manufacturer_id)
    link = external_url("warranty.claim", number=claim.number)
    with force_locale(user_locale(claim.owner)):  # the owner packs the parcel, whoever printed the page
        html = _render(claim, manufacturer, link)
    return HTML(string=html).write_pdf()  # the <title> becomes the PDF's title


def _render(claim: WarrantyClaim, manufacturer: Manufacturer, link: str) -> str:
    return _env.get_template("documents/rma.html").render(
        lang=current_language(),
        problem=str(CATEGORY_LABELS.get(claim.category, claim.category.replace("_", " ").capitalize())),
        claim=claim,
        unit=claim.unit,
        model=claim.unit.model,
        owner=claim.owner,
        manufacturer=manufacturer,
        address=return_address(manufacturer, claim.return_country),
        packing=[str(step) for step in PACKING],
        link=link,
        qr=Markup(qr_svg(link, border=0)),
        rma_qr=Markup(qr_svg(claim.rma_number, border=0)),  # the warehouse scans the parcel's slip
    )
