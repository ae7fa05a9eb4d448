"""Liveness and readiness for load balancers and orchestrators.

/healthz answers as long as the process serves HTTP (it never touches the database), so a restart is only
ever triggered by a wedged process. /readyz says whether this machine should get traffic: the database
answers, its schema is at the code's migration head, and an outbox worker beat recently.
"""
from __future__ import annotations

from functools import lru_cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from portal.config import ROOT
from portal.core.db import utcnow
from portal.extensions import db, limiter
from portal.ops.heartbeat import newest_beat

bp = Blueprint("ops", __name__)


def migration_scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config)


@lru_cache(maxsize=1)
def code_heads() -> tuple[str, ...]:
    """The migration head(s) this code expects; read once per process from migrations/."""
    return tuple(sorted(migration_scripts().get_heads()))


def database_revision() -> tuple[str, ...]:
    rows = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return tuple(sorted(rows))


def readiness() -> dict[str, dict]:
    """Each check with ok and a short detail; a failing check never raises."""
    checks: dict[str, dict] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - the point is to report it
        db.session.rollback()
        checks["database"] = {"ok": False, "detail": type(exc).__name__}
        checks["migrations"] = {"ok": False, "detail": "database unreachable"}
        checks["worker"] = {"ok": False, "detail": "database unreachable"}
        return checks
    try:
        have, want = database_revision(), code_heads()
        checks["migrations"] = {"ok": have == want, "database": ",".join(have) or None, "code": ",".join(want)}
    except Exception as exc:  # noqa: BLE001 - no alembic_version table: never migrated
        db.session.rollback()
        checks["migrations"] = {"ok": False, "detail": f"no migration recorded ({type(exc).__name__})"}
    checks["worker"] = worker_check()
    db.session.rollback()
    return checks


def worker_check() -> dict:
    limit = current_app.config.get("WORKER_HEARTBEAT_MAX_AGE") or 0
    if not limit:
        return {"ok": True, "detail": "not checked (WORKER_HEARTBEAT_MAX_AGE is 0)"}

    try:
        newest = newest_beat()
    except Exception as exc:  # noqa: BLE001 - table missing before the migration ran
        db.session.rollback()
        return {"ok": False, "detail": type(exc).__name__}
    if newest is None:
        return {"ok": False, "detail": "no worker has ever beaten"}
    age = (utcnow() - newest).total_seconds()
    return {"ok": age <= limit, "age_seconds": round(age, 1), "max_age_seconds": limit}


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = readiness()
    ok = all(c["ok"] for c in checks.values())
    return jsonify({"status": "ok" if ok else "unavailable", "checks": checks}), 200 if ok else 503
