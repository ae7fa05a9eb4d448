"""Upgrading a database that already holds data keeps every row (SQLite rebuilds tables in batch mode)."""
import flask_migrate
import pytest
from sqlalchemy import text

from portal import create_app
from portal.extensions import db


def test_upgrading_from_the_first_revisions_keeps_units_and_owners(tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("only SQLite rebuilds tables to alter them; PostgreSQL alters them in place")
    app = create_app({"SECRET_KEY": "x", "KEY_ENCRYPTION_KEY": "zxdrC0Zt2Oa7J7wKfZC8m5Q4cS7Vv3I0b3Jx6p0n9dA=",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "UPLOAD_FOLDER": str(tmp_path)})
    with app.app_context():
        flask_migrate.upgrade(revision="0003")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO manufacturers (id, slug, name, created_at, clone_window_minutes, "
                              "clone_max_clients, clone_max_kmh, clone_max_strangers) "
                              "VALUES (1, 'old', 'Old Maker', '2025-01-01', 60, 8, 900, 3)"))
            conn.execute(text("INSERT INTO product_models (id, manufacturer_id, gtin, name, description, "
                              "warranty_months, created_at) VALUES (1, 1, '04012345000016', 'Old', '', 24, '2025-01-01')"))
            conn.execute(text("INSERT INTO users (id, email, name, password_hash, is_platform_admin, created_at, "
                              "failed_signins, auth_version) VALUES (1, 'o@example.test', '', 'x', 0, '2025-01-01', 0, 1)"))
            for i in range(1, 11):
                conn.execute(text("INSERT INTO units (id, manufacturer_id, model_id, serial, status, created_at) "
                                  "VALUES (:i, 1, 1, :s, 'active', '2025-01-01')"), {"i": i, "s": f"S{i}"})
            conn.execute(text("INSERT INTO ownerships (unit_id, owner_id, since, source, ended_reason, retailer) "
                              "VALUES (3, 1, '2025-02-01', 'registration', '', '')"))
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM units")).scalar() == 10
            assert conn.execute(text("SELECT count(*) FROM ownerships")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()
