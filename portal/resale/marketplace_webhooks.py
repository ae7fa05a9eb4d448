"""Webhook delivery for marketplaces: where a webhook may point (https, public addresses only), how a payload is
signed, and the outbox channel "webhook" that sends one (docs/resale.md, "Marketplace API").

Signing. Each delivery carries `Provenance-Event-Id` (the same on every retry of an event), `Provenance-Timestamp`
(Unix seconds of this attempt) and `Provenance-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` under the
subscription's secret. A receiver recomputes the HMAC over the raw body, compares in constant time, refuses a
timestamp more than REPLAY_WINDOW away from its clock, and drops an event id it has already processed: the outbox
delivers at least once, so the event id is what makes the effect exactly once.

SSRF. The URL's host is resolved when subscribing and again at every delivery, and the connection goes to the
address that was checked (no second lookup a rebinding DNS could answer differently). Loopback, private,
link-local, multicast, reserved and other non-global addresses are refused; so are redirects (never followed),
user-info in the URL and ports other than 443 and 8443. WEBHOOK_ALLOW_PRIVATE (tests only) lifts the address and
scheme rules so a test server on 127.0.0.1 can receive.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from urllib.parse import urlsplit

from flask import current_app

from portal.core.errors import Invalid
from portal.core.secrets import decrypt_secret
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import Unsendable
from portal.resale.marketplace_models import WebhookSubscription

CHANNEL = "webhook"
TEMPLATE = "marketplace_webhook"
#: How far a delivery's timestamp may be from the receiver's clock before it refuses it (seconds).
REPLAY_WINDOW = 300
TIMEOUT = 10
MAX_URL = 254
ALLOWED_PORTS = (443, 8443)


def allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def check_url(url: str) -> str:
    """The URL as given when a webhook may be delivered there, else Invalid saying why (field "url")."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise Invalid(f"Give the webhook's URL, up to {MAX_URL} characters.", field="url")
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private() else ("https",)
    if parts.scheme not in schemes:
        raise Invalid("A webhook URL must start with https://.", field="url")
    try:
        port = parts.port
    except ValueError:
        raise Invalid("The webhook URL's port is not a number.", field="url") from None
    if parts.username or parts.password or not parts.hostname or parts.fragment:
        raise Invalid("A webhook URL has a host name and no user name, password or #fragment.", field="url")
    if port is not None and port not in ALLOWED_PORTS and not allow_private():
        raise Invalid("A webhook URL uses port 443 or 8443.", field="url")
    resolve(parts.hostname, port or 443)
    return url


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> str:
    """An address of `host` to connect to; every address the name has must be public (else Invalid)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Invalid("The webhook URL's host name does not resolve.", field="url") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise Invalid("The webhook URL's host name does not resolve.", field="url")
    if not allow_private() and not all(_public(a) for a in addresses):
        raise Invalid("A webhook URL must point at a public address (not loopback, private or link-local).",
                      field="url")
    return addresses[0]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the address already checked, with the URL's host name for SNI and certificate checks."""

    def __init__(self, host: str, address: str, port: int, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def send(note: Notification) -> None:
    """The outbox channel: POST the event to its subscription's URL, signed now. A 2xx answer is delivery;
    anything else (or no answer) raises, and the outbox retries with backoff; a URL that no longer passes the
    checks gives up (Unsendable)."""
    context = json.loads(note.context)
    body = json.dumps(context["event"], separators=(",", ":"), sort_keys=True).encode()
    url = note.recipient
    try:
        check_url(url)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(parts.hostname, port)
    except Invalid as err:
        raise Unsendable(str(err)) from None
    subscription = db.session.get(WebhookSubscription, context["subscription_id"])
    if subscription is None:
        raise Unsendable("the subscription is gone")
    secret = decrypt_secret(subscription.secret_enc).decode()
    timestamp = int(time.time())
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = kind(parts.hostname, address, port, timeout=TIMEOUT)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": "Provenance-Webhooks/1",
            "Provenance-Event-Id": context["event"]["id"], "Provenance-Timestamp": str(timestamp),
            "Provenance-Signature": signature(secret, timestamp, body)})
        response = conn.getresponse()
        response.read(4096)
    finally:
        conn.close()
    if not 200 <= response.status < 300:
        raise RuntimeError(f"webhook answered {response.status}")
