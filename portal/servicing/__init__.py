"""Service history: authorised service centres (staff with the service-partner role) record services, repairs,
parts replaced, polishes and batteries on a manufacturer's units; owners see them on their unit page."""
from __future__ import annotations

from flask import Flask

from portal.core.signals import files_in_use


def init_app(app: Flask) -> None:
    # Imported when wiring: `console` adds the pages to the console blueprint, which portal.console registers
    # after every area; `views` holds the owner's document download.
    from portal.servicing import console, erasure, views  # noqa: F401

    app.register_blueprint(views.bp)
    # What the owner's unit page (ownership/) shows of service history, without ownership importing servicing.
    app.add_template_global(views.owner_history, "service_history")
    files_in_use.connect(erasure.files_in_use, weak=False)
