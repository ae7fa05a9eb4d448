"""EPCIS 2.0 capture: documents in JSON / JSON-LD become unit events.

`vocabulary` reads identifiers and CBV words (pure functions), `document` turns a JSON document into
checked events, `capture` lands them for a tenant set-based, and `models` remembers captured eventIDs.
"""
