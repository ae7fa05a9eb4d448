"""The resolver's one pipeline: parse -> level -> links at this level and above -> negotiate -> answer.

Both the Flask view (resolver/views.py) and the lean WSGI path (authenticity/fastpath.py) call `resolve`
and send what it returns unchanged, so they answer byte for byte alike (tests/resolver/test_lean_path.py).
docs/resolver.md says what a scanner or partner gets at each level.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import current_app
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from portal.authenticity.services import answer_link
from portal.authenticity.views import asks_for_json
from portal.core.dl_compression import SEGMENT, decompress
from portal.core.gs1 import DigitalLink, GS1Error, parse_digital_link
from portal.core.i18n import gettext as _
from portal.core.negotiation import best_offer
from portal.core.reply import Problem, Reply, json_bytes
from portal.resolver import queries
from portal.resolver.links import Level, Link, levels, path_of, portal_default
from portal.resolver.linkset import CORS, MEDIA_TYPE, VARY, context_link, linkset_body, linkset_link
from portal.resolver.vocabulary import term_of, title_of

PROBLEM_TYPE = "https://provenance.example/problems/"
_LINKSET_WORDS = ("linkset", "all")


@dataclass(frozen=True)
class Ask:
    """What a request says, read the same way from a Flask request and from a WSGI environ."""
    raw_uri: str  # path and query as sent
    root: str  # scheme://host: anchors and the portal's own links start with it
    accept: str | None
    language: str  # already chosen: en, fr or de
    client_address: str = ""
    user_agent: str = ""
    viewer: object = None


def _problem(ask: Ask, status: int, slug: str, title: str, detail: str, headers: list) -> Reply | Problem:
    json_wanted = asks_for_json(_first(ask.raw_uri, "format"), ask.accept) or bool(ask.accept) and best_offer(
        ask.accept, ("text/html", "application/problem+json", MEDIA_TYPE)) != "text/html"
    if not json_wanted:
        return Problem(status, title, detail, tuple(headers + [("Cache-Control", "no-cache")]))
    body = current_app.json.dumps({"type": PROBLEM_TYPE + slug, "title": title, "status": status,
                                   "detail": detail}).encode()
    return Reply(status, body, tuple(headers + [("Content-Type", "application/problem+json"),
                                                ("Cache-Control", "no-cache")]))


def _first(raw_uri: str, key: str) -> str | None:
    query = raw_uri.partition("?")[2]
    for pair in query.split("&"):
        name, _sep, value = pair.partition("=")
        if unquote(name.replace("+", " ")) == key:
            return unquote(value.replace("+", " "))
    return None


def _passed_on(raw_uri: str) -> list[str]:
    """The request's key=value pairs, as sent, but the link type: they go on to the target."""
    query = raw_uri.split("#", 1)[0].partition("?")[2]
    return [pair for pair in query.split("&")
            if pair and unquote(pair.partition("=")[0].replace("+", " ")) != "linkType"]


def with_query(href: str, pairs: list[str]) -> str:
    if not pairs:
        return href
    parts = urlsplit(href)
    query = "&".join(([parts.query] if parts.query else []) + pairs)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _stem(raw_uri: str) -> str:
    """The path before the Digital Link's /01/ (a configured prefix such as /acme, or nothing)."""
    path = raw_uri.split("?", 1)[0].rstrip("/")
    segments = path.split("/")
    starts = [i for i, seg in enumerate(segments) if seg == "01" and (len(segments) - i) % 2 == 0]
    return "/".join(segments[:starts[0]]) if starts else ""


def read_link(raw_uri: str) -> tuple[DigitalLink, bool]:
    """The Digital Link a request path names, and whether it came compressed. Raises GS1Error."""
    path, _sep, query = raw_uri.split("#", 1)[0].partition("?")
    segments = [s for s in path.split("/") if s]
    if "01" not in segments and len(segments) == 1 and SEGMENT.fullmatch(segments[0]):
        plain = parse_digital_link("/01/00000000000000" + ("?" + query if query else ""))  # the query, parsed alike
        return decompress(segments[0], plain.query), True
    return parse_digital_link(raw_uri), False


