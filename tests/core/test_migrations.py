"""The migrations build exactly the schema the models describe, on this run's database."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_migrated_schema_has_no_pending_autogenerate_diff(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_current_ownership_index_is_partial_and_unique(app):
    """Invariant 2 (docs/architecture.md) lives in the database: the index only covers rows without an end."""
    from sqlalchemy import inspect

    with app.app_context():
        indexes = {i["name"]: i for i in inspect(db.engine).get_indexes("ownerships")}
    current = indexes["uq_ownerships_current_unit"]
    assert current["unique"]
    where = current.get("dialect_options", {})
    assert any("until IS NULL" in str(v).replace('"', "") for v in where.values()), where
