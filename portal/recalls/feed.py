"""The public Atom feed of active recalls, built with an XML library rather than a text template.

Every piece of text a tenant typed (manufacturer name, title, hazard, remedy instructions) reaches the
document as element text through ElementTree, which escapes it; characters XML 1.0 cannot carry at all
(most control characters, lone surrogates) are dropped first. A tenant therefore cannot close an element,
add an <entry> of its own or make the feed unreadable for everyone else.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from flask_babel import gettext as _

from portal.core.i18n import current_language
from portal.recalls.models import CampaignState, RecallCampaign

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: What XML 1.0 (section 2.2, Char) forbids even when escaped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STAMP = "%Y-%m-%dT%H:%M:%SZ"


def xml_text(value: object) -> str:
    """`value` as text an XML 1.0 document can hold (escaping is the serializer's job)."""
    return _NOT_XML.sub("", str(value))


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _summary(c: RecallCampaign) -> str:
    text = f"{_('Hazard:')} {c.hazard} {_('Remedy:')} {c.remedy_type.label}"
    if c.state is CampaignState.ACTIVE_NO_REMEDY:
        text += f" {_('(not yet available)')}"
    return f"{text}. {c.remedy_instructions}"


def atom_feed(campaigns: Iterable[RecallCampaign], base: str) -> bytes:
    """The feed document (UTF-8, with its XML declaration); `campaigns` newest first."""
    campaigns = list(campaigns)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: current_language()})
    _add(feed, "title", _("Provenance: active recalls"))
    _add(feed, "id", f"{base}/recalls")
    _add(feed, "link", rel="self", href=f"{base}/recalls.atom")
    _add(feed, "link", rel="alternate", href=f"{base}/recalls")
    newest = campaigns[0].launched_at if campaigns else None
    _add(feed, "updated", newest.strftime(_STAMP) if newest else "2026-01-01T00:00:00Z")
    for c in campaigns:
        entry = _add(feed, "entry")
        _add(entry, "title", _("%(manufacturer)s recall %(number)s: %(title)s", manufacturer=c.manufacturer.name,
                               number=c.number, title=c.title))
        _add(entry, "id", f"{base}/recalls#{c.manufacturer.slug}-{c.number}")
        _add(entry, "link", href=f"{base}/recalls")
        _add(entry, "updated", (c.remedy_available_at or c.launched_at).strftime(_STAMP))
        _add(_add(entry, "author"), "name", c.manufacturer.name)
        _add(entry, "summary", _summary(c))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
