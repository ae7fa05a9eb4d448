"""Absolute links for e-mails and printed matter, built from BASE_URL (works outside a request too)."""
from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)
