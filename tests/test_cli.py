"""Operator commands: help texts, tenant setup, CSV import, demo data and the audit chain check."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from portal.accounts.models import Role, StaffMembership, User
from portal.catalog.models import CompanyPrefix, Manufacturer, ProductModel, Unit
from portal.core.audit import AuditEntry
from portal.demo import DEMO_SIGN_INS, gtin_for
from portal.extensions import db
from tests.factories import PASSWORD, build_world

GTIN = gtin_for("4012345", 1)


def bad_check(gtin: str) -> str:
    return gtin[:-1] + str((int(gtin[-1]) + 1) % 10)


BAD_CHECK = bad_check(GTIN)


@pytest.fixture
def cli(app):
    """Run a command as `flask --app portal` does; the command groups push their own app context."""
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=list(args))

    return invoke


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def ok(result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result.output


def acme(cli) -> None:
    ok(cli("tenants", "create", "acme", "--name", "Acme Watches", "--gs1-prefix", "4012345"))
    ok(cli("catalog", "add-model", "acme", "--gtin", GTIN, "--name", "Acme One"))


HELP = [
    (["tenants"], ["create", "add-staff"]),
    (["tenants", "create"], ["SLUG", "--name", "--gs1-prefix"]),
    (["tenants", "add-staff"], ["SLUG", "EMAIL", "--role", "claims_agent", "--password"]),
    (["catalog"], ["add-model"]),
    (["catalog", "add-model"], ["--gtin", "--name", "--warranty-months"]),
    (["units"], ["import"]),
    (["units", "import"], ["SLUG", "FILE"]),
    (["demo"], ["load"]),
    (["demo", "load"], ["--once"]),
    (["audit"], ["verify"]),
    (["audit", "verify"], ["audit chain"]),
    (["users"], ["create-admin"]),
    (["users", "create-admin"], ["EMAIL", "--password"]),
    (["worker"], ["--once", "--interval"]),
    (["epcis"], ["import"]),
    (["epcis", "import"], ["SLUG", "FILE", "--atomic"]),
]


@pytest.mark.parametrize(("command", "mentions"), HELP, ids=[" ".join(c) for c, _ in HELP])
def test_every_command_prints_its_help(app, command, mentions):
    result = app.test_cli_runner().invoke(args=[*command, "--help"])
    output = ok(result)
    assert output.startswith("Usage:")
    for word in mentions:
        assert word in output, (word, output)


def test_tenant_staff_and_model_can_be_set_up_from_the_command_line(app, cli):
    out = ok(cli("tenants", "create", "acme", "--name", "Acme Watches", "--gs1-prefix", "4012345",
                 "--gs1-prefix", "4099999"))
    assert "Created tenant acme (Acme Watches)." in out
    out = ok(cli("tenants", "add-staff", "acme", "Boss@Acme.test", "--role", "claims_agent",
                 "--password", PASSWORD))
    assert "Boss@Acme.test is claims_agent of acme." in out
    out = ok(cli("catalog", "add-model", "acme", "--gtin", GTIN.lstrip("0"), "--name", "Acme One",
                 "--warranty-months", "36"))
    assert f"Added Acme One with GTIN {GTIN}." in out
    out = ok(cli("users", "create-admin", "root@example.test", "--password", PASSWORD))
    assert "root@example.test is a platform admin." in out

    with app.app_context():
        tenant = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "acme"))
        assert [p.prefix for p in tenant.prefixes] == ["4012345", "4099999"]
        staff = db.session.scalar(select(StaffMembership).where(StaffMembership.manufacturer_id == tenant.id))
        assert (staff.user.email, staff.role) == ("boss@acme.test", Role.CLAIMS_AGENT)
        assert staff.user.check_password(PASSWORD)
        model = db.session.scalar(select(ProductModel).where(ProductModel.gtin == GTIN))
        assert (model.manufacturer_id, model.name, model.warranty_months) == (tenant.id, "Acme One", 36)
        assert db.session.scalar(select(User.is_platform_admin).where(User.email == "root@example.test"))
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["tenant.created", "staff.added", "model.added"]


@pytest.mark.parametrize(("args", "message"), [
    (["tenants", "create", "zeta", "--name", "Zeta", "--gs1-prefix", "40AB12"], "may contain digits only"),
    (["tenants", "create", "zeta", "--name", "Zeta", "--gs1-prefix", "123"], "4 to 12 digits, got 3"),
    (["tenants", "create", "Zeta Corp", "--name", "Zeta", "--gs1-prefix", "7000001"], "short name"),
    (["tenants", "create", "acme", "--name", "Again", "--gs1-prefix", "7000001"], "'acme' already exists"),
    (["tenants", "create", "zeta", "--name", "Zeta", "--gs1-prefix", "4012345"],
     "already belongs to a tenant"),
    (["tenants", "add-staff", "nope", "x@example.test", "--role", "admin", "--password", PASSWORD],
     "No tenant called 'nope'."),
    (["tenants", "add-staff", "acme", "new@example.test", "--role", "admin"], "give an initial password"),
    (["catalog", "add-model", "nope", "--gtin", gtin_for("4012345", 2), "--name", "X"],
     "No tenant called 'nope'."),
    (["catalog", "add-model", "acme", "--gtin", bad_check(gtin_for("4012345", 2)), "--name", "X"],
     "check digit should be"),
    (["catalog", "add-model", "acme", "--gtin", gtin_for("5012345", 2), "--name", "X"],
     "does not carry one of your GS1 company prefixes"),
    (["catalog", "add-model", "acme", "--gtin", GTIN, "--name", "Twice"], "already exists"),
], ids=["prefix-letters", "prefix-short", "bad-slug", "dup-tenant", "prefix-taken", "staff-unknown-tenant",
        "staff-no-password", "model-unknown-tenant", "model-check-digit", "model-foreign-prefix",
        "model-dup"])
def test_refused_setup_command_exits_nonzero_with_the_reason_and_stores_nothing(app, cli, args, message):
    acme(cli)
    tables = (Manufacturer, CompanyPrefix, ProductModel, User, StaffMembership, AuditEntry)
    before = [count(app, m) for m in tables]
    result = cli(*args)
    assert result.exit_code != 0
    assert "Error: " in result.output and message in result.output, result.output
    assert "Traceback" not in result.output
    assert [count(app, m) for m in tables] == before


def test_units_import_prints_the_summary_and_each_rejected_row_and_a_rerun_adds_nothing(app, cli, tmp_path):
    acme(cli)
    path = tmp_path / "units.csv"
    path.write_text("gtin,serial,lot,manufactured_on,parent_gtin,parent_serial,nfc_uid\n"
                    f"{GTIN},A-0001,L1,2025-01-02,,,\n"
                    f"{GTIN},A-0002,L1,2025-01-02,,,\n"
                    f"{GTIN},A 0003,L1,2025-01-02,,,\n"
                    f"{BAD_CHECK},A-0004,L1,2025-01-02,,,\n", encoding="utf-8")

    first = ok(cli("units", "import", "acme", str(path)))
    assert "2 added, 0 already present, 2 rejected" in first
    assert "  line 4: Serial contains a character GS1 does not allow: ' ' (space)" in first
    assert "  line 5: GTIN check digit should be" in first
    assert count(app, Unit) == 2

    second = ok(cli("units", "import", "acme", str(path)))
    assert "0 added, 2 already present, 2 rejected" in second
    assert count(app, Unit) == 2
    assert count(app, AuditEntry, AuditEntry.action == "units.imported") == 2


def test_units_import_refuses_a_bad_header_or_unknown_tenant_without_storing(app, cli, tmp_path):
    acme(cli)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"gtin;serial\n{GTIN};A-1\n", encoding="utf-8")
    result = cli("units", "import", "acme", str(bad))
    assert result.exit_code != 0 and "Error: The header must be" in result.output
    good = tmp_path / "good.csv"
    good.write_text(f"gtin,serial\n{GTIN},A-1\n", encoding="utf-8")
    result = cli("units", "import", "nope", str(good))
    assert result.exit_code != 0 and "No tenant called 'nope'." in result.output
    assert count(app, Unit) == 0


def test_demo_load_loads_once_and_prints_the_demo_sign_ins(app, cli):
    out = ok(cli("demo", "load"))
    assert "Demo data loaded." in out
    for email, what, _ in DEMO_SIGN_INS:
        assert email in out and what in out
    units, audits = count(app, Unit), count(app, AuditEntry)
    assert units > 5000
    assert count(app, Manufacturer, Manufacturer.slug.in_(["vautrin", "velora"])) == 2

    again = ok(cli("demo", "load", "--once"))
    assert "loaded" not in again
    assert all(email in again for email, _, _ in DEMO_SIGN_INS)
    assert "already loaded" in ok(cli("demo", "load"))
    assert (count(app, Unit), count(app, AuditEntry)) == (units, audits)


def test_worker_once_delivers_nothing_and_stops_when_the_outbox_is_empty(cli):
    assert ok(cli("worker", "--once")) == ""


def test_audit_verify_reports_an_intact_chain(app, cli):
    build_world(app)
    entries = count(app, AuditEntry)
    assert entries > 5
    out = ok(cli("audit", "verify"))
    assert f"Audit chain intact: {entries} entries." in out


def middle_entry(app) -> int:
    with app.app_context():
        ids = db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    return ids[len(ids) // 2]


def raw_sql(app, sql: str, **params) -> None:
    """Tampering behind the application's back, as an attacker with database access would."""
    with app.app_context():
        db.session.execute(text(sql), params)
        db.session.commit()


