"""RFC 9264 linksets (application/linkset+json) as GS1 resolvers publish them, and the headers every answer carries."""
from __future__ import annotations

import json

from portal.resolver.links import Level, Link
from portal.resolver.vocabulary import DEFAULT_LINK, uri_of

MEDIA_TYPE = "application/linkset+json"
#: GS1's JSON-LD context for resolver linksets (GS1 Resolver standard); linked, never copied.
JSON_LD_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
CORS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
        ("Access-Control-Expose-Headers", "Link, Location, Content-Type"))
VARY = ("Vary", "Accept, Accept-Language, Cookie")


def _target(link: Link) -> dict:
    out = {"href": link.href, "title": link.title}
    if link.media_type:
        out["type"] = link.media_type
    if link.hreflang:
        out["hreflang"] = list(link.hreflang)
    if link.context:
        out["context"] = [link.context]
    return out


def context_object(level: Level) -> dict:
    """One link context: the level's anchor, what it is, its live links by type, and its one default."""
    out: dict = {"anchor": level.anchor, "itemDescription": level.description}
    for link in level.links:
        if not link.retired:
            out.setdefault(uri_of(link.term), []).append(_target(link))
    default = level.default
    out[uri_of(DEFAULT_LINK)] = [{"href": default.href, "title": default.title}]
    return out


def linkset_body(levels: list[Level]) -> bytes:
    """The linkset: one context object per level, the requested level first (compact, key order kept)."""
    document = {"linkset": [context_object(level) for level in levels]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def linkset_link(anchor: str) -> tuple[str, str]:
    return "Link", f'<{anchor}?linkType=linkset>; rel="linkset"; type="{MEDIA_TYPE}"'


def context_link() -> str:
    return f'<{JSON_LD_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
