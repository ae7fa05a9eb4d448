"""The personal words the privacy tests plant and then look for (or must not find)."""
from __future__ import annotations

STOLEN_PLACE = "12 Rue de la Paix, Paris"


OWNER_MESSAGE = "Please call me on 079 555 12 34 after six."


DISPUTE = "I bought this watch in Geneva myself, my name is on the box."
