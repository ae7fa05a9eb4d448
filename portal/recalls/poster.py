"""The shop poster of a campaign (GPSR Art. 35(4)): one A4 page, the notice and a QR code to its public page."""
from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from portal.core.storage import open_stored
from portal.documents.qr import qr_svg
from portal.recalls.models import RecallCampaign
from portal.recalls.notice_rules import build_notice
from portal.recalls.notices import public_link


def render_poster(campaign: RecallCampaign) -> bytes:
    from weasyprint import HTML  # heavy: loaded when the first poster is drawn

    link = public_link(campaign)
    pictures = {}
    for which, key in (("product", build_notice(campaign).picture), ("identifiers", campaign.identifier_image)):
        try:
            pictures[which] = open_stored(key).as_uri() if key else ""
        except FileNotFoundError:
            pictures[which] = ""
    html = render_template("recalls/poster.html", campaign=campaign, doc=build_notice(campaign), link=link,
                           qr=Markup(qr_svg(link, border=0)), pictures=pictures)
    return HTML(string=html, base_url=link).write_pdf()
