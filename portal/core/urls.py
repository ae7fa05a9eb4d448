"""Links: absolute ones for e-mails and printed matter, built from BASE_URL (works outside a request too),
and the one check that a `next` address a visitor hands us stays on this site."""
from urllib.parse import quote, urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def portal_did() -> str:
    """did:web of the portal (its host, a port percent-encoded, then its path), from BASE_URL: the issuer of its
    credentials and the id of its DID document."""
    parts = urlsplit(current_app.config["BASE_URL"])
    host = quote(parts.netloc, safe="")
    path = ":".join(quote(p, safe="") for p in parts.path.strip("/").split("/") if p)
    return f"did:web:{host}" + (f":{path}" if path else "")


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
