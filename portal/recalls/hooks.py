"""Late joiners: units imported, assembled or registered after a launch join their campaigns at once.

Receivers of portal.core.signals, connected by portal.recalls.init_app."""
from portal.recalls.services import join_active_campaigns


def units_landed(tenant_id: int, unit_ids=None, **_) -> None:
    join_active_campaigns(tenant_id, unit_ids)


def ownership_started(ownership, **_) -> None:
    join_active_campaigns(ownership.unit.manufacturer_id, [ownership.unit_id], owner_ids=[ownership.owner_id])
