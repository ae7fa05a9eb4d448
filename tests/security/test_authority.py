"""Authority follows roles: a token never outranks its issuer's current role, and a tenant always keeps an admin."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role, StaffMembership
from portal.accounts.services import add_staff, find_user, remove_staff
from portal.api.tokens import scopes_for_role
from portal.catalog.models import Manufacturer
from portal.core.errors import Conflict, DomainError
from portal.extensions import db
from tests.factories import PASSWORD, build_world, login
from tests.support.api import make_token

ADMIN = "admin@acme.test"


def _acme():
    return db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))


def _set_role(app, email: str, role: str) -> None:
    with app.app_context():
        add_staff(_acme(), email, role, actor="test")
        db.session.commit()


def _admins(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StaffMembership).where(
            StaffMembership.manufacturer_id == _acme().id, StaffMembership.role == Role.ADMIN))


def test_a_demoted_admins_token_loses_what_the_new_role_may_not_do_on_the_next_request(app):
    world = build_world(app)
    with app.app_context():
        add_staff(_acme(), "second@acme.test", "admin", password=PASSWORD, actor="test")  # acme keeps an admin
        db.session.commit()
    headers = {"Authorization": f"Bearer {make_token(app, world)}"}  # every scope, issued by admin@acme.test
    client = app.test_client()
    write = {"units": [{"gtin": world.gtin_a, "serial": "NEW-1"}]}
    assert client.post("/api/v1/units", json=write, headers=headers).status_code == 200

    _set_role(app, ADMIN, "analyst")
    refused = client.post("/api/v1/units", json={"units": [{"gtin": world.gtin_a, "serial": "NEW-2"}]},
                          headers=headers)
    assert refused.status_code == 403 and refused.get_json()["type"].endswith("/insufficient-scope")
    assert client.get("/api/v1/units", headers=headers).status_code == 200  # an analyst may read units
    assert client.get("/api/v1/claims", headers=headers).status_code == 200

    _set_role(app, ADMIN, "recall_manager")
    assert client.get("/api/v1/claims", headers=headers).status_code == 403

    _set_role(app, ADMIN, "admin")
    assert client.post("/api/v1/units", json={"units": [{"gtin": world.gtin_a, "serial": "NEW-3"}]},
                       headers=headers).status_code == 200


def test_no_role_but_admin_holds_a_write_scope_outside_its_desk():
    assert "units:write" not in scopes_for_role(Role.ANALYST) | scopes_for_role(Role.CLAIMS_AGENT) | \
        scopes_for_role(Role.RECALL_MANAGER)
    assert {s for s in scopes_for_role(Role.ANALYST) if s.endswith(":write")} == set()
    assert "units:write" in scopes_for_role(Role.ADMIN)


def test_the_last_admin_cannot_demote_themselves_from_the_team_page(app):
    build_world(app)
    client = app.test_client()
    login(client, ADMIN)
    response = client.post("/console/acme/team", data={"email": ADMIN, "role": "analyst"})
    assert response.status_code == 400 and "at least one admin" in response.get_data(as_text=True)
    assert _admins(app) == 1


@pytest.mark.parametrize("path", ["service-demote", "service-remove"])
def test_the_last_admin_is_kept_by_every_path(app, path):
    build_world(app)
    with app.app_context():
        membership = db.session.scalar(select(StaffMembership).where(
            StaffMembership.user_id == find_user(ADMIN).id))
        with pytest.raises(Conflict, match="at least one admin"):
            if path == "service-demote":
                add_staff(_acme(), ADMIN, "claims_agent", actor="test")
            else:
                remove_staff(membership, actor="test")
        db.session.rollback()
    assert _admins(app) == 1


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, how):
    """Two real connections race; on SQLite and PostgreSQL exactly one of the two changes goes through."""
    build_world(app)
    with app.app_context():
        add_staff(_acme(), "second@acme.test", "admin", password=PASSWORD, actor="test")
        db.session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def demote(email):
        with app.app_context():
            membership = db.session.scalar(select(StaffMembership).where(
                StaffMembership.user_id == find_user(email).id))
            barrier.wait()
            try:
                if how == "demote":
                    add_staff(_acme(), email, "analyst", actor="test")
                else:
                    remove_staff(membership, actor="test")
                db.session.commit()
                outcomes.append("done")
            except DomainError as err:
                db.session.rollback()
                outcomes.append(str(err))

    threads = [threading.Thread(target=demote, args=(e,)) for e in (ADMIN, "second@acme.test")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["A tenant keeps at least one admin.", "done"]
    assert _admins(app) == 1