def _choose(candidates: list[Link], ask: Ask, context: str | None) -> Link:
    """Of several links of one type: the context asked for, then the media type, then the reader's language."""
    accept = parse_accept_header(ask.accept, MIMEAccept) if ask.accept else None

    def score(indexed: tuple[int, Link]):
        index, link = indexed
        media = accept.quality(link.media_type or "text/html") if accept is not None else 0
        return (bool(context) and link.context == context, media,
                not link.hreflang or ask.language in link.hreflang, -index)
    usable = [(i, link) for i, link in enumerate(candidates)
              if not context or not link.context or link.context == context]
    return max(usable or list(enumerate(candidates)), key=score)[1]


def resolve(ask: Ask) -> Reply | Problem:
    """Answer one request at a Digital Link path (GET or HEAD)."""
    headers: list[tuple[str, str]] = [*CORS, VARY]
    try:
        link, compressed = read_link(ask.raw_uri)
    except GS1Error as err:
        return _problem(ask, 400, "malformed-code", _("This is not a valid product code"), str(err), headers)
    stem = ask.root + ("" if compressed else _stem(ask.raw_uri))  # where the code was asked: its anchors
    canonical = stem + path_of(link)  # the uncompressed URI, without its query
    link_header = [linkset_link(canonical)[1]]
    if compressed:
        link_header.append(f'<{canonical}>; rel="owl:sameAs"')
    headers.append(("Link", ", ".join(link_header)))
    link_type = link.query.get("linkType")
    json_wanted = asks_for_json(link.query.get("format"), ask.accept)
    if link.serial is not None and link_type is None and json_wanted:
        return _verdict_json(ask, link, headers)
    product = queries.product(link.gtin, link.lot)
    if product is None:
        return _problem(ask, 404, "unknown-product", _("Unknown product"),
                        _("No manufacturer on Provenance makes a product with GTIN %(gtin)s.", gtin=link.gtin), headers)
    wants_linkset = link_type in _LINKSET_WORDS or (link_type is None and bool(ask.accept) and best_offer(
        ask.accept, ("text/html", "application/json", MEDIA_TYPE)) == MEDIA_TYPE)
    passed_on = _passed_on(ask.raw_uri)
    if link_type is None and not wants_linkset and not product.has_managed_links:  # the common scan, built alone
        return Reply(307, b"", tuple(headers + [("Location", with_query(portal_default(link, ask.root), passed_on)),
                                                ("Cache-Control", "no-cache")]))
    managed = queries.managed_links(product.model_id) if product.has_managed_links else []
    found = levels(link, product, ask.root, managed, stem)
    if wants_linkset:
        headers[-1] = ("Link", ", ".join([*link_header, context_link()]))
        return Reply(200, linkset_body(found), tuple(headers + [("Content-Type", MEDIA_TYPE),
                                                                 ("Cache-Control", "no-cache")]))
    if link_type is None:
        target = found[0].default
    else:
        term = term_of(link_type)
        target = _requested(found, term, ask, link.query.get("context"))
        if target is None:
            return _problem(ask, 404, "no-such-link", _("No such link"),
                            _("There is no %(type)s link for this product.", type=link_type), headers)
        if target.retired:
            return _problem(ask, 410, "link-retired", _("This link was withdrawn"),
                            _("The manufacturer withdrew its %(title)s link for this product.",
                              title=title_of(term)), headers)
    location = with_query(target.href, passed_on)
    return Reply(307, b"", tuple(headers + [("Location", location), ("Cache-Control", "no-cache")]))


def _requested(found: list[Level], term: str | None, ask: Ask, context: str | None) -> Link | None:
    """The best link of a type at the most granular level that has one (a retired one if that is all)."""
    if term is None:
        return None
    for level in found:
        live = [link for link in level.links if link.term == term and not link.retired]
        if live:
            return _choose(live, ask, context)
        retired = [link for link in level.links if link.term == term]
        if retired:
            return retired[0]
    return None


def _verdict_json(ask: Ask, link: DigitalLink, headers: list) -> Reply:
    """A JSON client asking a serial's code for its verdict gets it here, in one round trip (the link already
    parsed, compressed or not, is judged as it is: the hottest answer parses its code once)."""
    answer = answer_link(link, client_address=ask.client_address, user_agent=ask.user_agent, viewer=ask.viewer)
    body = json_bytes(answer.as_json())
    content_type = "application/json" if answer.verdict else "application/problem+json"
    return Reply(answer.status, body, tuple(headers + [("Content-Type", content_type),
                                                      ("Cache-Control", "no-store" if answer.verdict else "no-cache")]))
