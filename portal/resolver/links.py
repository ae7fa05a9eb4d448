"""The links at each level of a Digital Link: the portal's own targets and the manufacturer's managed links.

Levels run from the most granular the URI names up to the GTIN (serial -> lot -> CPV -> GTIN); a level
holds the links that belong to it, and a request sees its own level's links and every level's above it.
Each level has exactly one default: a live managed link marked default at that level, else the portal's
(the verdict for a serial, the product page for a GTIN, CPV or lot).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask_babel import gettext as _

from portal.core.gs1 import DigitalLink
from portal.core.i18n import LANGUAGES
from portal.resolver.models import LinkScope
from portal.resolver.queries import Managed, Product
from portal.resolver.vocabulary import title_of

HTML, JSON, PDF = "text/html", "application/json", "application/pdf"


@dataclass(frozen=True)
class Link:
    term: str  # GS1 Web Vocabulary term, e.g. "pip"
    href: str
    title: object  # a manufacturer's text, or the portal's lazy translation (read only by a linkset)
    media_type: str | None = HTML
    hreflang: tuple[str, ...] = LANGUAGES
    context: str = ""
    retired: bool = False
    default: bool = False


@dataclass(frozen=True)
class Level:
    ai: str  # "01", "22", "10" or "21": the key this level ends with
    path: str  # /01/<gtin>[/22/..][/10/..][/21/..], percent-encoded
    anchor: str  # root + path: the uncompressed URI facts are said about
    link: DigitalLink
    product: Product
    links: tuple[Link, ...]

    @property
    def description(self) -> str:
        """What the level names, in the reader's language (only a linkset reads it)."""
        return _description(self.ai, self.link, self.product)

    @property
    def default(self) -> Link:
        return next(link for link in self.links if link.default)


def path_of(link: DigitalLink) -> str:
    """The most granular level's path (the first of level_paths), built alone for the hot answers."""
    return "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in
                   (("01", link.gtin), ("22", link.cpv), ("10", link.lot), ("21", link.serial)) if value is not None)


def level_paths(link: DigitalLink) -> list[tuple[str, str]]:
    """(ai, path) of every level, most granular first."""
    parts, out = [("01", link.gtin)], []
    for ai, value in (("22", link.cpv), ("10", link.lot), ("21", link.serial)):
        if value is not None:
            parts.append((ai, value))
    for end in range(len(parts), 0, -1):
        path = "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in parts[:end])
        out.append((parts[end - 1][0], path))
    return out


def _portal_links(ai: str, path: str, link: DigitalLink, root: str) -> list[Link]:
    gtin = link.gtin
    if ai == "21":
        serial = {"gtin": gtin, "serial": link.serial}
        unit_uri = f"{root}/01/{gtin}/21/{quote(link.serial, safe='')}"
        return [
            Link("verificationService", f"{root}/verdict{path}", title_of("verificationService"), default=True),
            Link("verificationService", f"{root}/verdict{path}?format=json", title_of("verificationService"), JSON),
            Link("registerProduct", f"{root}/my/register?{urlencode(serial)}", title_of("registerProduct")),
            Link("recallStatus", f"{root}/recalls/lookup?{urlencode(serial)}", title_of("recallStatus")),
            Link("recallStatus", f"{root}/recalls/lookup?{urlencode({**serial, 'format': 'json'})}",
                 title_of("recallStatus"), JSON),
            Link("certificationInfo", f"{root}/my/certificate{path}", title_of("certificationInfo"), PDF),
            # The unit's EPCIS events, for partners holding a token of its manufacturer (docs/epcis.md).
            Link("epcis", f"{root}/epcis/epcs/{quote(unit_uri, safe='')}/events", title_of("epcis"), JSON, ()),
            # The unit's product passport (portal/passport/, docs/passport.md); a model without one answers 404.
            Link("dpp", f"{root}/passport/01/{gtin}/21/{quote(link.serial, safe='')}", title_of("dpp")),
            Link("dpp", f"{root}/passport/01/{gtin}/21/{quote(link.serial, safe='')}?format=json", title_of("dpp"),
                 JSON),
        ]
    links = [Link("pip", f"{root}/product{path}", title_of("pip"), default=True)]
    if ai in ("01", "10"):
        links += [Link("recallStatus", f"{root}/recall-status{path}", title_of("recallStatus")),
                  Link("recallStatus", f"{root}/recall-status{path}?format=json", title_of("recallStatus"), JSON)]
    if ai == "01":
        links += [Link("serviceInfo", f"{root}/product{path}#warranty", title_of("serviceInfo")),
                  Link("registerProduct", f"{root}/my/register?{urlencode({'gtin': gtin})}",
                       title_of("registerProduct"))]
    return links


def _expand(template: str, link: DigitalLink) -> str:
    values = {"gtin": link.gtin, "serial": link.serial or "", "lot": link.lot or "", "cpv": link.cpv or ""}
    out = template
    for name, value in values.items():
        out = out.replace("{" + name + "}", quote(value, safe=""))
    return out


def _managed_at(ai: str, link: DigitalLink, managed: list[Managed]) -> list[Link]:
    scope = {"01": LinkScope.MODEL, "10": LinkScope.LOT, "21": LinkScope.UNIT}.get(ai)
    out = []
    for m in managed:
        if m.scope is not scope or (scope is LinkScope.LOT and m.lot != link.lot):
            continue
        out.append(Link(m.link_type, _expand(m.target, link), m.title, m.media_type or None,
                        (m.language,) if m.language else (), m.context, retired=m.retired_at is not None,
                        default=m.is_default and m.retired_at is None))
    return out


def _description(ai: str, link: DigitalLink, product: Product) -> str:
    if ai == "21":
        return _("%(product)s, serial %(serial)s", product=product.name, serial=link.serial)
    if ai == "10":
        return _("%(product)s, lot %(lot)s", product=product.name, lot=link.lot)
    if ai == "22":
        return _("%(product)s, variant %(cpv)s", product=product.name, cpv=link.cpv)
    return f"{product.name} ({product.manufacturer})"


def portal_default(link: DigitalLink, root: str) -> str:
    """The portal's default link of the most granular level (what `levels` would say, built alone: the
    redirect of a code whose manufacturer manages no links needs nothing else)."""
    ai, path = level_paths(link)[0]
    return f"{root}/verdict{path}" if ai == "21" else f"{root}/product{path}"


def levels(link: DigitalLink, product: Product, root: str, managed: list[Managed], stem: str | None = None
           ) -> list[Level]:
    """The levels a Digital Link names, most granular first, each with its links and one default. Anchors
    start with `stem` (the URI as asked, under a configured prefix); the portal's own links with `root`."""
    out = []
    for ai, path in level_paths(link):
        own = _managed_at(ai, link, managed)
        portal = _portal_links(ai, path, link, root)
        if any(m.default for m in own):  # the manufacturer's default replaces the portal's at this level
            portal = [Link(p.term, p.href, p.title, p.media_type, p.hreflang, p.context) for p in portal]
        out.append(Level(ai, path, (stem or root) + path, link, product, tuple(own + portal)))
    return out
