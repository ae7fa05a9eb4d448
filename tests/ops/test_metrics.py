"""/metrics: latency by route, verdicts by kind, outbox depth and age, import progress; closed to strangers."""
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from portal.authenticity.keys import create_key
from portal.authenticity.labels import issue_label, label_uri
from portal.catalog.import_jobs import _claim, record_progress, start_import
from portal.catalog.models import Manufacturer, Unit
from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification
from portal.notifications.services import enqueue
from tests.factories import build_world


def scrape(client, **kw) -> str:
    response = client.get("/metrics", **kw)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def value(text: str, name: str, **labels) -> float:
    """The sample `name{labels}` (labels in any order), or 0 when it is absent."""
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if match:
            found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(match.group(2))
    return 0.0


def tenant(slug):
    return db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug))


def test_only_this_machine_or_the_token_holder_may_scrape(client, monkeypatch, app):
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    outside = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert client.get("/metrics", **outside).status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scrape-token")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}, **outside).status_code == 404
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}, **outside)
    assert ok.status_code == 200 and "Set-Cookie" not in ok.headers


def test_request_latency_is_observed_per_route_method_and_status_class(client):
    before = value(scrape(client), "provenance_http_request_duration_seconds_count",
                   endpoint="ops.healthz", method="GET", status="2xx")
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page")
    text = scrape(client)
    assert value(text, "provenance_http_request_duration_seconds_count",
                 endpoint="ops.healthz", method="GET", status="2xx") == before + 3
    assert value(text, "provenance_http_request_duration_seconds_count", endpoint="unmatched", status="4xx") >= 1
    assert 'le="0.005"' in text


def test_verdicts_are_counted_by_kind_where_they_are_decided(app, client):
    world = build_world(app)
    with app.app_context():
        create_key(tenant("acme"), actor="test")
        unit = db.session.get(Unit, world.unit_ids_a[0])
        parts = urlsplit(label_uri(unit.model.gtin, unit.serial, issue_label(unit, actor="test")))
        db.session.commit()
    before = scrape(client)
    json = {"headers": {"Accept": "application/json"}}
    assert client.get(f"{parts.path}?{parts.query}", **json).get_json()["verdict"] == "genuine"
    assert client.get(f"/01/{world.gtin_a}/21/{world.serials_a[1]}", **json).get_json()["verdict"] == "cannot_verify"
    # An unsigned code for a serial nobody recorded cannot be verified; only a failed signature says not genuine.
    assert client.get(f"/01/{world.gtin_a}/21/NOSUCH-1", **json).get_json()["verdict"] == "cannot_verify"
    cut = len(parts.query) - 20  # inside the signature, whose every character there carries bits
    tampered = parts.query[:cut] + ("A" if parts.query[cut] != "A" else "B") + parts.query[cut + 1:]
    assert client.get(f"{parts.path}?{tampered}", **json).get_json()["verdict"] == "not_genuine"
    after = scrape(client)
    for kind, n in (("genuine", 1), ("cannot_verify", 2), ("not_genuine", 1), ("warning", 0)):
        assert value(after, "provenance_verdicts_total", kind=kind, channel="qr") == \
            value(before, "provenance_verdicts_total", kind=kind, channel="qr") + n, kind


def test_outbox_depth_and_the_age_of_its_oldest_pending_notice_are_read_at_scrape(app, client):
    text = scrape(client)
    assert value(text, "provenance_outbox_pending") == 0
    assert value(text, "provenance_outbox_oldest_pending_age_seconds") == 0
    with app.app_context():
        for n in range(3):
            enqueue(recipient=f"owner{n}@example.test", template="verify_email", subject="Confirm",
                    dedupe_key=f"metrics-test-{n}", user_obj=None, link="http://portal.test/confirm")
        db.session.commit()
        pending = db.session.scalar(select(func.count()).where(Notification.state == DeliveryState.PENDING))
        db.session.execute(update(Notification).where(Notification.state == DeliveryState.PENDING)
                           .values(created_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
    assert pending == 3
    text = scrape(client)
    assert value(text, "provenance_outbox_pending") == pending
    assert 600 <= value(text, "provenance_outbox_oldest_pending_age_seconds") < 700


def test_running_imports_report_rows_done_and_total(app, client):
    build_world(app)
    with app.app_context():
        csv = "gtin,serial\n" + "".join(f"04012345000016,IMP-{i:04d}\n" for i in range(50))
        job = start_import(tenant("acme"), io.BytesIO(csv.encode()), filename="units.csv", actor="test")
        db.session.commit()
        job_id = job.id
        text = scrape(client)
        assert value(text, "provenance_import_rows_total", job=str(job_id)) == 0  # queued, not running
        attempt = _claim(job_id)  # what the worker does when it picks the job up
        record_progress(job_id, attempt, 20)
    text = scrape(client)
    assert value(text, "provenance_import_rows_done", job=str(job_id), tenant="acme") == 20
    assert value(text, "provenance_import_rows_total", job=str(job_id), tenant="acme") == 50


@pytest.fixture(autouse=True)
def _mail_stays_in_the_outbox(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_REQUEST", False)
