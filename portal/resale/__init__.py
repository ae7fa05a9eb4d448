"""Resale: ownership proofs for listings, their live status and verifiable credential, and the transfer at the
moment of sale through ownership's transfer codes (docs/resale.md)."""
from __future__ import annotations

from flask import Flask

from portal.core.signals import account_erasing, keys_published, ownership_started, unit_reported_stolen


def init_app(app: Flask) -> None:
    # Imported when wiring: the pages import most areas. `services` answers a stolen report and a transfer
    # (every proof of the unit ends), `erasure` an account's erasure (its proofs end), and `keys` adds the
    # platform key to the JWK set and the DID document.
    from portal.resale import erasure, keys, marketplace_wiring, queries, services, views

    app.register_blueprint(views.bp)
    # Marketplace clients, their webhooks through the outbox and their commands (resale/marketplace*.py).
    marketplace_wiring.init_app(app)
    unit_reported_stolen.connect(services.unit_reported_stolen, weak=False)
    ownership_started.connect(services.ownership_started, weak=False)
    account_erasing.connect(erasure.erase, weak=False)
    keys_published.connect(keys.publish, weak=False)
    # The owner's unit page (ownership/) shows the unit's proofs without ownership importing this area.
    app.add_template_global(queries.proofs_of, "resale_proofs")
