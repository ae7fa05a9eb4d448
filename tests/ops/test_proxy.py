"""PROXY_FIX_HOPS: the client address comes from the proxy's headers only when told to trust it."""
import pytest

from portal import create_app
from portal.extensions import db

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


@pytest.fixture
def behind(app):
    """A second app on the same database, built with a given PROXY_FIX_HOPS."""
    made = []

    def build(hops: int):
        other = create_app({**{k: app.config[k] for k in ("SECRET_KEY", "KEY_ENCRYPTION_KEY", "DATABASE_URL")},
                            "TESTING": True, "PROXY_FIX_HOPS": hops})
        made.append(other)
        return other.test_client()

    yield build
    for other in made:
        with other.app_context():
            db.engine.dispose()


def test_with_one_trusted_hop_the_forwarded_client_is_the_client(behind):
    client = behind(1)
    # nginx on 127.0.0.1 forwards a request from the internet: /metrics must not open to it.
    assert client.get("/metrics", headers=FORWARDED).status_code == 404
    assert client.get("/metrics").status_code == 200  # a scrape from this machine itself


def test_a_client_cannot_forge_extra_hops(behind):
    client = behind(1)
    # The client sent "127.0.0.1" itself; nginx appended the real address. Only the last entry counts.
    forged = {**FORWARDED, "X-Forwarded-For": "127.0.0.1, 203.0.113.9"}
    assert client.get("/metrics", headers=forged).status_code == 404


def test_the_scheme_comes_from_the_nearest_proxy(behind):
    """nginx terminates TLS and says so in its one X-Forwarded-Proto; the client is two entries back."""
    from flask import request

    client = behind(2)  # a load balancer, then nginx: the scheme still comes from nginx's single header
    seen = []
    other = client.application
    hooks = other.before_request_funcs.setdefault(None, [])
    hooks.append(lambda: seen.append((request.scheme, request.remote_addr)))
    client.get("/healthz", headers={"X-Forwarded-For": "198.51.100.7, 10.0.0.2", "X-Forwarded-Proto": "https"})
    assert seen == [("https", "198.51.100.7")]


def test_without_trusted_hops_forwarded_headers_are_ignored(behind):
    client = behind(0)
    assert client.get("/metrics", headers=FORWARDED).status_code == 200  # the socket's 127.0.0.1 counts
