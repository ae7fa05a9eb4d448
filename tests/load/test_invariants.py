"""Invariants under parallel load: gunicorn (4 processes x 4 threads) on 127.0.0.1 serves the test database,
and a separate process (tests/load/driver.py) races people against each other through HTTP: everyone
registering the same units, everyone accepting the same transfer codes, agents deciding the same claim at
the same version, recall managers launching the same campaign. Afterwards queries check the design's
invariants: one current owner per unit, each code used once, no lost claim update, each campaign launched
once with each notice once, and no request answered with a server error.

The size here finishes in well under a minute; `make bench` runs it larger (PORTAL_LOAD_SCALE=5).
"""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.accounts.second_factor import enrol
from portal.accounts.services import add_staff, create_user, find_user
from portal.catalog.models import Manufacturer, Unit
from portal.catalog.services import create_unit
from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.models import Ownership, TransferOffer, TransferState
from portal.ownership.services import register_unit, start_transfer
from portal.recalls import services as recalls
from portal.recalls.models import RecallCampaign, RecallNotice, RecallUnit
from portal.warranty import services as warranty
from portal.warranty.models import ClaimEntry, ClaimState, WarrantyClaim
from tests.factories import GPSR_NOTICE, PASSWORD, TOTP_SECRET, build_world
from tests.support.db import free_port

ROOT = Path(__file__).resolve().parents[2]
SCALE = int(os.environ.get("PORTAL_LOAD_SCALE", "1"))
OWNERS, UNITS, CODES, CLAIMS, CAMPAIGNS, STAFF = 8, 10 * SCALE, 5 * SCALE, 5 * SCALE, 3 * SCALE, 4


def staff_person(email: str) -> dict:
    """Staff sign in with their password and then an authenticator code, computed by the driver."""
    return {"email": email, "password": PASSWORD, "secret": base64.b64encode(TOTP_SECRET).decode()}


def seed(app) -> dict:
    """The races' material, made through the services; returns the driver's plan (without the base URL)."""
    world = build_world(app)
    with app.app_context():
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        owners = [create_user(f"racer{n}@example.test", PASSWORD, name=f"Racer {n}", verified=True)
                  for n in range(OWNERS)]
        seller = find_user(world.owner)
        agents = [f"agent{n}@acme.test" for n in range(STAFF)]
        managers = [f"manager{n}@acme.test" for n in range(STAFF)]
        for email in agents:
            add_staff(acme, email, Role.CLAIMS_AGENT, password=PASSWORD, actor="test")
        for email in managers:
            add_staff(acme, email, Role.RECALL_MANAGER, password=PASSWORD, actor="test")
        for email in agents + managers:
            enrol(find_user(email), TOTP_SECRET, actor="test")

        def unit(serial: str, lot: str) -> Unit:
            return create_unit(acme, gtin=world.gtin_a, serial=serial, lot=lot, manufactured_on=date(2025, 3, 1),
                               actor="test")

        free = [unit(f"FREE-{n:04d}", "RACE") for n in range(UNITS)]
        codes = []
        for n in range(CODES):
            ownership = register_unit(seller, unit(f"SOLD-{n:04d}", "RACE"), purchased_on=date(2025, 6, 1))
            codes.append(start_transfer(seller, ownership)[1])
        claims = []
        for n in range(CLAIMS):
            owned = unit(f"CLAIM-{n:04d}", "CLAIMS")
            register_unit(owners[n % OWNERS], owned, purchased_on=date.today() - timedelta(days=30))
            claim = warranty.file_claim(owners[n % OWNERS], owned, category="does_not_work",
                                        description="It stops every night without a reason.",
                                        started_on=date.today())
            db.session.flush()
            claims.append({"path": f"/console/acme/claims/{claim.number}/move", "version": claim.version})
        launches = []
        for n in range(CAMPAIGNS):
            draft = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number=f"R-LOAD-{n}", title="Crown may loosen",
                                       hazard="The crown can come loose.", criteria={"lots": ["RACE", "CLAIMS"]})
            db.session.flush()
            launches.append(f"/console/acme/recalls/{draft.id}/launch")
        db.session.commit()
        return {
            "owners": [{"email": o.email, "password": PASSWORD} for o in owners],
            "agents": [staff_person(e) for e in agents],
            "managers": [staff_person(e) for e in managers],
            "units": [{"gtin": world.gtin_a, "serial": u.serial} for u in free],
            "codes": codes, "claims": claims, "launches": launches,
        }


