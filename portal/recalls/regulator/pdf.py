"""A regulator report as PDF (WeasyPrint, from an autoescaped template)."""
from __future__ import annotations

from flask import render_template

from portal.recalls.regulator import Report


def render_report_pdf(report: Report) -> bytes:
    from weasyprint import HTML  # heavy: loaded when the first report is drawn

    return HTML(string=render_template("recalls/console_regulator_report.html", report=report)).write_pdf()
