"""Signals between areas, so an area reacts to another without importing it (docs/architecture.md, "How areas
talk"). Receivers are connected in the listening area's init_app."""
from blinker import Namespace

_signals = Namespace()

#: Units were created or re-parented for a tenant: sender is the tenant id, `unit_ids` a SELECT or list of ids.
units_landed = _signals.signal("units-landed")
#: Someone became a unit's current owner (registration or transfer): sender is the Ownership.
ownership_started = _signals.signal("ownership-started")
#: A scan got its final verdict: sender is the Verdict, `kind` its value, `channel` "qr" or "nfc" (metrics count it).
verdict_given = _signals.signal("verdict-given")
