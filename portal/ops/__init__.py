"""Running Provenance in production: health checks, metrics, JSON logs with request ids, a clean 503
while the database is away, the proxy in front, and backups."""
from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.ops.logs import PROBES


class _QuietSessions(SecureCookieSessionInterface):
    """Probes (/healthz, /readyz, /metrics) never set a cookie, whatever else ran during the request."""

    def save_session(self, app, session, response):
        if is_probe():
            return None
        return super().save_session(app, session, response)


def is_probe() -> bool:
    """A health probe or the metrics scrape: answered without cookies or caching."""
    return has_request_context() and request.endpoint in PROBES


def init_app(app: Flask) -> None:
    from portal.ops import cli, health, logs, metrics, outage  # imported when wiring: they use is_probe above

    logs.configure_logging(app)
    logs.init_request_ids(app)
    metrics.init_request_timing(app)
    outage.init_outage_handling(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = _QuietSessions()

    @app.after_request
    def _no_cookies_on_probes(response):
        if is_probe():
            response.headers.remove("Set-Cookie")
            response.headers["Cache-Control"] = "no-store"
        return response

    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        # X-Forwarded-For grows by one entry per proxy: trust exactly that many, so a client cannot forge more.
        # Proto, host and port are set (not appended) by the nearest proxy, our nginx: trust its one value.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=1, x_host=1, x_port=1)

    cli.register_ops_cli(app)
