"""Launch a recall over a large installed base and compare it with the bare INSERT ... SELECT it contains.

    .venv/bin/python bench/recall_launch.py --units 100000 --owners 50000                 # quick, SQLite
    .venv/bin/python bench/recall_launch.py --units 100000 --owners 50000 --postgresql    # quick, PostgreSQL
    .venv/bin/python bench/recall_launch.py                       # full: 1,000,000 units, 500,000 owners
    .venv/bin/python bench/recall_launch.py --postgresql

Units land through the real CSV importer; owners (all verified) and their ownerships are data
preparation and go in with set-based INSERT ... SELECT. Each owner holds units/owners units. Then, in
the same database:

* bare: one `INSERT INTO recall_units ... SELECT` of the same affected units for a second draft campaign
  (timed with its commit, then deleted again);
* launch: `portal.recalls.services.launch` of a campaign naming the model (counted by assembly, the
  default; the units have no parents), timed with its commit: affected units, in-portal notices, outbox rows,
  units marked notified.

Prints both, their ratio (the target is launch <= 2x bare) and the launch's statements by time.
On PostgreSQL the tables are ANALYZEd after loading (what autovacuum does after a bulk load); SQLite
is left as a real SQLite database is, without statistics.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--owners", type=int, default=500_000)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    if not 0 < args.owners <= args.units:
        parser.error("need 0 < owners <= units")

    cluster = None
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    if args.postgresql:
        from tests.pgcluster import Cluster

        cluster = Cluster(port=5498).start()
        url = cluster.create_database("bench")
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        run(url, args.units, args.owners, tmp)
    finally:
        if cluster:
            cluster.stop()


def bench_app(url: str, tmp: Path, **extra):
    import flask_migrate

    from portal import create_app

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "UPLOAD_FOLDER": str(tmp),
                      "MAIL_DELIVER_AFTER_REQUEST": False, "BASE_URL": "http://portal.bench", **extra})
    with app.app_context():
        flask_migrate.upgrade()
    return app


def prepare(units: int, owners: int, prefix: str = "4099999"):
    """A tenant, one model, `units` imported units and `owners` verified owners sharing them round-robin.

    Call inside an app context; commits. Returns (tenant, model).
    """
    from sqlalchemy import Boolean, bindparam, text

    from portal.catalog.importer import import_units_csv
    from portal.catalog.services import add_model, create_tenant
    from portal.core.db import UTCDateTime, utcnow
    from portal.demo import gtin_for
    from portal.extensions import db

    tenant = create_tenant(f"bench{prefix}", "Bench Bikes", [prefix], actor="bench")
    model = add_model(tenant, gtin=gtin_for(prefix, 1), name="Bench Bike", warranty_months=24, actor="bench")
    db.session.commit()

    started = time.perf_counter()
    csv_text = "gtin,serial,lot,manufactured_on\n" + "".join(
        f"{model.gtin},S{n:09d},L{n // 10_000},2025-01-01\n" for n in range(units))
    report = import_units_csv(tenant, io.StringIO(csv_text), actor="bench")
    db.session.commit()
    del csv_text
    print(f"  prepared {report.added:,} units (CSV importer) in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    conn = db.session.connection()
    pg = conn.dialect.name == "postgresql"
    now = bindparam("now", utcnow(), type_=UTCDateTime)
    no = bindparam("no", False, type_=Boolean)
    numbers = ("SELECT n FROM generate_series(1, :count) AS g(n)" if pg else
               "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count) SELECT n FROM g")
    first_user = conn.execute(text("SELECT COALESCE(MAX(id), 0) + 1 FROM users")).scalar_one()
    conn.execute(text(
        "INSERT INTO users (id, email, name, password_hash, email_verified_at, is_platform_admin, created_at, "
        "failed_signins, auth_version) "
        f"SELECT :first + n - 1, 'owner' || n || '@{prefix}.bench.test', 'Owner ' || n, '!', :now, :no, :now, 0, 1 "
        f"FROM ({numbers}) AS numbers").bindparams(now, no, first=first_user, count=owners))
    if pg:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users))"))
    conn.execute(text(
        "INSERT INTO ownerships (unit_id, owner_id, since, source, ended_reason, retailer) "
        "SELECT id, :first + (k % :owners), :now, 'registration', '', '' "
        "FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM units WHERE model_id = :model) AS numbered"
    ).bindparams(now, first=first_user, owners=owners, model=model.id))
    db.session.commit()
    print(f"  prepared {owners:,} owners and {units:,} ownerships (set-based) in "
          f"{time.perf_counter() - started:.1f} s")
    return tenant, model


#: The rest of a GPSR notice (Regulation (EU) 2023/988 Art. 36(2)), without which launch refuses.
WHOLE_NOTICE = {"remedy_instructions": "Bring the bike to a dealer.", "remedies": "repair,replace",
                "contact_phone": "0800 100 200", "share_request": "Please share this notice.",
                "product_image": "bench/bike.png", "identifier_location": "On the frame, under the bottom bracket.",
                "identifier_image": "bench/label.png", "sold_from": "2025-01-01", "sold_where": "Dealers",
                "sold_by": "Bench Bikes"}


class StatementClock:
    """Wall time per SQL statement while active (SQLAlchemy engine events; nothing is replaced)."""

    def __init__(self, engine):
        self.engine, self.times, self._started = engine, defaultdict(float), {}

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        self.times[" ".join(statement.split())[:110]] += took

    def __enter__(self):
        from sqlalchemy import event

        self._hooks = [("before_cursor_execute", self._before), ("after_cursor_execute", self._after)]
        for name, fn in self._hooks:  # keep the bound methods: event.remove needs the same objects
            event.listen(self.engine, name, fn)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        for name, fn in self._hooks:
            event.remove(self.engine, name, fn)


def run(url: str, units: int, owners: int, tmp: Path) -> None:
    from sqlalchemy import bindparam, func, select, text

    from portal.core.db import UTCDateTime, utcnow
    from portal.extensions import db
    from portal.notifications.models import Notification
    from portal.recalls.models import RecallNotice, RecallUnit
    from portal.recalls.services import launch, save_draft

    app = bench_app(url, tmp)
    with app.app_context():
        database = db.engine.dialect.name
        print(f"{database}: {units:,} affected units, {owners:,} owners")
        tenant, model = prepare(units, owners)
        if database == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()

        fields = {"title": "Brake cable may fray", "hazard": "Loss of braking",
                  "criteria": {"model_ids": [model.id]}, **WHOLE_NOTICE}
        campaign = save_draft(tenant, actor="bench", number="R-LAUNCH", **fields)
        scratch = save_draft(tenant, actor="bench", number="R-BARE", **fields)
        db.session.commit()

        # The bare statement: the same rows into recall_units for a draft that is never launched.
        bare_sql = text(
            "INSERT INTO recall_units (campaign_id, unit_id, state, joined_at, removed_reason, recorded_by, "
            "remedy_note, remedy_place, chosen_option) "
            "SELECT :campaign, id, 'open', :now, '', '', '', '', '' FROM units "
            "WHERE manufacturer_id = :tenant AND model_id = :model"
        ).bindparams(bindparam("now", utcnow(), type_=UTCDateTime), campaign=scratch.id, tenant=tenant.id,
                     model=model.id)
        started = time.perf_counter()
        bare_rows = db.session.execute(bare_sql).rowcount
        db.session.commit()
        bare = time.perf_counter() - started
        # The second floor: plain INSERT ... SELECTs of every row the launch writes (the units above, one
        # in-portal notice and one outbox row per owner), without targeting, reach or dedupe.
        owners_sql = "SELECT DISTINCT owner_id FROM ownerships WHERE unit_id IN (SELECT id FROM units WHERE model_id = :model)"
        db.session.execute(text("DELETE FROM recall_units WHERE campaign_id = :c"), {"c": scratch.id})
        db.session.commit()
        started = time.perf_counter()
        db.session.execute(bare_sql)
        db.session.execute(text(
            "INSERT INTO recall_notices (campaign_id, user_id, kind, round, created_at) "
            f"SELECT :campaign, owner_id, 'remedy', 0, :now FROM ({owners_sql}) AS o"
        ).bindparams(bindparam("now", utcnow(), type_=UTCDateTime), campaign=scratch.id, model=model.id))
        db.session.execute(text(
            "INSERT INTO notifications (dedupe_key, user_id, channel, recipient, template, subject, body_text, "
            "body_html, context, state, attempts, next_attempt_at, created_at, last_error) "
            "SELECT 'bare:' || users.id, users.id, 'email', users.email, 'recall_notice', 'Recall', '', '', '{}', "
            f"'dead', 0, :now, :now, '' FROM users JOIN ({owners_sql}) AS o ON o.owner_id = users.id"
        ).bindparams(bindparam("now", utcnow(), type_=UTCDateTime), model=model.id))
        db.session.commit()
        bare_all = time.perf_counter() - started
        db.session.execute(text("DELETE FROM notifications WHERE dedupe_key LIKE 'bare:%'"))
        db.session.execute(text("DELETE FROM recall_notices WHERE campaign_id = :c"), {"c": scratch.id})
        db.session.execute(text("DELETE FROM recall_units WHERE campaign_id = :c"), {"c": scratch.id})
        db.session.commit()
        if database == "postgresql":  # VACUUM runs outside a transaction block
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in ("recall_units", "recall_notices", "notifications"):
                    conn.execute(text(f"VACUUM ANALYZE {table}"))

        campaign = db.session.get(type(campaign), campaign.id)
        with StatementClock(db.engine) as clock:
            started = time.perf_counter()
            added = launch(campaign, remedy_available=True, actor="bench")
            committing = time.perf_counter()
            db.session.commit()
            took, commit = time.perf_counter() - started, time.perf_counter() - committing

        notices = db.session.scalar(select(func.count()).select_from(RecallNotice)
                                    .where(RecallNotice.campaign_id == campaign.id))
        mails = db.session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.dedupe_key.startswith(f"recall:{campaign.id}:")))
        notified = db.session.scalar(select(func.count()).select_from(RecallUnit).where(
            RecallUnit.campaign_id == campaign.id, RecallUnit.state == "notified"))
        assert added == bare_rows == units and notices == mails == owners and notified == units, \
            (added, bare_rows, notices, mails, notified)

        print(f"{database}: bare INSERT ... SELECT of {bare_rows:,} recall_units rows: {bare:.2f} s")
        print(f"{database}: launch(): {added:,} affected units, {notices:,} notices, {mails:,} outbox rows, "
              f"{notified:,} marked notified: {took:.2f} s")
        print(f"{database}: launch / bare = {took / bare:.2f}x (target <= 2x)")
        print(f"{database}: bare INSERT ... SELECTs of every row the launch writes ({bare_rows:,} units, "
              f"{notices:,} notices, {mails:,} outbox rows): {bare_all:.2f} s; launch / that = {took / bare_all:.2f}x")
        print(f"{database}: launch's statements by time:")
        for statement, seconds in sorted(clock.times.items(), key=lambda kv: -kv[1])[:6]:
            print(f"  {seconds:7.2f} s  {statement}")
        print(f"  {commit:7.2f} s  COMMIT")
        print(f"  {took - commit - sum(clock.times.values()):7.2f} s  (the rest: Python, ORM, smaller statements)")


if __name__ == "__main__":
    main()
