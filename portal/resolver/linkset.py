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


def _target(link: Link, titles: dict) -> dict:
    out = {"href": link.href, "title": _title(link.title, titles)}
    if link.media_type:
        out["type"] = link.media_type
    if link.hreflang:
        out["hreflang"] = list(link.hreflang)
    if link.context:
        out["context"] = [link.context]
    return out


def _title(title, titles: dict) -> str:
    """A title as text; the portal's lazy translations are translated once per answer."""
    if isinstance(title, str):
        return title
    key = id(title)
    if key not in titles:
        titles[key] = str(title)
    return titles[key]


def context_object(level: Level, titles: dict) -> dict:
    """One link context: the level's anchor, what it is, its live links by type, and its one default."""
    out: dict = {"anchor": level.anchor, "itemDescription": level.description}
    for link in level.links:
        if not link.retired:
            out.setdefault(uri_of(link.term), []).append(_target(link, titles))
    default = level.default
    out[uri_of(DEFAULT_LINK)] = [{"href": default.href, "title": _title(default.title, titles)}]
    return out


def linkset_body(levels: list[Level]) -> bytes:
    """The linkset: one context object per level, the requested level first (compact, key order kept)."""
    titles: dict = {}
    document = {"linkset": [context_object(level, titles) for level in levels]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def linkset_link(anchor: str) -> tuple[str, str]:
    return "Link", f'<{anchor}?linkType=linkset>; rel="linkset"; type="{MEDIA_TYPE}"'


def context_link() -> str:
    return f'<{JSON_LD_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
