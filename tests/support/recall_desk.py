"""The recall desk of the language tests: campaigns typed in French in every state, for the console's pages in
French and German (tests/i18n/test_language_leak_recalls.py, tests/browser/test_recall_console_languages.py)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.accounts.models import Role
from portal.accounts.services import add_staff
from portal.extensions import db
from portal.notifications.models import Notification
from portal.recalls import remedies, services
from portal.recalls.models import RecallCampaign
from tests.factories import PASSWORD
from tests.support.recalls import BIKE, build_fleet, ebike, own

ADMIN = "admin@ebike.test"

FRENCH_NOTICE = {
    "title": "Surchauffe des cellules", "hazard": "Les cellules du lot CELL-A peuvent surchauffer pendant la charge.",
    "consequence": "Risque d’incendie.", "remedy_instructions": "Contactez un revendeur pour la réparation gratuite.",
    "remedy_options": "Revendeur\nEnlèvement à domicile", "product_description": "Vélo électrique et sa batterie.",
    "product_image": "test/product.png", "identifier_location": "Sous la selle.", "identifier_image": "test/label.png",
    "sold_from": "2025-01-01", "sold_to": "2025-12-31", "sold_where": "Boutiques en France, Allemagne et Belgique",
    "sold_by": "Revendeurs agréés", "countries": "FR,DE,BE", "remedies": "repair,replace,refund",
    "contact_phone": "0800 100 200", "contact_url": "https://maker.example/rappel",
    "share_request": "Merci de partager cet avis.", "contact": "Service client",
    "incidents": "Deux incidents signalés.", "chronology": "Analyse des retours.", "units_sold": 10,
}


def campaign(number: str, lots: list[str], **extra) -> RecallCampaign:
    return services.save_draft(ebike(), actor="test", number=number, criteria={"lots": lots},
                               determined_on=date.today(), **{**FRENCH_NOTICE, **extra})


def build_desk(app) -> dict:
    """The fleet (tests/support/recalls.py) with an active campaign with owners, notices and a remedy recorded;
    one waiting for its remedy; a closed one; a draft; and the tenant's admin. The campaigns' ids by state."""
    build_fleet(app)
    with app.app_context():
        add_staff(ebike(), ADMIN, Role.ADMIN, password=PASSWORD, actor="test")
        own("ann@example.test", BIKE, "B-001")
        own("ben@example.test", BIKE, "B-002")
        active = campaign("R-1", ["CELL-A"])
        services.launch(active, remedy_available=True, actor="test")
        remedies.record_remedy(remedies.find_by_serial(active, "B-003"), by="test", place="Atelier Lyon")
        waiting = campaign("R-4", ["CELL-A"])
        services.launch(waiting, remedy_available=False, actor="test")
        closed = campaign("R-2", ["CELL-B"])
        services.launch(closed, remedy_available=True, actor="test")
        summary = services.closing_summary(closed)
        services.close(closed, actor="test", confirmed_rate=summary["rate"], reason="Fin de la campagne.")
        draft = campaign("R-3", ["CELL-B"])
        db.session.commit()
        assert db.session.scalar(select(Notification.id).where(Notification.topic == f"recall:{active.id}"))
        ids = {"active": active.id, "waiting": waiting.id, "closed": closed.id, "draft": draft.id}
    return ids
