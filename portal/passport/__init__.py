"""Digital product passports: the EU battery passport and the ESPR base, with access tiers (docs/passport.md)."""
from __future__ import annotations

from flask import Flask

from portal.core.signals import events_landed


def init_app(app: Flask) -> None:
    # Imported when wiring: the pages import most areas. `console` adds the passport pages to the console
    # blueprint, `api` its endpoints to the API blueprint, `cli` its commands.
    from portal.passport import admin, api, cli, console, labels, queries, sensors, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.cli.add_command(cli.passport_cli)
    events_landed.connect(sensors.events_landed, weak=False)
    # The verdict page links a unit's passport without importing this area (templates/authenticity/verdict.html).
    app.add_template_global(queries.passport_path, "passport_path")
    # The words the passport pages show for stored codes (a role, a tier, a lifecycle reason) and unit words.
    app.add_template_global(labels.term, "passport_term")
    app.add_template_global(labels.shown_unit, "passport_unit")
