"""Prometheus metrics at /metrics.

Request latency and verdicts are counted in each process; under gunicorn every worker writes them to
PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py sets it) and a scrape adds them up. Outbox depth and
import progress are read from the database at scrape time, one query each, so every web process reports
the same truth and nothing has to keep gauges in step.
"""
from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from portal.catalog.import_jobs import ImportJob, ImportState
from portal.catalog.models import Manufacturer
from portal.core.db import utcnow
from portal.core.signals import verdict_given
from portal.extensions import db, limiter
from portal.notifications.models import DeliveryState, Notification

bp = Blueprint("metrics", __name__)
LOCAL_ADDRESSES = {"127.0.0.1", "::1"}

#: Process-local metrics; in multiprocess mode their values live in files, so one registry per process is right.
REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "provenance_http_request_duration_seconds", "Time to answer a request, by route.",
    ["endpoint", "method", "status"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
VERDICTS = Counter("provenance_verdicts", "Authenticity verdicts given, by kind and channel (qr, nfc).",
                   ["kind", "channel"], registry=REGISTRY)


def _count_verdict(sender, kind: str, channel: str, **_):
    VERDICTS.labels(kind=kind, channel=channel).inc()


verdict_given.connect(_count_verdict, weak=False)


class DatabaseCollector:
    """Figures that live in the database, read when Prometheus scrapes."""

    def collect(self):
        depth, oldest = db.session.execute(
            select(func.count(), func.min(Notification.created_at)).where(Notification.state == DeliveryState.PENDING)
        ).one()
        yield GaugeMetricFamily("provenance_outbox_pending", "Notifications waiting to be delivered.", value=depth)
        age = 0.0
        if oldest is not None:  # min() keeps the column's type: an aware UTC datetime on both databases
            age = max((utcnow() - oldest).total_seconds(), 0.0)
        yield GaugeMetricFamily("provenance_outbox_oldest_pending_age_seconds",
                                "Age of the oldest pending notification (0 when none).", value=age)
        done = GaugeMetricFamily("provenance_import_rows_done", "Rows read so far by each running import job.",
                                 labels=["job", "tenant"])
        total = GaugeMetricFamily("provenance_import_rows_total", "Rows in the file of each running import job.",
                                  labels=["job", "tenant"])

        rows = db.session.execute(
            select(ImportJob.id, Manufacturer.slug, ImportJob.rows_done, ImportJob.rows_total)
            .join(Manufacturer, Manufacturer.id == ImportJob.manufacturer_id)
            .where(ImportJob.state == ImportState.RUNNING)
        ).all()
        for job_id, slug, rows_done, rows_total in rows:
            done.add_metric([str(job_id), slug], rows_done)
            total.add_metric([str(job_id), slug], rows_total)
        yield done
        yield total
        db.session.rollback()


class _Local:
    def collect(self):
        return REGISTRY.collect()


def exposition() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Local())
    registry.register(DatabaseCollector())
    return generate_latest(registry)


def allowed() -> bool:
    """From this machine, or with the METRICS_TOKEN bearer token."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return request.remote_addr in LOCAL_ADDRESSES


@bp.get("/metrics")
@limiter.exempt
def metrics():
    if not allowed():
        abort(404)  # the same as no such page: nothing to learn by probing
    return Response(exposition(), mimetype=CONTENT_TYPE_LATEST)


def init_request_timing(app: Flask) -> None:
    """Observe every request's latency; the clock starts in the request-id hook, the first of all."""

    @app.teardown_request
    def _observe(exc):
        started = g.get("request_started")
        if started is None or request.endpoint in ("static", "metrics.metrics"):
            return
        status = g.get("response_status") or (500 if exc is not None else 200)
        # Unrouted paths share one label, so scanners probing random URLs cannot blow up the series count.
        REQUEST_SECONDS.labels(endpoint=request.endpoint or "unmatched", method=request.method,
                               status=f"{status // 100}xx").observe(time.perf_counter() - started)

    @app.after_request
    def _status(response):
        g.response_status = response.status_code
        return response
