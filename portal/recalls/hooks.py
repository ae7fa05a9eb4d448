"""Late joiners: units imported, assembled or registered after a launch join their campaigns at once."""
from portal.core.signals import ownership_started, units_landed


@units_landed.connect
def _units_landed(tenant_id: int, unit_ids=None, **_) -> None:
    from portal.recalls.services import join_active_campaigns

    join_active_campaigns(tenant_id, unit_ids)


@ownership_started.connect
def _ownership_started(ownership, **_) -> None:
    from portal.recalls.services import join_active_campaigns

    join_active_campaigns(ownership.unit.manufacturer_id, [ownership.unit_id], owner_ids=[ownership.owner_id])
