"""Sessions that survive a phone's life (docs/security.md, Sessions): a new network or browser string keeps the
session, a revoked one ends at once, the key rotates at sign-in and at a privilege change, and a sign-in from
a device new to the person is told to them once, by e-mail through the outbox."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, UserSession
from portal.accounts.services import add_staff, find_user
from portal.catalog.models import Manufacturer
from portal.extensions import db
from tests.factories import PASSWORD, build_world, login, next_code
from tests.support.mail import deliver

PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36")
APP_UA = "Provenance service worker (Android)"
DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def world(app):
    return build_world(app)


def device(app, user_agent: str, address: str):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": address})
    return client


def rows(app, email):
    with app.app_context():
        return db.session.scalars(select(UserSession).where(UserSession.user_id == find_user(email).id)
                                  .order_by(UserSession.id)).all()


def test_a_session_survives_a_new_network_and_a_new_browser_string_and_going_back(app, world):
    phone = device(app, PHONE_UA, "203.0.113.77")
    login(phone, world.owner)
    assert phone.get("/my").status_code == 200
    phone.environ_base.update({"REMOTE_ADDR": "198.51.100.20"})  # Wi-Fi to mobile data
    assert phone.get("/my").status_code == 200
    phone.environ_base.update({"HTTP_USER_AGENT": APP_UA})  # the service worker's background request
    assert phone.get("/my").status_code == 200
    phone.environ_base.update({"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": PHONE_UA})  # and back
    assert phone.get("/my").status_code == 200
    # the list shows where it was last seen from (written at most once a minute)
    with app.app_context():
        row = db.session.scalars(select(UserSession)).one()
        row.last_seen_at -= timedelta(minutes=5)
        db.session.commit()
    phone.environ_base.update({"REMOTE_ADDR": "198.51.100.20"})
    assert "198.51.100.0/24" in phone.get("/account/sessions").get_data(as_text=True)


def test_a_session_signed_out_from_another_device_is_refused_at_once(app, world):
    phone, desktop = device(app, PHONE_UA, "203.0.113.77"), device(app, DESKTOP_UA, "198.51.100.20")
    login(phone, world.owner)
    login(desktop, world.owner)
    assert desktop.get("/my").status_code == 200
    phone_row = rows(app, world.owner)[0]
    assert desktop.post(f"/account/sessions/{phone_row.id}/revoke").status_code == 302
    refused = phone.get("/my")
    assert refused.status_code == 302 and "/signin" in refused.headers["Location"]
    assert desktop.post("/account/sessions/revoke-others").status_code == 302
    assert desktop.get("/my").status_code == 200


def test_signing_in_again_rotates_the_key_and_the_old_cookie_stops_working(app, world):
    client = app.test_client()
    login(client, world.owner)
    old = client.get_cookie("session").value
    login(client, world.owner)
    assert client.get_cookie("session").value != old
    assert client.get("/my").status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", old)
    assert thief.get("/my").status_code == 302
    assert [row.revoked_at is None for row in rows(app, world.owner)] == [False, True]


def test_a_role_change_asks_for_the_second_factor_again_and_rotates_the_key(app, world):
    staff = world.staff_a["analyst"]
    client = app.test_client()
    login(client, staff)
    assert client.get("/console/acme/").status_code == 200
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        add_staff(acme, staff, Role.CLAIMS_AGENT, actor="test")
        db.session.commit()
    gate = client.get("/console/acme/")
    assert gate.status_code == 302 and "/signin/code" in gate.headers["Location"]
    old = client.get_cookie("session").value
    assert client.post("/signin/code", data={"code": next_code(app, staff)}).status_code == 302
    assert client.get("/console/acme/").status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", old)
    assert thief.get("/console/acme/").status_code == 302


def _notices(app, email):
    from portal.notifications.models import Notification

    with app.app_context():
        return db.session.scalars(select(Notification).where(Notification.template == "new_device",
                                                             Notification.recipient == email)).all()


def test_a_new_device_is_told_once_by_email(app, world, mailbox):
    phone = device(app, PHONE_UA, "203.0.113.77")
    login(phone, world.owner)
    assert _notices(app, world.owner) == []  # the first sign-in ever: no device is known yet, nothing to tell
    desktop = device(app, DESKTOP_UA, "198.51.100.20")
    login(desktop, world.owner)
    assert len(_notices(app, world.owner)) == 1
    deliver(app)
    body = mailbox.last_to(world.owner).get_body(("plain",)).get_content()
    assert "Firefox on Windows" in body and "198.51.100.0/24" in body and "/account/sessions" in body
    desktop.post("/signout")
    login(desktop, world.owner)  # the same device again, and the phone again: nothing new
    login(phone, world.owner)
    assert len(_notices(app, world.owner)) == 1
    login(device(app, DESKTOP_UA, "198.51.100.20"), world.owner)  # another browser: a device never seen
    assert len(_notices(app, world.owner)) == 2


def test_a_forged_device_cookie_is_replaced_not_trusted(app, world):
    client = device(app, PHONE_UA, "203.0.113.77")
    client.set_cookie("device", "<script>")
    response = client.post("/signin", data={"email": world.owner, "password": PASSWORD})
    assert response.status_code == 302
    assert len(client.get_cookie("device").value) == 32
