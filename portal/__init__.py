"""Provenance: the portal for serialized goods after the sale."""
from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.config import ROOT, ensure_instance_config, settings_from_defaults, settings_from_environment
from portal.core.db import render_migration_item
from portal.core.http import EscapedQuery
from portal.core.i18n import register_i18n, select_locale
from portal.core.urls import PortalFlask
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate

#: Every area wires itself: each module named here has `init_app(app)`, which registers its blueprints, console
#: pages, signal receivers, renderers and commands. They run in this order (docs/architecture.md, "Wiring").
AREAS: tuple[str, ...] = (
    "portal.web",  # first: the error pages and headers every later page relies on
    "portal.security",  # request guards ahead of every view (hostile JSON bodies)
    "portal.notifications",
    "portal.catalog",
    "portal.accounts",
    "portal.public",
    "portal.authenticity",
    "portal.resolver",  # the Digital Link paths (/01/...), the description file, the product page
    "portal.ownership",
    "portal.warranty",
    "portal.servicing",  # service history by authorised service centres (docs/resale.md, "Service partners")
    "portal.recalls",
    "portal.resale",  # ownership proofs for listings (docs/resale.md): reads ownership, warranty, recalls
    "portal.privacy",
    "portal.passport",  # before portal.api and portal.console, whose blueprints its endpoints and pages join
    "portal.api",
    "portal.epcis",  # the EPCIS 2.0 REST binding at /epcis (docs/epcis.md)
    "portal.insights",  # stock age, sell-through, reach, failure curves, reserve forecast (docs/insights.md)
    "portal.console",  # after every area that adds pages to the console blueprint: it registers it
    "portal.cli",
)


def create_app(config: dict | None = None) -> Flask:
    """Build the application. With `config`, only defaults and that mapping apply (tests use this)."""
    instance = Path(os.environ.get("PORTAL_INSTANCE_PATH", ROOT / "instance"))
    app = PortalFlask(
        __name__,
        instance_path=str(instance),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings_from_defaults())
    if config is None:
        ensure_instance_config(instance)
        app.config.from_pyfile(str(instance / "config.py"))
        app.config.update(settings_from_environment(os.environ))
    else:
        app.config.update(config)
    _derive_settings(app, instance)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True,
                     render_item=render_migration_item)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "portal" / "translations"))
    register_i18n(app)

    # Imported here, not at the top: every module of the package imports `portal` first. `models` registers every
    # table before anything queries.
    from portal import models, ops  # noqa: F401
    from portal.authenticity import fastpath

    for area in AREAS:
        import_module(area).init_app(app)
    # The lean verdict path answers ahead of Flask's request machinery, so it is installed once every hook
    # it mirrors exists, and before ops, whose ProxyFix must wrap it too (docs/architecture.md, "The lean path").
    fastpath.install(app)
    ops.init_app(app)
    app.wsgi_app = EscapedQuery(app.wsgi_app)  # outermost: no page, lean or not, sees a raw query (core/http.py)
    return app


def _derive_settings(app: Flask, instance: Path) -> None:
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set; instance/config.py is written on first start")
    url = app.config.get("DATABASE_URL") or f"sqlite:///{instance / 'portal.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    # A server can drop idle connections; an embedded SQLite file cannot, so it skips the check per checkout.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app, url))
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(instance / "uploads")
    app.config["RATELIMIT_HEADERS_ENABLED"] = True


def _engine_options(app: Flask, url: str) -> dict:
    """Pool settings for a server database; SQLite keeps SQLAlchemy's defaults."""
    if url.startswith("sqlite"):
        return {"pool_pre_ping": False}
    cfg = app.config
    return {
        "pool_pre_ping": True,  # a connection the server dropped (restart, failover) is replaced, not used
        "pool_size": int(cfg["DATABASE_POOL_SIZE"]),
        "max_overflow": int(cfg["DATABASE_MAX_OVERFLOW"]),
        "pool_recycle": int(cfg["DATABASE_POOL_RECYCLE"]),
        # Without it an unreachable server holds each request for the OS's TCP timeout (minutes).
        "connect_args": {"connect_timeout": int(cfg["DATABASE_CONNECT_TIMEOUT"])},
    }


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, let readers run beside the writer, wait rather than fail on a lock."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a power cut may lose the last commits
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()
