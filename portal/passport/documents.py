"""The passport as a PDF: the same rows as the page, through the serializer, drawn by WeasyPrint."""
from __future__ import annotations

from flask import current_app
from weasyprint import HTML

from portal.documents.env import document_env
from portal.passport import serializer
from portal.passport.fields import Tier
from portal.passport.queries import Passport


def passport_pdf(passport: Passport, tier: Tier) -> bytes:
    html = document_env().get_template("passport/pdf.html").render(
        passport=passport, tier=tier, rows=serializer.rows(passport, tier), titles=serializer.ASPECT_TITLES,
        url=current_app.config["BASE_URL"].rstrip("/") + "/passport" + passport.path)
    return HTML(string=html).write_pdf()
