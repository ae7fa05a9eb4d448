"""A seeded world for walking every URL: records of every kind a rule takes, and a signed-in client per actor."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from portal.accounts.models import UserSession
from portal.accounts.services import add_staff, create_user, find_user
from portal.authenticity.keys import active_key, create_key
from portal.authenticity.labels import issue_label
from portal.catalog.epcis.jobs import start_job
from portal.catalog.epcis.vocabulary import format_sgtin_urn
from portal.catalog.models import Manufacturer, ProductModel, Unit
from portal.catalog.services import set_model_image
from portal.core.dl_compression import compress
from portal.core.gs1 import parse_digital_link
from portal.core.storage import store_image
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.models import Ownership
from portal.passport import services as passports
from portal.passport.fields import IDN, Kind
from portal.recalls.contacts import register as register_safety_contact
from portal.recalls.models import RecallUnit
from portal.recalls.services import launch, save_draft
from portal.resale.services import create_proof
from tests.factories import GPSR_NOTICE, PASSWORD, build_world, login
from tests.support.console import _png, acme_records

ROLES = ("admin", "claims_agent", "recall_manager", "analyst", "service_partner")
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
        values.update(_new_areas(acme, world))
        owner = find_user(world.owner)
        owner_id = owner.id
        ownership = db.session.scalar(select(Ownership).where(Ownership.owner_id == owner.id))
        values["ownership_id"] = ownership.id
        proof, proof_token = create_proof(owner, ownership, days=30)  # the owner's proof for a listing
        values["proof_id"] = proof.id
        values[PER_RULE]["/proof/"] = {"token": proof_token}
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
    # The marketplace API refuses every visitor here before it reads a webhook (no marketplace token).
    values.update(subscription_id=1)
    return Walk(clients, values)


def _new_areas(acme, world) -> dict:
    """Records of the resolver, EPCIS, passport and recall-notice pages, made through their services."""
    model = db.session.get(ProductModel, world.model_id_a)
    platform_admin = find_user(world.platform_admin)
    passports.set_kind(acme, model, Kind.GENERIC, actor="test")
    create_user("recycler@example.test", PASSWORD, verified=True)
    grant = passports.grant("recycler@example.test", "legitimate_interest", "recycler", manufacturer=None,
                            actor=platform_admin)
    job = start_job(acme, behaviour="rollback", events=0, actor="test")
    # A second launched campaign whose notice has its pictures stored, for the public notice and its images.
    pictures = {"product_image": store_image(_png(), "product.png").key,
                "identifier_image": store_image(_png(), "label.png").key}
    notice = save_draft(acme, actor="test", **{**GPSR_NOTICE, **pictures}, number="R-2", title="Crown",
                        hazard="The crown may come loose", criteria={"model_ids": [world.model_id_a]})
    launch(notice, remedy_available=True, actor="test")
    # A safety-only registration: its erasure link is in the confirmation the outbox holds.
    register_safety_contact(db.session.get(Unit, world.unit_ids_a[2]), "safety@example.test")
    body = db.session.scalar(select(Notification.body_text).where(Notification.template == "recall_safety_registered"))
    erase_token = re.search(r"/recalls/safety-registration/erase/([\w-]+)", body)[1]
    serial_link = parse_digital_link(f"/01/{world.gtin_a}/21/{world.serials_a[0]}")
    return {"segment": compress(serial_link, "").lstrip("/"), "capture_id": job.capture_id,
            "epc": format_sgtin_urn(world.gtin_a, world.serials_a[0], 7), "grant_id": grant.id,
            "maker": "acme", "aspect": IDN,
            # Rules whose parameters mean something else than the same name elsewhere.
            PER_RULE: {"/recalls/<maker>/<number>": {"number": notice.number},
                       "/recalls/safety-registration/erase/<token>": {"token": erase_token},
                       "/product/01/": {"rest": f"{world.gtin_a}/10/L1"},
                       "/recall-status/01/": {"rest": f"{world.gtin_a}/10/L1"},
                       "/api/v1/return-addresses/": {"country": "fr"}}}


#: values[PER_RULE] maps the start of a rule to the values its parameters take there (a campaign's number is
#: not a claim's number; the product page names a lot, not a serial).
PER_RULE = "per_rule"
PARAMETER = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def fills(rule, values: dict) -> list[str]:
    """The rule's path with every parameter replaced by the seeded value of that name; a parameter limited to
    a few words (`any(...)`) gives one path per word."""
    own = dict(values)
    for start, specific in values.get(PER_RULE, {}).items():
        if rule.rule.startswith(start):
            own.update(specific)
    paths = [rule.rule]
    for match in PARAMETER.finditer(rule.rule):
        name, converter = match["name"], match["converter"]
        if converter == "any":
            words = [w.strip() for w in match["args"].split(",")]
            paths = [p.replace(match[0], word) for p in paths for word in words]
        else:
            paths = [p.replace(match[0], str(own[name])) for p in paths]
    assert all("<" not in p for p in paths), paths
    return paths


def fill(rule, values: dict) -> str:
    """One path of the rule (the first word of an `any(...)` parameter)."""
    return fills(rule, values)[0]


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, to prove a refused request changed nothing at all."""
    return {table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables}


def rules(app) -> dict[str, object]:
    """"METHOD /rule" -> rule, for every rule but static files."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found[f"{method} {rule.rule}"] = rule
    return found
