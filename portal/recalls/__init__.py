"""Recalls: campaigns, their targeting, notices, remedies, the public lookup and feed, and reports."""
from __future__ import annotations

from flask import Flask

from portal.core.signals import account_erasing, ownership_started, units_landed
from portal.notifications.services import register_renderer
from portal.recalls.models import RemedyType


def remedy_label(value: str) -> str:
    """"repair" -> "Repair" in the reader's language (an empty or unknown value stays as it is)."""
    return RemedyType(value).label if value in {r.value for r in RemedyType} else value


def init_app(app: Flask) -> None:
    # Imported when wiring: the pages import most areas. `console` adds the recall pages to the console
    # blueprint, which portal.console registers after every area; `erasure` answers an account's erasure.
    from portal.recalls import (  # noqa: F401
        console,
        console_labels,
        console_reports,
        erasure,
        hooks,
        notices,
        notices_batch,
        services,
        views,
    )

    account_erasing.connect(erasure.erase, weak=False)

    app.register_blueprint(views.bp)
    # What the owner's pages (ownership/) show of recalls, without ownership importing recalls.
    app.add_template_global(services.recalls_for_unit, "unit_recalls")
    app.add_template_global(services.open_recalls_for_units, "open_recalls_among")
    app.jinja_env.filters["remedy_label"] = remedy_label
    # The recall console's words for stored codes and the regulator reports' labels.
    for helper in (console_labels.severity_label, console_labels.notice_kind, console_labels.delivery_label,
                   console_labels.report_text):
        app.add_template_global(helper)
    units_landed.connect(hooks.units_landed, weak=False)
    ownership_started.connect(hooks.ownership_started, weak=False)
    register_renderer("recall_notice", notices.render_recall_notice, batch=notices_batch.render_recall_notices)
