"""`audit verify` notices entries removed from the end of the log, against a signed checkpoint of its head."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from portal.core.audit import AuditEntry, verify_chain
from portal.core.audit_head import checkpoint_file
from portal.extensions import db
from portal.ops.backup import create_backup
from tests.factories import build_world


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _truncate_tail(app, how_many: int) -> None:
    """Delete the newest entries behind the application's back, as someone with database access could."""
    with app.app_context():
        newest = db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(how_many)).all()
        db.session.execute(text("DELETE FROM audit_entries WHERE id >= :id"), {"id": min(newest)})
        db.session.commit()
        assert verify_chain().ok  # the chain alone cannot tell: what is left still links up


def test_a_truncated_tail_is_reported_after_a_checkpoint(app, cli):
    build_world(app)
    assert "Audit checkpoint: entry" in cli("audit", "checkpoint").output
    assert cli("audit", "verify").exit_code == 0
    _truncate_tail(app, 3)
    result = cli("audit", "verify")
    assert result.exit_code == 1, result.output
    assert "Audit chain truncated or replaced" in result.output and "is gone" in result.output
    assert "intact" not in result.output


def test_entries_after_the_checkpoint_keep_the_chain_intact(app, cli):
    world = build_world(app)
    cli("audit", "checkpoint")
    with app.app_context():
        from portal.accounts.services import create_user

        create_user("later@example.test", "correct horse battery", verified=True)
        db.session.commit()
        entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"Audit chain intact: {entries} entries; head anchored by the checkpoint" in result.output
    assert world.owner


def test_a_forged_checkpoint_is_refused(app, cli):
    build_world(app)
    cli("audit", "checkpoint")
    with app.app_context():
        path = checkpoint_file()
    checkpoint = json.loads(path.read_text().splitlines()[-1])
    _truncate_tail(app, 2)
    with app.app_context():  # someone with database access rewrites the witness to fit the shorter chain
        head = db.session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc())).first()
    checkpoint.update(entry_id=head.id, hash=head.hash, count=checkpoint["count"] - 2)
    path.write_text(json.dumps(checkpoint) + "\n")
    result = cli("audit", "verify")
    assert result.exit_code == 1 and "signature does not match" in result.output


def test_every_backup_records_the_head_and_verify_checks_against_its_manifest(app, cli, tmp_path):
    build_world(app)
    with app.app_context():
        manifest = create_backup(tmp_path / "backup")
    assert manifest["audit_head"]["entry_id"] and manifest["audit_head"]["mac"]
    checkpoint_path = checkpoint_file_of(app)
    assert json.loads(checkpoint_path.read_text().splitlines()[-1]) == manifest["audit_head"]
    checkpoint_path.unlink()  # the witness on this machine is lost too: the backup's copy still tells
    _truncate_tail(app, 1)
    result = cli("audit", "verify", "--manifest", str(tmp_path / "backup" / "manifest.json"))
    assert result.exit_code == 1 and "the backup manifest" in result.output


def test_the_worker_writes_a_checkpoint_when_one_is_due(app, cli):
    build_world(app)
    assert not checkpoint_file_of(app).exists()
    assert cli("worker", "--once").exit_code == 0
    lines = checkpoint_file_of(app).read_text().splitlines()
    cli("worker", "--once")  # not due again within AUDIT_CHECKPOINT_MINUTES
    assert len(lines) == 1 and len(checkpoint_file_of(app).read_text().splitlines()) == 1


def checkpoint_file_of(app):
    with app.app_context():
        return checkpoint_file()
