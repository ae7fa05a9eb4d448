"""Links: absolute ones for e-mails and printed matter, built from BASE_URL (works outside a request too),
and the one check that a `next` address a visitor hands us stays on this site."""
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def local_path(target: str | None, fallback: str = "/") -> str:
    """`target` if it is a path on this site, else `fallback`: anything with a scheme or host, `//`, a
    backslash or a control character (browsers drop tabs and newlines, so `/\t/evil.example` is `//evil...`)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