@pytest.mark.parametrize(("column", "value"), [
    ("detail", '{"email": "intruder@example.test"}'),
    ("actor_label", "someone-else"),
    ("action", "tenant.deleted"),
])
def test_audit_verify_exits_1_naming_an_edited_entry(app, cli, column, value):
    build_world(app)
    victim = middle_entry(app)
    raw_sql(app, f"UPDATE audit_entries SET {column} = :value WHERE id = :id", value=value, id=victim)

    result = cli("audit", "verify")
    assert result.exit_code == 1, result.output
    assert f"Audit chain broken at entry {victim}: its content no longer matches its hash" in result.output
    assert "intact:" not in result.output


def test_audit_verify_exits_1_when_an_entry_in_the_middle_was_deleted(app, cli):
    build_world(app)
    victim = middle_entry(app)
    with app.app_context():
        successor = db.session.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.id > victim))
        intact_before = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.id < victim))
    raw_sql(app, "DELETE FROM audit_entries WHERE id = :id", id=victim)

    result = cli("audit", "verify")
    assert result.exit_code == 1, result.output
    assert f"broken at entry {successor}: it does not link to the entry before it" in result.output
    assert f"{intact_before} entries before it are intact" in result.output


def test_commands_run_under_the_plain_test_cli_runner(app):
    result = app.test_cli_runner().invoke(args=["tenants", "create", "zeta", "--name", "Zeta",
                                                "--gs1-prefix", "7000001"])
    assert result.exit_code == 0, result.exception
    assert count(app, Manufacturer) == 1
