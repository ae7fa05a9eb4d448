"""Words the recall console shows for stored codes (severity, kind of notice, delivery state) and for the
regulator reports' English labels, in the reader's language. The stored values and the exports stay as
they are; these are template globals (registered in recalls.init_app)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import pgettext


def severity_label(severity: str) -> str:
    """"class II" (stored as chosen in the editor) -> "Class II", "Classe II", "Klasse II"."""
    names = {"class I": _("Class I"), "class II": _("Class II"), "class III": _("Class III")}
    return names.get(severity, severity)


def notice_kind(kind: str) -> str:
    """The kind in a recall notice's dedupe key (recalls.services.notify_owners)."""
    names = {"remedy": _("remedy available"), "interim": _("interim notice"), "follow_up": _("follow-up")}
    return names.get(kind, kind.replace("_", " "))


def delivery_label(state: str) -> str:
    """An outbox row's state (notifications.models.DeliveryState)."""
    names = {"pending": _("pending"), "sent": _("sent"), "dead": _("failed or withdrawn")}
    return names.get(state, state)


def report_text(text: str) -> str:
    """A report's title, regulation, field label or source (marked with recalls.regulator.N_) for the page.
    German says "Ausfallrate" for the insights' "Hazard": the notice's hazard has its own context."""
    if text == "Hazard":
        return pgettext("recall notice", "Hazard")
    return _(text)
