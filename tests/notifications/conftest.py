"""The recording SMTP server and the worker instance folder of test_worker.py, for the other outbox tests."""
from tests.notifications.test_worker import instance, smtp  # noqa: F401 - fixtures
