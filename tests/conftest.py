"""Fixtures: the app on SQLite or PostgreSQL (PORTAL_TEST_DB), a clean database per test, a real SMTP server.

The schema comes from the Alembic migrations, never from create_all, so every test also exercises them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from portal import create_app
from portal.extensions import db, limiter
from tests.support.db import DB_KIND, _wipe, free_port


def pytest_report_header(config):
    return f"database: {DB_KIND}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if DB_KIND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.sqlite3'}"
        return
    if os.environ.get("PORTAL_TEST_PG_URL"):
        yield os.environ["PORTAL_TEST_PG_URL"]
        return
    from tests.pgcluster import Cluster

    cluster = Cluster(port=5400 + (os.getpid() % 300)).start()
    try:
        yield cluster.create_database("portal_test")
    finally:
        cluster.stop()


@dataclass
class Mailbox:
    """Messages received by the test SMTP server."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no mail to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, box
    controller.stop()


@pytest.fixture(scope="session")
def _app(database_url, smtp_server, tmp_path_factory):
    controller, _ = smtp_server
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "KEY_ENCRYPTION_KEY": "zxdrC0Zt2Oa7J7wKfZC8m5Q4cS7Vv3I0b3Jx6p0n9dA=",
        "DATABASE_URL": database_url,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        "MAIL_FOLDER": str(tmp_path_factory.mktemp("mail")),  # never the developer's instance/mail
        "AUDIT_CHECKPOINT_FILE": str(tmp_path_factory.mktemp("audit") / "checkpoints.jsonl"),
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_DELIVER_AFTER_REQUEST": False,
        "BASE_URL": "http://portal.test",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # the same KDF, cheaper: tests create many accounts
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_SIGNIN": "10000 per minute",
        "RATELIMIT_PUBLIC": "10000 per minute",
    })
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_app, smtp_server):
    """The application with an empty database; rows are wiped after the test."""
    smtp_server[1].messages.clear()
    limiter.reset()
    yield _app
    _wipe(_app)
    Path(_app.config["AUDIT_CHECKPOINT_FILE"]).unlink(missing_ok=True)  # its checkpoints name wiped entries


@pytest.fixture
def ctx(app):
    """An application context for service-level tests (no HTTP in the same test)."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def mailbox(smtp_server):
    return smtp_server[1]
