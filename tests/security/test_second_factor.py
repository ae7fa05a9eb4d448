"""Staff second factor: enrolment with QR and recovery codes, the code step, replay, throttling, resets."""
import re

import pytest
from sqlalchemy import select

from portal.accounts.models import RecoveryCode, SecondFactor, StaffMembership
from portal.accounts.second_factor import check_code, code_for, enrol, secret_from_text, step_at
from portal.accounts.services import add_staff, find_user
from portal.catalog.models import Manufacturer
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.core.errors import Invalid
from portal.core.secrets import decrypt_secret
from portal.extensions import db
from tests.factories import PASSWORD, TOTP_SECRET, build_world, login, next_code
from tests.support.forms import shown
from tests.support.second_factor import NEWCOMER, enrol_through_the_page


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        add_staff(acme, NEWCOMER, "analyst", password=PASSWORD, actor="test")
        db.session.commit()
    return world


def actions(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_staff_without_a_factor_enrol_before_the_console_opens(app, world):
    client = app.test_client()
    signed = login(client, NEWCOMER, second_factor=False)
    assert "/account/second-factor" in signed.headers["Location"]
    refused = client.get("/console/acme/units")
    assert refused.status_code == 302 and "/account/second-factor" in refused.headers["Location"]
    assert client.get("/console/acme/tokens").status_code == 302

    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "<svg" in page and "style=" not in page
    assert not re.findall(r"<script(?![^>]*\bsrc=)", page)  # no inline script: the CSP would block it
    text = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    codes = enrol_through_the_page(client, NEWCOMER)

    assert len(codes) == len(set(codes)) == 10
    assert client.get("/console/acme/units").status_code == 200
    with app.app_context():
        user = find_user(NEWCOMER)
        factor = db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))
        assert decrypt_secret(factor.secret_encrypted) == secret_from_text(text)
        assert text.replace(" ", "") not in factor.secret_encrypted
        hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert [e.target_id for e in actions(app, "second_factor.enrolled")][-1] == str(user.id)


def test_a_wrong_confirmation_code_enrols_nothing(app, world):
    client = app.test_client()
    login(client, NEWCOMER, second_factor=False)
    client.get("/account/second-factor")
    refused = client.post("/account/second-factor", data={"code": "000000"})
    assert refused.status_code == 400 and "does not match" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == find_user(NEWCOMER).id)) is None


def test_sign_in_asks_for_the_code_and_signs_in_only_after_it(app, world):
    client = app.test_client()
    first = client.post("/signin", data={"email": world.staff_a["admin"], "password": PASSWORD})
    assert first.status_code == 302 and "/signin/code" in first.headers["Location"]
    assert client.get("/my").status_code == 302  # the password alone signs nobody in
    wrong = shown(client, client.post("/signin/code", data={"code": "123456"}))
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    right = client.post("/signin/code", data={"code": next_code(app, world.staff_a["admin"])})
    assert right.status_code == 302
    assert client.get("/console/acme/").status_code == 200
    assert client.get("/console/acme/tokens").status_code == 200


