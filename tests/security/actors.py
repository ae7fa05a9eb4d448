"""A seeded world for walking every URL: records of every kind a rule takes, and a signed-in client per actor."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.accounts.models import UserSession
from portal.accounts.services import add_staff, find_user
from portal.authenticity.keys import active_key, create_key
from portal.authenticity.labels import issue_label
from portal.catalog.models import Manufacturer, ProductModel, Unit
from portal.catalog.services import set_model_image
from portal.core.storage import store_image
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.recalls.models import RecallUnit
from tests.factories import PASSWORD, build_world, login
from tests.support.console import _png, acme_records

ROLES = ("admin", "claims_agent", "recall_manager", "analyst")
#: Everyone a page can meet: nobody, two owners, acme's staff by role, another tenant's admin, the platform
#: admin, and an acme admin who signed in with the password but has not set up the second factor yet.
ACTORS = ("anonymous", "owner", "other_owner", *ROLES, "other_tenant", "platform", "no_factor")
NO_FACTOR = "late@acme.test"

# Outcomes besides status codes: redirects to sign-in or to second-factor enrolment, and "csrf" for a form
# this actor may send, which the CSRF test posts (without a token) instead of this walk.
SIGNIN, ENROL, CSRF, REDIRECT = "signin", "enrol", "csrf", "redirect"


@dataclass
class Walk:
    clients: dict
    values: dict


def outcome(response) -> object:
    if response.status_code in (301, 302, 303):
        location = response.headers["Location"]
        if "/account/second-factor" in location:
            return ENROL
        if "/signin" in location and "/signin/code" not in location:
            return SIGNIN
        return REDIRECT
    return response.status_code


def seed(app) -> Walk:
    """Build the world, sign every actor in, and collect a real value for every URL parameter."""
    world = build_world(app)
    values = {"tenant": "acme", "code": "fr", "model_id": world.model_id_a, "unit_id": world.unit_ids_a[0],
              **acme_records(app, world)}
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        add_staff(acme, NO_FACTOR, "admin", password=PASSWORD, actor="test")
        # A picture and a signed label, so the pages that serve them have something to serve.
        set_model_image(db.session.get(ProductModel, world.model_id_a), store_image(_png(), "m.png"), actor="test")
        if active_key(acme) is None:
            create_key(acme, actor="test")
        issue_label(db.session.get(Unit, world.unit_ids_a[0]), actor="test")
        owner = find_user(world.owner)
        owner_id = owner.id
        ownership = db.session.scalar(select(Ownership).where(Ownership.owner_id == owner.id))
        values["ownership_id"] = ownership.id
        values["recall_unit_id"] = db.session.scalar(select(RecallUnit.id).where(
            RecallUnit.unit_id == ownership.unit_id))
        db.session.commit()
    emails = {"owner": world.owner, "other_owner": world.other_owner, **world.staff_a,
              "other_tenant": world.staff_b["admin"], "platform": world.platform_admin}
    clients = {"anonymous": app.test_client()}
    for actor, email in emails.items():
        clients[actor] = app.test_client()
        login(clients[actor], email)
    clients["no_factor"] = app.test_client()
    login(clients["no_factor"], NO_FACTOR, second_factor=False)
    with app.app_context():
        values["session_id"] = db.session.scalar(select(UserSession.id).where(UserSession.user_id == owner_id))
    values.update(token="not-a-real-token", rest=f"{world.gtin_a}/21/{world.serials_a[0]}", gtin=world.gtin_a,
                  serial=world.serials_a[0], filename="css/portal.css")
    return Walk(clients, values)


def fill(rule, values: dict) -> str:
    """The rule's path with every parameter replaced by the seeded value of that name."""
    path = rule.rule
    for name in rule.arguments:
        for converter in ("", "int:", "path:", "gtin:", "serial:"):
            path = path.replace(f"<{converter}{name}>", str(values[name]))
    assert "<" not in path, path
    return path


def rules(app) -> dict[str, object]:
    """"METHOD /rule" -> rule, for every rule but static files."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found[f"{method} {rule.rule}"] = rule
    return found
