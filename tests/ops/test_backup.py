"""A backup restored into a fresh database brings back every owner, claim, campaign and audit entry, with
the audit chain intact; restore refuses a newer schema, a damaged file, and overwriting without --yes."""
import json
from datetime import date

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from portal import create_app
from portal.accounts.models import User
from portal.accounts.services import find_user
from portal.catalog.models import Manufacturer, Unit
from portal.core.audit import AuditEntry, verify_chain
from portal.core.storage import StoredFile
from portal.extensions import db
from portal.ops.health import code_heads
from portal.ownership.services import register_unit
from portal.recalls import services as recalls
from portal.recalls.models import RecallCampaign, RecallUnit
from portal.warranty import services as warranty
from portal.warranty.models import WarrantyClaim
from tests.factories import GPSR_NOTICE, build_world
from tests.support.db import DB_KIND

RECEIPT = StoredFile(key="receipt.pdf", mime="application/pdf", name="receipt.pdf", size=10)


def snapshot() -> dict:
    """What must survive, read through the models."""
    return {
        "owners": sorted(db.session.scalars(select(User.email))),
        "claims": sorted(db.session.scalars(select(WarrantyClaim.number))),
        "campaigns": sorted(db.session.scalars(select(RecallCampaign.number))),
        "recall_units": db.session.scalar(select(func.count()).select_from(RecallUnit)),
        "audit": [(e.id, e.action, e.hash) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))],
    }


@pytest.fixture
def data(app):
    world = build_world(app)
    with app.app_context():
        owner = find_user(world.owner)
        register_unit(owner, db.session.get(Unit, world.unit_ids_a[0]), purchased_on=date.today(), proof=RECEIPT)
        warranty.file_claim(owner, db.session.get(Unit, world.unit_ids_a[0]), category="does_not_work",
                            description="The crown came off after two weeks.", started_on=date.today())
        acme = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        campaign = recalls.save_draft(acme, actor="test", **GPSR_NOTICE, number="R-2026-1", title="Loose crown",
                                      hazard="The crown can come off.", remedy_options="Dealer", criteria={"lots": ["L1"]})
        recalls.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
        before = snapshot()
    assert before["claims"] and before["campaigns"] == ["R-2026-1"] and before["recall_units"] == 3
    assert len(before["audit"]) > 10 and world.owner in before["owners"]
    return before


def fresh_database_url(app, tmp_path) -> str:
    """An empty database of the same kind as the suite's: the machine a backup is restored onto."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if DB_KIND == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    host, port = url.host or url.query.get("host"), url.port or url.query.get("port")
    with psycopg.connect(host=host, port=port, user=url.username, password=url.password, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS portal_restored")
        conn.execute("CREATE DATABASE portal_restored")
    return url.set(database="portal_restored").render_as_string(hide_password=False)


@pytest.fixture
def fresh_app(app, tmp_path):
    other = create_app({**{k: app.config[k] for k in ("SECRET_KEY", "KEY_ENCRYPTION_KEY", "UPLOAD_FOLDER")},
                        "TESTING": True, "DATABASE_URL": fresh_database_url(app, tmp_path)})
    yield other
    with other.app_context():
        db.engine.dispose()


def cli(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_a_backup_restored_into_a_fresh_database_has_every_record_and_an_intact_chain(app, data, fresh_app,
                                                                                      tmp_path):
    made = cli(app, "backup", "create", str(tmp_path / "b1"))
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "b1" / "manifest.json").read_text())
    assert manifest["database"] == DB_KIND and manifest["revision"] == ",".join(code_heads())
    assert manifest["tables"]["audit_entries"] == len(data["audit"]) and manifest["tables"]["warranty_claims"] == 1
    assert set(manifest) >= {"created_at", "database", "revision", "tables", "sha256"}

    restored = cli(fresh_app, "backup", "restore", str(tmp_path / "b1"))  # empty: nothing to confirm
    assert restored.exit_code == 0, restored.output
    assert "row counts match the manifest" in restored.output
    with fresh_app.app_context():
        assert snapshot() == data
        report = verify_chain()
        assert report.ok and report.checked == len(data["audit"])
    verified = cli(fresh_app, "audit", "verify")
    assert verified.exit_code == 0 and f"intact: {len(data['audit'])} entries" in verified.output
    assert fresh_app.test_client().get("/readyz").get_json()["checks"]["migrations"]["ok"]


def test_restore_refuses_a_backup_of_a_newer_schema(app, data, fresh_app, tmp_path):
    assert cli(app, "backup", "create", str(tmp_path / "b2")).exit_code == 0
    manifest_file = tmp_path / "b2" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["revision"] = "0042_from_the_future"
    manifest_file.write_text(json.dumps(manifest))
    refused = cli(fresh_app, "backup", "restore", "--yes", str(tmp_path / "b2"))
    assert refused.exit_code == 1 and "newer than this version of Provenance" in refused.output
    with fresh_app.app_context(), db.engine.connect() as conn:
        assert not db.inspect(conn).get_table_names()  # nothing was written


def test_restore_refuses_a_damaged_file(app, data, fresh_app, tmp_path):
    assert cli(app, "backup", "create", str(tmp_path / "b3")).exit_code == 0
    manifest = json.loads((tmp_path / "b3" / "manifest.json").read_text())
    with (tmp_path / "b3" / manifest["file"]).open("ab") as handle:
        handle.write(b"tampered")
    refused = cli(fresh_app, "backup", "restore", "--yes", str(tmp_path / "b3"))
    assert refused.exit_code == 1 and "damaged" in refused.output


def test_restore_over_a_database_with_data_asks_first_and_no_keeps_it(app, data, tmp_path):
    assert cli(app, "backup", "create", str(tmp_path / "b4")).exit_code == 0
    with app.app_context():
        db.session.add(User(email="late@example.test", password_hash="x"))
        db.session.commit()
    declined = cli(app, "backup", "restore", str(tmp_path / "b4"), input="n\n")
    assert declined.exit_code == 1 and "will replace" in declined.output
    with app.app_context():
        assert find_user("late@example.test") is not None  # untouched
    accepted = cli(app, "backup", "restore", "--yes", str(tmp_path / "b4"))
    assert accepted.exit_code == 0, accepted.output
    with app.app_context():
        assert find_user("late@example.test") is None and snapshot() == data


def test_backup_refuses_a_folder_that_is_not_empty(app, data, tmp_path):
    (tmp_path / "b5").mkdir()
    (tmp_path / "b5" / "keep.txt").write_text("mine")
    refused = cli(app, "backup", "create", str(tmp_path / "b5"))
    assert refused.exit_code == 1 and "not empty" in refused.output
