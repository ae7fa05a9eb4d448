"""Operator commands: `flask --app portal <group> <command> --help`."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from portal.accounts.second_factor import code_for, secret_from_text, step_at
from portal.accounts.services import add_staff, create_user
from portal.authenticity.cli import register_authenticity_cli
from portal.authenticity.nfc_cli import register_nfc_cli
from portal.authenticity.partitions import check_due as scan_months_due
from portal.authenticity.partitions import ensure_scan_partitions
from portal.authenticity.sheets import pending_runs, render_run
from portal.catalog.epcis.cli import register_epcis_cli
from portal.catalog.epcis.jobs import pending_capture_jobs, run_capture_job
from portal.catalog.import_jobs import pending_import_jobs, run_import_job
from portal.catalog.importer import import_units_csv
from portal.catalog.models import Manufacturer
from portal.catalog.services import add_model, create_tenant
from portal.core import staging
from portal.core.audit import verify_chain
from portal.core.audit_head import checkpoint_due, newest_checkpoint, verify_head, write_checkpoint
from portal.core.db import utcnow
from portal.core.work import run_for_cli
from portal.demo import DEMO_SIGN_INS, DEMO_TOTP_SECRET, demo_present, load_demo
from portal.extensions import db
from portal.insights.refresh import due as insights_due
from portal.insights.refresh import refresh as refresh_insights
from portal.notifications.services import deliver_due
from portal.ops.heartbeat import beat
from portal.resale.marketplace import sweep as sweep_webhooks
from portal.resale.marketplace import sweep_due as webhooks_sweep_due


def _tenant(slug: str):
    tenant = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug))
    if tenant is None:
        raise click.ClickException(f"No tenant called {slug!r}.")
    return tenant


_run = run_for_cli

def init_app(app: Flask) -> None:
    """The operator commands of the catalog, tenants, demo, audit and users, and those areas hand in."""
    tenants = AppGroup("tenants", help="Manufacturer tenants and their staff.")
    catalog = AppGroup("catalog", help="Product models.")
    units = AppGroup("units", help="Serialized units.")
    demo = AppGroup("demo", help="Demonstration data.")
    audit_group = AppGroup("audit", help="The hash-chained audit log.")
    users = AppGroup("users", help="Accounts.")

    @tenants.command("create")
    @click.argument("slug")
    @click.option("--name", required=True, help="The manufacturer's name.")
    @click.option("--gs1-prefix", "prefixes", required=True, multiple=True, help="A GS1 company prefix (repeatable).")
    def tenants_create(slug, name, prefixes):
        """Open a manufacturer tenant."""
        tenant = _run(lambda: create_tenant(slug, name, list(prefixes), actor="cli"))
        click.echo(f"Created tenant {tenant.slug} ({tenant.name}).")

    @tenants.command("add-staff")
    @click.argument("slug")
    @click.argument("email")
    @click.option("--role", required=True, type=click.Choice(["admin", "claims_agent", "recall_manager", "analyst"]))
    @click.option("--password", help="Initial password when the account is new.")
    def tenants_add_staff(slug, email, role, password):
        """Give a person a role in a tenant (creating the account if needed)."""
        _run(lambda: add_staff(_tenant(slug), email, role, password=password, actor="cli"))
        click.echo(f"{email} is {role} of {slug}.")

    @catalog.command("add-model")
    @click.argument("slug")
    @click.option("--gtin", required=True)
    @click.option("--name", required=True)
    @click.option("--warranty-months", type=int, default=24, show_default=True)
    def catalog_add_model(slug, gtin, name, warranty_months):
        """Add a product model to a tenant's catalog."""
        model = _run(lambda: add_model(_tenant(slug), gtin=gtin, name=name, warranty_months=warranty_months,
                                       actor="cli"))
        click.echo(f"Added {model.name} with GTIN {model.gtin}.")

    @units.command("import")
    @click.argument("slug")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def units_import(slug, file: Path):
        """Import units from a CSV file; rejected rows are reported, good rows kept."""
        tenant = _tenant(slug)
        lines = sum(1 for _ in file.open("rb")) - 1
        started = time.perf_counter()
        with click.progressbar(length=max(lines, 0) * 2, label="Importing", file=sys.stderr,
                               show_pos=True) as bar:
            def progress(stage: str, n: int) -> None:
                if stage in ("checked", "staged"):
                    bar.update(n)

            with file.open(encoding="utf-8-sig", newline="") as handle:
                report = _run(lambda: import_units_csv(tenant, handle, actor="cli", progress=progress))
            bar.update(bar.length - bar.pos)
        took = time.perf_counter() - started
        click.echo(f"{report.added} added, {report.unchanged} already present, {len(report.rejected)} rejected "
                   f"({took:.1f} s).")
        for line, message in report.rejected[:200]:
            click.echo(f"  line {line}: {message}")
        if len(report.rejected) > 200:
            click.echo(f"  ... and {len(report.rejected) - 200} more")

    @demo.command("load")
    @click.option("--once", is_flag=True, help="Do nothing when the demo data is already there.")
    def demo_load(once):
        """Load demonstration tenants, models, units and owners."""
        if demo_present():
            if not once:
                click.echo("Demo data is already loaded.")
        else:
            _run(load_demo)
            click.echo("Demo data loaded.")
        click.echo("Demo sign-ins (password for all: " + DEMO_SIGN_INS[0][2] + "):")
        for email, what, _ in DEMO_SIGN_INS:
            click.echo(f"  {email:<28} {what}")
        click.echo(f"Staff and the platform admin also give a code: add the key {DEMO_TOTP_SECRET} to an "
                   "authenticator app, or run `flask --app portal demo code`.")

    @demo.command("code")
    def demo_code():
        """Print the second-factor code the demo staff's authenticator would show now."""
        click.echo(code_for(secret_from_text(DEMO_TOTP_SECRET), step_at(utcnow())))

    @audit_group.command("verify")
    @click.option("--manifest", "manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Also check the chain reaches the head recorded in this backup manifest.")
    def audit_verify(manifest: Path | None):
        """Check the audit chain and its head; exits 1 and says what was altered or removed (docs/console.md)."""
        report = verify_chain()
        if not report.ok:
            click.echo(f"Audit chain broken at entry {report.broken_at}: {report.reason}. "
                       f"{report.checked} entries before it are intact.", err=True)
            raise SystemExit(1)
        anchors = [("the newest checkpoint", newest_checkpoint())]
        if manifest is not None:
            anchors.append((f"the backup manifest {manifest}", json.loads(manifest.read_text()).get("audit_head")))
        for name, checkpoint in anchors:
            if checkpoint is None:
                if name.startswith("the backup"):
                    click.echo(f"Audit head not checked: {name} records no audit head.", err=True)
                    raise SystemExit(1)
                click.echo("No audit checkpoint yet: removal of the newest entries cannot be detected until "
                           "`flask --app portal audit checkpoint` (or the worker, or a backup) writes one.", err=True)
                continue
            why = verify_head(checkpoint)
            if why:
                click.echo(f"Audit chain truncated or replaced: {why} (checked against {name}).", err=True)
                raise SystemExit(1)
        head = anchors[0][1]
        since = f"; head anchored by the checkpoint of {head['at']} (entry {head['entry_id']})" if head else ""
        click.echo(f"Audit chain intact: {report.checked} entries{since}.")

    @audit_group.command("checkpoint")
    def audit_checkpoint():
        """Record the audit chain's head, signed, in the checkpoint file (the worker does this on a schedule)."""
        checkpoint = write_checkpoint()
        click.echo(f"Audit checkpoint: entry {checkpoint['entry_id']}, {checkpoint['count']} entries.")

    @users.command("create-admin")
    @click.argument("email")
    @click.option("--password", required=True)
    def users_create_admin(email, password):
        """Create a platform admin (who may open tenants)."""
        def work():
            user = create_user(email, password, verified=True)
            user.is_platform_admin = True
            return user

        _run(work)
        click.echo(f"{email} is a platform admin.")

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Do what is due, then stop.")
    @click.option("--interval", default=2.0, show_default=True, help="Seconds between polls when idle.")
    def worker(once, interval):
        """Deliver notifications from the outbox, render queued label sheets, run queued imports and keep the
        insights' summary up to date."""
        while True:
            try:
                beat()  # /readyz reads it: a worker stuck or gone shows within WORKER_HEARTBEAT_MAX_AGE
                for run_id in pending_runs():
                    render_run(run_id)
                for job_id in pending_import_jobs():
                    run_import_job(job_id)
                for job_id in pending_capture_jobs():  # EPCIS captures (portal.catalog.epcis.jobs)
                    run_capture_job(job_id)
                if checkpoint_due():
                    write_checkpoint()  # anchors the audit chain's head (portal.core.audit_head)
                if scan_months_due() and ensure_scan_partitions():  # PostgreSQL: scans' months ahead
                    db.session.commit()
                if staging.purge_due() and staging.purge_expired():  # uploads staged more than a day ago
                    db.session.commit()
                if insights_due():  # the insights' summary: what changed since the last round
                    refresh_insights()
                    db.session.commit()
                if webhooks_sweep_due() and sweep_webhooks():  # proofs expired or recalled: their webhooks
                    db.session.commit()
                sent = deliver_due()
            except Exception as exc:  # noqa: BLE001 - a passing database hiccup must not stop delivery
                db.session.rollback()
                if once:
                    raise click.ClickException(str(exc)) from None
                click.echo(f"worker: {exc}; retrying in {interval * 5:.0f} s", err=True)
                time.sleep(interval * 5)
                continue
            if sent:
                click.echo(f"sent {sent}")
            if once:
                break
            if not sent:
                time.sleep(interval)

    @app.cli.command("purge-staged-uploads")
    def purge_staged_uploads():
        """Delete files sent with forms that were never accepted, once a day old (the worker does it too)."""
        purged = _run(staging.purge_expired)
        click.echo(f"{purged} staged upload(s) purged.")

    for group in (tenants, catalog, units, demo, audit_group, users):
        app.cli.add_command(group)


    register_authenticity_cli(app, _tenant, _run)

    register_nfc_cli(app, _tenant, _run)


    register_epcis_cli(app, _tenant, _run)
