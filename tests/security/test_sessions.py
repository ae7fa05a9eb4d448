"""Sessions: one server-side record per sign-in, listed for its owner, ended one by one or all but this one."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import UserSession
from portal.accounts.services import find_user
from portal.accounts.sessions import ip_prefix, summarize_user_agent
from portal.extensions import db
from tests.factories import build_world, login

PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36")
DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def world(app):
    return build_world(app)


def device(app, user_agent: str, address: str):
    """A test client whose requests come from this browser and address."""
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": address})
    return client


def session_rows(app, email: str) -> list[UserSession]:
    with app.app_context():
        return db.session.scalars(select(UserSession).where(UserSession.user_id == find_user(email).id)
                                  .order_by(UserSession.id)).all()


@pytest.mark.parametrize("user_agent, summary", [
    (PHONE_UA, "Chrome on Android"),
    (DESKTOP_UA, "Firefox on Windows"),
    (("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile/15E148 "
      "Safari/604.1"), "Safari on iOS"),
    ("", "Unknown device"),
])
def test_the_device_is_summarised_not_stored_raw(user_agent, summary):
    assert summarize_user_agent(user_agent) == summary


@pytest.mark.parametrize("address, prefix", [
    ("203.0.113.77", "203.0.113.0/24"), ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
    ("::ffff:198.51.100.9", "198.51.100.0/24"), ("not an address", ""),
])
def test_only_the_network_of_the_address_is_kept(address, prefix):
    assert ip_prefix(address) == prefix


def test_every_sign_in_is_listed_with_its_device_and_network(app, world):
    phone, desktop = device(app, PHONE_UA, "203.0.113.77"), device(app, DESKTOP_UA, "198.51.100.20")
    login(phone, world.owner)
    login(desktop, world.owner)
    page = phone.get("/account/sessions").get_data(as_text=True)
    assert "Chrome on Android" in page and "203.0.113.0/24" in page
    assert "Firefox on Windows" in page and "198.51.100.0/24" in page
    assert page.count(">this session<") == 1 and page.count("Sign out this session") == 1 and "Sign out everywhere else" in page
    assert "203.0.113.77" not in page
    assert "Chrome on Android" not in app.test_client().get("/account/sessions").get_data(as_text=True)


def test_a_session_signed_out_from_another_device_is_refused_on_its_next_request(app, world):
    phone, desktop = device(app, PHONE_UA, "203.0.113.77"), device(app, DESKTOP_UA, "198.51.100.20")
    login(phone, world.owner)
    login(desktop, world.owner)
    desktop_row = session_rows(app, world.owner)[-1]
    assert phone.post(f"/account/sessions/{desktop_row.id}/revoke").status_code == 302
    refused = desktop.get("/my")
    assert refused.status_code == 302 and "/signin" in refused.headers["Location"]
    assert phone.get("/my").status_code == 200


def test_sign_out_everywhere_else_keeps_only_this_session(app, world):
    clients = [device(app, PHONE_UA, f"203.0.113.{i}") for i in range(3)]
    for client in clients:
        login(client, world.staff_a["admin"])
    assert clients[0].post("/account/sessions/revoke-others").status_code == 302
    assert clients[0].get("/console/acme/").status_code == 200
    for other in clients[1:]:
        assert other.get("/console/acme/").status_code == 302
    assert [row.revoked_at is None for row in session_rows(app, world.staff_a["admin"])] == [True, False, False]


def test_nobody_signs_out_someone_elses_session(app, world):
    owner, other = app.test_client(), app.test_client()
    login(owner, world.owner)
    login(other, world.other_owner)
    row = session_rows(app, world.owner)[0]
    assert other.post(f"/account/sessions/{row.id}/revoke").status_code == 404
    assert other.post("/account/sessions/999999/revoke").status_code == 404
    assert owner.get("/my").status_code == 200


def test_a_cookie_kept_after_sign_out_no_longer_works(app, world):
    client = app.test_client()
    login(client, world.owner)
    kept = client.get_cookie("session").value
    client.post("/signout")
    thief = app.test_client()
    thief.set_cookie("session", kept)
    assert thief.get("/my").status_code == 302
    assert session_rows(app, world.owner)[0].revoked_at is not None


def test_last_seen_moves_at_most_once_a_minute(app, world):
    client = app.test_client()
    login(client, world.owner)
    with app.app_context():
        row = db.session.scalars(select(UserSession)).one()
        row.last_seen_at = row.last_seen_at - timedelta(minutes=5)
        db.session.commit()
        stale = row.last_seen_at
    client.get("/my")
    moved = session_rows(app, world.owner)[0].last_seen_at
    assert moved > stale + timedelta(minutes=4)
    client.get("/my")
    assert session_rows(app, world.owner)[0].last_seen_at == moved


def test_a_password_reset_ends_every_session_on_the_list(app, world, mailbox):
    from tests.support.mail import deliver, link_in

    client = app.test_client()
    login(client, world.owner)
    app.test_client().post("/reset", data={"email": world.owner})
    deliver(app)
    path = link_in(mailbox.last_to(world.owner), "/reset/")
    app.test_client().post(path, data={"password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert client.get("/my").status_code == 302
    assert all(row.revoked_at is not None for row in session_rows(app, world.owner))