def test_the_code_step_without_a_password_step_goes_back_to_sign_in(app, world):
    response = app.test_client().post("/signin/code", data={"code": "123456"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/signin")


def test_a_code_is_accepted_once(app, world):
    email = world.staff_a["analyst"]
    code = next_code(app, email)
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        client.post("/signin", data={"email": email, "password": PASSWORD})
    assert first.post("/signin/code", data={"code": code}).status_code == 302
    replay = shown(second, second.post("/signin/code", data={"code": code}))
    assert replay.status_code == 400
    assert second.get("/console/acme/").status_code == 302


def test_codes_one_step_either_side_are_accepted_two_are_not(ctx, app, world):
    user = find_user(world.staff_a["analyst"])
    here = step_at(utcnow())
    for far in (here - 2, here + 2):
        with pytest.raises(Invalid):
            check_code(user, code_for(TOTP_SECRET, far))
    assert check_code(user, code_for(TOTP_SECRET, here - 1)) == "totp"
    assert check_code(user, code_for(TOTP_SECRET, here + 1)) == "totp"
    with pytest.raises(Invalid):  # older than the last accepted step: refused even within the window
        check_code(user, code_for(TOTP_SECRET, here))


def test_a_recovery_code_signs_in_once_and_is_audited(app, world):
    email = world.staff_a["claims_agent"]
    with app.app_context():
        codes = enrol(find_user(email), TOTP_SECRET, actor="test")
        db.session.commit()
    client = app.test_client()
    client.post("/signin", data={"email": email, "password": PASSWORD})
    used = client.post("/signin/code", data={"code": codes[0].upper()})
    assert used.status_code == 302
    assert "9 left" in client.get("/my").get_data(as_text=True)
    again = app.test_client()
    again.post("/signin", data={"email": email, "password": PASSWORD})
    assert shown(again, again.post("/signin/code", data={"code": codes[0]})).status_code == 400
    assert actions(app, "second_factor.recovery_code_used")


def test_wrong_codes_cool_the_account_down_even_for_the_right_code(app, world):
    email = world.staff_a["recall_manager"]
    client = app.test_client()
    client.post("/signin", data={"email": email, "password": PASSWORD})
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        assert shown(client, client.post("/signin/code", data={"code": "999999"})).status_code == 400
    throttled = shown(client, client.post("/signin/code", data={"code": next_code(app, email)}))
    assert throttled.status_code == 429 and "Too many wrong codes" in throttled.get_data(as_text=True)


def test_replacing_the_factor_needs_a_fresh_code_first(app, world):
    email = world.staff_a["admin"]
    client = app.test_client()
    login(client, email)
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "totp-secret" not in page and "Set up again" in page
    assert client.post("/account/second-factor", data={"code": "123456"}).status_code == 403
    assert client.post("/account/second-factor/unlock", data={"code": "123456"}).status_code == 400
    assert client.post("/account/second-factor/unlock", data={"code": next_code(app, email)}).status_code == 302
    enrol_through_the_page(client, email)
    assert actions(app, "second_factor.replaced")
    other = app.test_client()
    other.post("/signin", data={"email": email, "password": PASSWORD})
    old = code_for(TOTP_SECRET, step_at(utcnow()) + 1)
    assert shown(other, other.post("/signin/code", data={"code": old})).status_code == 400  # the old app no longer works


def test_a_tenant_admin_resets_a_members_factor_which_ends_their_sessions(app, world):
    analyst, admin = app.test_client(), app.test_client()
    login(analyst, world.staff_a["analyst"])
    login(admin, world.staff_a["admin"])
    with app.app_context():
        ids = {role: db.session.scalar(select(StaffMembership.id).where(
            StaffMembership.user_id == find_user(world.staff_a[role]).id)) for role in ("admin", "analyst")}
        acme_id = db.session.scalar(select(Manufacturer.id).where(Manufacturer.slug == "acme"))
    assert "Reset second factor" in admin.get("/console/acme/team").get_data(as_text=True)
    assert admin.post(f"/console/acme/team/{ids['admin']}/reset-factor").status_code == 403  # not one's own
    assert admin.post(f"/console/acme/team/{ids['analyst']}/reset-factor").status_code == 302
    assert analyst.get("/console/acme/").status_code == 302  # their session ended
    with app.app_context():
        assert db.session.scalar(select(SecondFactor).where(
            SecondFactor.user_id == find_user(world.staff_a["analyst"]).id)) is None
    entry = actions(app, "second_factor.reset")[-1]
    assert entry.manufacturer_id == acme_id and world.staff_a["analyst"] in entry.detail
    # Signing in again leads straight to setting up a new authenticator.
    again = app.test_client()
    assert "/account/second-factor" in login(again, world.staff_a["analyst"], second_factor=False).headers["Location"]


def test_only_admins_reset_and_never_another_tenants_staff(app, world):
    analyst, bravo = app.test_client(), app.test_client()
    login(analyst, world.staff_a["analyst"])
    login(bravo, world.staff_b["admin"])
    with app.app_context():
        target = db.session.scalar(select(StaffMembership.id).where(StaffMembership.role == "claims_agent"))
    assert analyst.post(f"/console/acme/team/{target}/reset-factor").status_code == 403
    assert bravo.post(f"/console/bravo/team/{target}/reset-factor").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(SecondFactor).where(
            SecondFactor.user_id == find_user(world.staff_a["claims_agent"]).id)) is not None


def test_a_platform_admin_resets_a_factor_by_email(app, world):
    platform = app.test_client()
    login(platform, world.platform_admin)
    assert platform.post("/admin/second-factor/reset", data={"email": world.staff_b["admin"]}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SecondFactor).where(
            SecondFactor.user_id == find_user(world.staff_b["admin"]).id)) is None
    assert actions(app, "second_factor.reset")[-1].actor_label == world.platform_admin


def test_owners_need_no_second_factor_but_may_set_one_up(app, world):
    owner = app.test_client()
    assert login(owner, world.owner).headers["Location"].endswith("/my")
    enrol_through_the_page(owner, world.owner)
    later = app.test_client()
    signed = later.post("/signin", data={"email": world.owner, "password": PASSWORD})
    assert "/signin/code" in signed.headers["Location"]


def test_the_demo_code_command_prints_what_the_demo_authenticator_shows(app):
    from portal.demo import DEMO_TOTP_SECRET

    result = app.test_cli_runner().invoke(args=["demo", "code"])
    assert result.exit_code == 0
    here = step_at(utcnow())
    secret = secret_from_text(DEMO_TOTP_SECRET)
    assert result.output.strip() in {code_for(secret, here), code_for(secret, here + 1)}
