"""Backups of the whole database, with a manifest that restore checks before and after.

SQLite is copied page by page through its online backup API (writers keep going meanwhile); PostgreSQL
through `pg_dump -Fc` from one exported snapshot, so the manifest's row counts describe exactly the rows in
the dump. Restore refuses a backup of a schema newer than this code's migrations, and afterwards compares
every table's row count with the manifest.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from alembic.util import CommandError
from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from portal.core.audit_head import write_checkpoint
from portal.core.db import utcnow
from portal.extensions import db
from portal.ops.health import code_heads, migration_scripts

MANIFEST = "manifest.json"
FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """The backup or restore was refused or failed; the message says why and what to do."""


def create_backup(path: Path | None = None) -> dict:
    """Write the database and its manifest into `path` (a new or empty folder); return the manifest."""
    kind = db.engine.dialect.name
    if kind not in FILES:
        raise BackupError(f"Backups of {kind} databases are not supported.")
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    folder = Path(path) if path else _default_folder() / stamp
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty; name a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / FILES[kind]
    # The audit chain's head, signed, taken just before the dump so the dump holds that entry; it is also
    # appended to the checkpoint file (portal.core.audit_head, docs/console.md).
    audit_head = write_checkpoint()
    db.session.remove()
    tables, revision = _backup_sqlite(target) if kind == "sqlite" else _backup_postgresql(target)
    manifest = {
        "format": 1,
        "created_at": utcnow().isoformat(timespec="seconds"),
        "database": kind,
        "revision": revision,
        "file": target.name,
        "bytes": target.stat().st_size,
        "sha256": _sha256(target),
        "tables": tables,
        "audit_head": audit_head,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for p in (target, folder / MANIFEST):
        p.chmod(0o600)  # the database holds password hashes and encrypted keys
    return {**manifest, "path": str(folder)}


def check_restorable(path: Path) -> dict:
    """The manifest, once the file is intact and its schema is one this code knows (same or older)."""
    manifest_file = Path(path) / MANIFEST
    if not manifest_file.is_file():
        raise BackupError(f"{path} has no {MANIFEST}; it is not a Provenance backup.")
    manifest = json.loads(manifest_file.read_text())
    kind = db.engine.dialect.name
    if manifest["database"] != kind:
        raise BackupError(f"This is a {manifest['database']} backup; the configured database is {kind}.")
    data = Path(path) / manifest["file"]
    if not data.is_file() or _sha256(data) != manifest["sha256"]:
        raise BackupError(f"{data} is missing or damaged (its checksum does not match the manifest).")
    scripts = migration_scripts()
    try:
        known = all(scripts.get_revision(r) is not None for r in manifest["revision"].split(","))
    except CommandError:
        known = False
    if not known:
        raise BackupError(f"The backup is of schema revision {manifest['revision']}, newer than this version of "
                          "Provenance knows. Upgrade Provenance first, then restore.")
    return manifest


def current_rows() -> int:
    """Rows in the configured database now (0 for a fresh one): what a restore would overwrite."""
    with db.engine.connect() as conn:
        return sum(_count_all(conn).values())


def restore_backup(path: Path, manifest: dict | None = None) -> dict:
    """Replace the configured database with the backup, then check every table's count against the manifest.
    `manifest`: what check_restorable already returned for `path` (reading the dump twice for its checksum
    would double a large restore's reading)."""
    manifest = manifest or check_restorable(path)
    data = Path(path) / manifest["file"]
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the old database open
    if manifest["database"] == "sqlite":
        _sqlite_copy(data, db.engine.url.database)
    else:
        conninfo, env = libpq(db.engine.url)
        # pg_restore --clean cannot drop a partition's inherited constraints (the monthly scans), so the restore
        # runs as one psql transaction: drop every table the database holds now, then the dump's own script.
        # An error anywhere rolls all of it back and the database stays as it was.
        script = _run([pg_binary("pg_restore"), "--no-owner", "--no-privileges", "-f", "-", str(data)], env)
        _run([pg_binary("psql"), "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1", "-d", conninfo], env,
             stdin=_drop_all_tables_sql() + script)
    db.engine.dispose()
    with db.engine.connect() as conn:
        found = _count_all(conn)
    wrong = {t: (n, found.get(t)) for t, n in manifest["tables"].items() if found.get(t) != n}
    if wrong:
        raise BackupError(f"Restored, but row counts differ from the manifest (table: expected, found): {wrong}")
    return {"tables": len(found), "rows": sum(found.values()), "revision": manifest["revision"],
            "behind": set(manifest["revision"].split(",")) != set(code_heads())}


def _sqlite_copy(source_path, target_path) -> None:
    """SQLite's online backup: a consistent copy even while the source is in use."""
    with sqlite3.connect(source_path) as source, sqlite3.connect(target_path) as dest:
        source.backup(dest)
    source.close()
    dest.close()


def _backup_sqlite(target: Path) -> tuple[dict, str]:
    _sqlite_copy(db.engine.url.database, target)
    copy = sqlite3.connect(target)  # counted from the copy itself: exactly what the backup holds
    try:
        names = [r[0] for r in copy.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        tables = {n: copy.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        revision = ",".join(sorted(r[0] for r in copy.execute("SELECT version_num FROM alembic_version")))
    except sqlite3.OperationalError as err:
        raise BackupError(f"The database is not migrated ({err}); there is nothing to back up.") from None
    finally:
        copy.close()
    return tables, revision


def _backup_postgresql(target: Path) -> tuple[dict, str]:
    conninfo, env = libpq(db.engine.url)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        # pg_dump reads the very snapshot the counts below read, so the manifest matches the dump exactly.
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        tables = _count_all(conn)
        if "alembic_version" not in tables:
            raise BackupError("The database is not migrated; there is nothing to back up.")
        revision = ",".join(sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()))
        _run([pg_binary("pg_dump"), "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
              "-f", str(target), "-d", conninfo], env)
        conn.rollback()
    return tables, revision


def _count_all(conn) -> dict[str, int]:
    names = sorted(inspect(conn).get_table_names())
    return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


def libpq(url: URL) -> tuple[str, dict]:
    """A libpq connection string for the SQLAlchemy URL; the password travels in the environment only."""
    params = {"dbname": url.database, "user": url.username, "host": url.host or url.query.get("host"),
              "port": url.port or url.query.get("port")}
    params.update({k: v for k, v in url.query.items() if k in ("sslmode", "sslrootcert", "sslcert", "sslkey")})
    conninfo = " ".join(f"{k}={_quote(str(v))}" for k, v in params.items() if v)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return conninfo, env


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pg_binary(name: str) -> str:
    """POSTGRES_BIN_DIR, else the PATH, else the newest /usr/lib/postgresql/<version>/bin (Debian)."""
    folder = current_app.config.get("POSTGRES_BIN_DIR")
    if folder and (Path(folder) / name).is_file():
        return str(Path(folder) / name)
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if not found:
        raise BackupError(f"PostgreSQL's {name} was not found; install the PostgreSQL client or set POSTGRES_BIN_DIR.")
    return found


def _run(cmd: list[str], env: dict, *, stdin: str | None = None) -> str:
    result = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def _drop_all_tables_sql() -> str:
    """DROP statements for every table of the portal's schemas as they are now (partitions go with their
    parent), and for the schemas the dump creates itself."""
    with db.engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', "
            "'information_schema') AND n.nspname NOT LIKE 'pg_toast%'")).scalars().all()
        schemas = conn.execute(text(
            "SELECT format('%I', nspname) FROM pg_namespace WHERE nspname NOT IN ('public', 'pg_catalog', "
            "'information_schema') AND nspname NOT LIKE 'pg_%'")).scalars().all()
    db.engine.dispose()
    drops = [f"DROP TABLE IF EXISTS {name} CASCADE;" for name in tables]
    drops += [f"DROP SCHEMA IF EXISTS {name} CASCADE;" for name in schemas]
    return "\n".join(drops) + "\n"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _default_folder() -> Path:
    return Path(current_app.config.get("BACKUP_FOLDER") or Path(current_app.instance_path) / "backups")
