"""Every request carries an id into its log lines and back out in X-Request-ID; logs are one JSON object
a line and never hold e-mail addresses, tokens or passwords."""
import json
import logging

import pytest

from portal.ops.logs import JsonFormatter
from tests.factories import build_world, login


def lines(caplog, logger="portal.access"):
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger]


def test_a_well_formed_request_id_is_kept_and_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-5f2c9a1e-77"})
    assert response.headers["X-Request-ID"] == "edge-5f2c9a1e-77"


@pytest.mark.parametrize("given", ["", "short", "has spaces in it", "x" * 200, "evil\r\nSet-Cookie: a=b",
                                   "trailing-newline\n"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_fresh_one(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given} if given and "\n" not in given else {})
    if "\n" in given:  # a header with a line break cannot even be sent; an odd one is checked below
        response = client.get("/healthz", environ_base={"HTTP_X_REQUEST_ID": given})
    echoed = response.headers["X-Request-ID"]
    assert echoed != given and len(echoed) == 32 and echoed.isalnum()
    assert client.get("/healthz").headers["X-Request-ID"] != echoed  # one per request


def test_each_request_logs_one_json_line_with_its_id_route_status_and_duration(client, caplog):
    caplog.set_level(logging.INFO, logger="portal.access")
    response = client.get("/lookup?token=abc", headers={"X-Request-ID": "req-0000000001"})
    client.get("/healthz")  # a passing probe is not logged
    (line,) = lines(caplog)
    assert line["request_id"] == "req-0000000001" == response.headers["X-Request-ID"]
    assert line["method"] == "GET" and line["path"] == "/lookup" and line["status"] == 200
    assert line["level"] == "info" and line["logger"] == "portal.access" and line["duration_ms"] >= 0
    assert line["endpoint"] == "public.lookup"
    assert {"time", "message"} <= set(line) and "token" not in json.dumps(line)  # no query strings


def test_console_requests_name_their_tenant(app, client, caplog):
    world = build_world(app)
    login(client, world.staff_a["admin"])
    caplog.set_level(logging.INFO, logger="portal.access")
    client.get("/console/acme/")
    assert lines(caplog)[-1]["tenant"] == "acme"
    client.get("/lookup")
    assert "tenant" not in lines(caplog)[-1]


def test_secrets_and_addresses_never_reach_the_log(app):
    formatter = JsonFormatter()
    record = logging.LogRecord("portal.test", logging.WARNING, __file__, 1,
                               "mail to %s failed; Authorization: Bearer pvn_abcdef123456 password=hunter2 token=xyz",
                               ("olivia.owner@example.test",), None)
    with app.test_request_context("/my/units", headers={"X-Request-ID": "req-0000000002"}):
        from flask import g

        g.request_id = "req-0000000002"
        out = formatter.format(record)
    line = json.loads(out)
    assert "olivia" not in out and "pvn_abcdef123456" not in out and "hunter2" not in out and "xyz" not in out
    assert line["message"].startswith("mail to [email] failed")
    assert line["request_id"] == "req-0000000002" and line["path"] == "/my/units"
