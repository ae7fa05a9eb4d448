"""Signals between areas, so an area reacts to another without importing it (docs/architecture.md, "How areas
talk"). Receivers are connected in the listening area's init_app."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from blinker import Namespace

_signals = Namespace()

#: Units were created or re-parented for a tenant: sender is the tenant id, `unit_ids` a SELECT or list of ids.
units_landed = _signals.signal("units-landed")
#: Someone became a unit's current owner (registration or transfer): sender is the Ownership.
ownership_started = _signals.signal("ownership-started")
#: An owner reported a unit stolen (ownership.services.report_stolen): sender is the Unit (resale revokes its proofs).
unit_reported_stolen = _signals.signal("unit-reported-stolen")
#: An ownership proof's live status changed (revoked, the unit transferred or reported stolen): sender is the
#: proof's id, `state` the new ProofState value (docs/resale.md; marketplace webhooks listen).
proof_changed = _signals.signal("proof-changed")
#: Which keys of the portal's own does it publish? Sender is None; each receiver returns a list of JWKs (RFC 8037)
#: that the JWK set (authenticity.keys.jwks) and the did:web document (passport.vc) add (resale: the platform key).
keys_published = _signals.signal("keys-published")
#: A scan got its final verdict: sender is the Verdict, `kind` its value, `channel` "qr" or "nfc" (metrics count it).
verdict_given = _signals.signal("verdict-given")
#: A capture landed EPCIS events: sender is the tenant id, `events` a list of (unit ids, the event as captured)
#: for the events that carry a `sensorElementList` (the passport reads its sensor reports).
events_landed = _signals.signal("events-landed")

#: An account is being erased (privacy.erasure): sender is an `Erasure`. Each area removes the person from its own
#: data in the caller's transaction, and adds to `Erasure.file_keys` the stored files to delete after the commit.
account_erasing = _signals.signal("account-erasing")
#: Which of these stored files does an area still point at? Sender is a set of storage keys; each receiver
#: returns the subset its rows still use (privacy deletes only the others).
files_in_use = _signals.signal("files-in-use")


@dataclass
class Erasure:
    """What every area needs to erase one person: who, their address before erasure, when, the units they
    owned when it began, and the label that replaces them where a record must keep an author."""

    user_id: int
    email: str
    at: datetime
    owned_unit_ids: list[int]
    erased_label: str
    file_keys: set[str] = field(default_factory=set)
    ownerships_ended: int = 0

    @property
    def tombstone_email(self) -> str:
        """What replaces the address: unique per account (the column is unique) and about nobody. RFC 2606:
        .invalid never resolves, so nothing can be mailed there."""
        return f"erased-{self.user_id}@erased.invalid"