def serve(app, tmp: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn on the test's own database, configured like the test app but with CSRF and rate limits off
    (the races are about data, and one address sends everything)."""
    instance = tmp / "instance"
    instance.mkdir()
    settings = {key: app.config[key] for key in ("SECRET_KEY", "KEY_ENCRYPTION_KEY", "DATABASE_URL", "UPLOAD_FOLDER",
                                                 "BASE_URL", "PASSWORD_HASH_METHOD")}
    settings.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False,
                    REMEMBER_COOKIE_SECURE=False, MAIL_DELIVER_AFTER_REQUEST=False)
    (instance / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env["PORTAL_INSTANCE_PATH"] = str(instance)
    log = tmp / "gunicorn.log"
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "4", "-k", "gthread", "--threads", "4",
                             "-b", f"127.0.0.1:{port}", "--error-logfile", str(log), "portal:create_app()"],
                            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)  # its own process group: stop() ends the workers too
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            pytest.fail(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(base + "/signin", timeout=10).read()
            return proc, base
        except OSError:  # not listening yet, or still loading
            time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    """gunicorn and its workers, whatever state they are in: TERM, and KILL if they linger."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def test_parallel_races_keep_every_invariant(app, tmp_path):
    plan = seed(app)
    proc, plan["base"] = serve(app, tmp_path)
    plan["seconds"] = 120
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    try:
        run = subprocess.run([sys.executable, "-m", "tests.load.driver", str(tmp_path / "plan.json")], cwd=ROOT,
                             capture_output=True, text=True, timeout=300, check=False)
    finally:
        stop(proc)
    assert run.returncode == 0, run.stderr[-3000:]
    statuses = {line["kind"]: {int(k): v for k, v in line["statuses"].items()}
                for line in map(json.loads, run.stdout.splitlines())}
    log = (tmp_path / "gunicorn.log").read_text()
    for kind, counts in statuses.items():
        first = log.find("Traceback")
        assert not [code for code in counts if code >= 500], f"{kind}: {counts}\n{log[first:first + 6000]}"

    with app.app_context():
        # Registration: each unit got exactly one current owner; as many wins as units.
        serials = [u["serial"] for u in plan["units"]]
        per_unit = dict(db.session.execute(
            select(Unit.serial, func.count(Ownership.id)).join(Ownership, Ownership.unit_id == Unit.id)
            .where(Unit.serial.in_(serials), Ownership.until.is_(None)).group_by(Unit.serial)).all())
        assert per_unit == {serial: 1 for serial in serials}
        assert statuses["register"].get(302, 0) == len(serials), statuses["register"]

        # Transfers: each code used once; the unit has its seller's ended ownership and one current one.
        assert statuses["transfer"].get(302, 0) == len(plan["codes"]), statuses["transfer"]
        assert db.session.scalar(select(func.count()).select_from(TransferOffer)
                                 .where(TransferOffer.state == TransferState.ACCEPTED)) == len(plan["codes"])
        sold = select(Unit.id).where(Unit.serial.like("SOLD-%"))
        assert db.session.scalar(select(func.count()).select_from(Ownership)
                                 .where(Ownership.unit_id.in_(sold), Ownership.until.is_(None))) == len(plan["codes"])
        assert db.session.scalar(select(func.count()).select_from(Ownership)
                                 .where(Ownership.unit_id.in_(sold))) == 2 * len(plan["codes"])

        # Claims: one agent's move won per claim; the others were refused, none was lost or doubled.
        assert statuses["claim"].get(303, 0) == len(plan["claims"]), statuses["claim"]
        claims = db.session.scalars(select(WarrantyClaim)).all()
        assert {c.state for c in claims} == {ClaimState.IN_REVIEW}
        assert all(c.version == 2 for c in claims)
        moves = dict(db.session.execute(select(ClaimEntry.claim_id, func.count()).where(
            ClaimEntry.to_state == "in_review").group_by(ClaimEntry.claim_id)).all())
        assert sorted(moves.values()) == [1] * len(claims)

        # Recalls: each campaign launched once; each owner has one notice and one e-mail per campaign.
        launched = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "recall.launched"))
        assert launched == len(plan["launches"])
        campaigns = db.session.scalars(select(RecallCampaign)).all()
        assert all(c.launched_at is not None for c in campaigns)
        affected = db.session.scalar(select(func.count(func.distinct(RecallUnit.unit_id))))
        assert db.session.scalar(select(func.count()).select_from(RecallUnit)) == affected * len(campaigns)
        notices = db.session.execute(select(RecallNotice.campaign_id, RecallNotice.user_id, func.count())
                                     .group_by(RecallNotice.campaign_id, RecallNotice.user_id)).all()
        assert notices and {n for _, _, n in notices} == {1}
        keys = db.session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.like("recall:%"))).all()
        assert len(keys) == len(set(keys)) == len(notices)
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email.like("racer%"))) == OWNERS
