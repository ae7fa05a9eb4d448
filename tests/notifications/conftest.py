"""The recording SMTP server, the worker instance folder and the worker processes of tests/support/outbox_worker.py."""
from tests.support.outbox_worker import instance, smtp, workers  # noqa: F401 - fixtures
