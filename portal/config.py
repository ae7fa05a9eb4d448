"""Settings: defaults here, then `instance/config.py`, then `PORTAL_*` environment variables.

Every setting is documented in docs/configuration.md. Tests pass an explicit mapping to
`create_app` and never read the developer's instance folder.
"""
from __future__ import annotations

import ast
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    #: SQLAlchemy URL; `DATABASE_URL` overrides. Empty means the SQLite file in instance/.
    DATABASE_URL = ""
    SECRET_KEY = ""
    #: Fernet key that encrypts private signing keys at rest.
    KEY_ENCRYPTION_KEY = ""
    #: Public base URL, used in e-mails and printed codes.
    BASE_URL = "http://127.0.0.1:5000"
    #: Where uploads are kept (outside the web root). Empty means instance/uploads.
    UPLOAD_FOLDER = ""
    #: Largest proof of purchase accepted, in bytes.
    MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    #: Largest request body, in bytes (CSV imports are the largest).
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    #: Largest picture accepted, in pixels (width x height): a 24-megapixel phone photo (6000 x 4000), about
    #: 100 MB to decode; larger ones are refused from their header, before any decoding (docs/security.md).
    MAX_IMAGE_PIXELS = 24_000_000
    #: Days scan records are kept; `flask --app portal privacy purge-scans` deletes older ones.
    SCAN_RETENTION_DAYS = 395
    #: Outgoing mail: empty MAIL_SERVER prints mail to the log instead of sending it.
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "Provenance <no-reply@provenance.example>"
    #: Where messages go as .eml files while MAIL_SERVER is empty; empty means instance/mail.
    MAIL_FOLDER = ""
    #: Try to deliver a request's notifications right after it commits (the worker retries failures).
    MAIL_DELIVER_AFTER_REQUEST = True
    #: Signed checkpoints of the audit chain's head (docs/console.md); empty means instance/audit-checkpoints.jsonl.
    #: Keep it where the database's users cannot write (it is the witness that the log's end is whole).
    AUDIT_CHECKPOINT_FILE = ""
    #: How often the worker writes a checkpoint; backups and `flask audit checkpoint` write one too.
    AUDIT_CHECKPOINT_MINUTES = 60
    #: Password KDF as Werkzeug names it: scrypt with N=2^15, r=8, p=1.
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"
    #: Time zone whose calendar dates decide warranty coverage (IANA name).
    WARRANTY_TIMEZONE = "Europe/Zurich"
    #: Working days a claim may wait before the claims desk highlights it.
    CLAIM_SERVICE_TARGET_DAYS = 3
    #: Hours a transfer code stays valid.
    TRANSFER_CODE_HOURS = 72
    #: Sign-in throttle per account: failures allowed before the account cools down.
    SIGNIN_MAX_FAILURES = 5
    SIGNIN_COOLDOWN_SECONDS = 300
    #: Flask-Limiter: per-address limits and their store (memory://, or redis://... for several processes).
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_SIGNIN = "10 per minute"
    RATELIMIT_PUBLIC = "120 per minute"
    #: Typed lookups: no-match answers per address that may offer "Did you mean" serials (authenticity/typed.py).
    RATELIMIT_SUGGESTIONS = "20 per hour"
    #: Cookies: secure by default; `make run` turns SESSION_COOKIE_SECURE off for plain http on 127.0.0.1.
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: Send Strict-Transport-Security (turn on behind HTTPS).
    HSTS = False
    WTF_CSRF_TIME_LIMIT = None
    #: Server databases: connections kept per process, extra ones allowed at a peak, their lifetime (s), and
    #: how long to wait for a connection to a server that does not answer (s). See docs/deploy.md for sizing.
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 10
    DATABASE_POOL_RECYCLE = 1800
    DATABASE_CONNECT_TIMEOUT = 5
    #: Logs: "json" (one object per line; deploy/gunicorn.conf.py picks it) or "text"; level; a line per request.
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"
    LOG_REQUESTS = True
    #: Answer cookie-less JSON verdicts ahead of Flask's request machinery (authenticity/fastpath.py).
    VERDICT_FAST_PATH = True
    #: Proxies in front of the portal (nginx: 1) whose X-Forwarded-For entries are trusted (and the nearest
    #: one's X-Forwarded-Proto/-Host/-Port); 0: none.
    PROXY_FIX_HOPS = 0
    #: Bearer token that opens /metrics to scrapers on other machines (from 127.0.0.1 it is always open).
    METRICS_TOKEN = ""
    #: /readyz fails when no outbox worker beat within this many seconds; 0 leaves the worker out of it.
    WORKER_HEARTBEAT_MAX_AGE = 120
    #: Seconds a client is told to wait (Retry-After) while the database is unreachable.
    OUTAGE_RETRY_AFTER = 30
    #: Backups: where `backup create` writes without a PATH (empty: instance/backups), and the folder of
    #: pg_dump/pg_restore when they are not on the PATH or under /usr/lib/postgresql/<version>/bin.
    BACKUP_FOLDER = ""
    POSTGRES_BIN_DIR = ""


def settings_from_defaults() -> dict:
    return {k: v for k, v in vars(Defaults).items() if k.isupper()}


def settings_from_environment(environ: os._Environ | dict) -> dict:
    """PORTAL_X=... overrides setting X; values are read as Python literals when they parse."""
    found: dict = {}
    for key, raw in environ.items():
        if key.startswith("PORTAL_") and key != "PORTAL_INSTANCE_PATH":
            found[key.removeprefix("PORTAL_")] = _literal(raw)
    if environ.get("DATABASE_URL"):
        found["DATABASE_URL"] = environ["DATABASE_URL"]
    return found


def _literal(raw: str):
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw


def ensure_instance_config(instance: Path) -> Path:
    """Write instance/config.py with fresh secrets the first time the portal starts."""
    from cryptography.fernet import Fernet

    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "config.py"
    if not path.exists():
        path.write_text(
            "# Generated on first start. Keep it secret; back it up with the database.\n"
            f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
            f"KEY_ENCRYPTION_KEY = {Fernet.generate_key().decode()!r}\n"
        )
        path.chmod(0o600)
    return path
