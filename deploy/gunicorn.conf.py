"""gunicorn settings for Provenance: `gunicorn -c deploy/gunicorn.conf.py` (make serve, provenance-web.service).

Every value can be changed through the environment (GUNICORN_*), so one file serves every machine.
Logs are JSON lines; request metrics are shared between worker processes through PROMETHEUS_MULTIPROC_DIR.
"""
import json
import logging
import multiprocessing
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from gunicorn.glogging import Logger

ROOT = Path(__file__).resolve().parent.parent

wsgi_app = "portal:create_app()"
chdir = str(ROOT)
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
#: Processes. Each holds its own database pool: see "Connections" in docs/deploy.md before raising it.
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
#: Threads per process; above 1 gunicorn switches to its threaded worker (then DATABASE_POOL_SIZE >= threads).
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
#: A request running longer than this is killed (label sheets and imports run in the worker, not here).
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 30)
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 5)
#: Recycle a process now and then, so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 2000)
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER") or 200)
#: The app writes one JSON line per request itself (with tenant and request id); gunicorn's own access log
#: is off unless GUNICORN_ACCESS_LOG names a file or "-", and then it is JSON too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
#: nginx on the same machine sets X-Forwarded-Proto; the portal's PROXY_FIX_HOPS decides what to trust.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "provenance-web"

# The portal reads these at import time in each worker, so they are set before any worker starts.
os.environ.setdefault("PORTAL_LOG_FORMAT", "json")
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                      os.path.join(tempfile.gettempdir(), f"provenance-metrics-{bind[0].replace(':', '-')}"))


def on_starting(server):
    """Start from an empty metrics folder: files of an earlier run would be added to this run's counts."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, mode=0o700)


# Imported here, once, after the folder is set: child_exit runs in the master's SIGCHLD handler, and an
# import started there could be interrupted by the next worker's exit and find the module half-loaded.
from prometheus_client import multiprocess  # noqa: E402


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)


class _JsonLines(logging.Formatter):
    def format(self, record):
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "json_fields", {}))
        if record.exc_info:  # "Unhandled exception in main loop" and the like are useless without it
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class JsonLogger(Logger):
    """gunicorn's own lines as JSON. The access line leaves out the client address, user agent and query
    string: they are personal data or may carry tokens."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(_JsonLines())

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        headers = {k.lower(): v for k, v in (resp.headers or [])}
        fields = {"method": environ.get("REQUEST_METHOD"), "path": environ.get("PATH_INFO"),
                  "status": getattr(resp, "status_code", None), "bytes": getattr(resp, "sent", None),
                  "duration_ms": round(request_time.total_seconds() * 1000, 2),
                  "request_id": headers.get("x-request-id")}
        self.access_log.info("%s %s %s", fields["method"], fields["path"], fields["status"],
                             extra={"json_fields": fields})


logger_class = JsonLogger
