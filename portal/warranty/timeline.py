"""A claim's story as its owner reads it: the timeline of states, messages and photos, oldest first."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal.warranty import queries
from portal.warranty.models import ClaimEntry, ClaimState, WarrantyClaim


@dataclass
class TimelineItem:
    at: datetime
    who: str
    title: str
    body: str = ""
    kind: str = "state"  # state / message / photo
    role: str = "owner"
    photos: list[ClaimEntry] = field(default_factory=list)


TITLES = {
    ClaimState.SUBMITTED: _l("Claim filed"),
    ClaimState.IN_REVIEW: _l("In review"),
    ClaimState.INFO_REQUESTED: _l("More information requested"),
    ClaimState.APPROVED: _l("Approved"),
    ClaimState.REJECTED: _l("Not approved"),
    ClaimState.AWAITING_UNIT: _l("Waiting for the unit to arrive"),
    ClaimState.IN_REPAIR: _l("In repair"),
    ClaimState.REPAIRED: _l("Repaired"),
    ClaimState.REPLACED: _l("Replaced with a new unit"),
    ClaimState.REFUNDED: _l("Refunded"),
    ClaimState.CLOSED: _l("Closed"),
    ClaimState.WITHDRAWN: _l("Withdrawn"),
}


def _who(claim: WarrantyClaim, role: str) -> str:
    return {"owner": _("You"), "agent": claim.unit.model.manufacturer.name}.get(role, "Provenance")


def timeline(claim: WarrantyClaim) -> list[TimelineItem]:
    """The claim's entries, oldest first; photos sent together become one item (at filing: the filing's)."""
    entries = queries.entries_of(claim)
    items: list[TimelineItem] = []
    pending: list[ClaimEntry] = []  # photos waiting to join the next item, or to become their own
    for entry in entries:
        if entry.kind == "photo":
            pending.append(entry)
            continue
        if entry.kind == "state":
            target = ClaimState(entry.to_state)
            title = str(TITLES.get(target, target.label))
            if target is ClaimState.IN_REVIEW and entry.author_role == "owner":
                title = _("Answered")
            item = TimelineItem(entry.at, _who(claim, entry.author_role), title, entry.body, "state", entry.author_role)
        else:
            item = TimelineItem(entry.at, _who(claim, entry.author_role), _("Message"), entry.body, "message",
                                entry.author_role)
        if pending and item.role == "owner" and item.kind == "state":  # filed, or answered, with photos
            item.photos, pending = pending, []
        elif pending:
            items.append(_photo_item(claim, pending))
            pending = []
        items.append(item)
    if pending:
        items.append(_photo_item(claim, pending))
    return items


def _photo_item(claim: WarrantyClaim, photos: list[ClaimEntry]) -> TimelineItem:
    count = len(photos)
    return TimelineItem(photos[0].at, _who(claim, photos[0].author_role),
                        ngettext("Added %(num)d photo", "Added %(num)d photos", count), kind="photo", role=photos[0].author_role,
                        photos=photos)
