"""Manufacturers' own links at their products' Digital Links: add, edit, retire, import; every change audited.

A link belongs to a model (its GTIN level), one lot, or every unit of the model (a URI template holding
{gtin}, {serial}, {lot} or {cpv}). Its type is a GS1 Web Vocabulary term; its target is https only. At most
one live link is the default of its level: marking another moves the default. A retired link is kept, and
answers 410 for its type when nothing else of that type is left at its level (docs/resolver.md).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.catalog.models import Manufacturer, ProductModel
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import DomainError, Invalid, NotFound
from portal.core.gs1 import GS1Error, canonical_gtin, validate_lot
from portal.extensions import db
from portal.resolver.models import LinkScope, ManagedLink
from portal.resolver.vocabulary import MANAGED_TYPES, term_of

PLACEHOLDERS = ("{gtin}", "{serial}", "{lot}", "{cpv}")
_LANGUAGE = re.compile(r"[a-z]{2}(-[A-Z]{2})?")
_MEDIA_TYPE = re.compile(r"[a-z]+/[-+.\w]+")
_CONTEXT = re.compile(r"[A-Za-z0-9_.-]{1,60}")
_SAFE = re.compile(r"[^\x00-\x20\x7f<>\"'\\^`{|}]+")  # a URI's characters once its placeholders are filled
CSV_HEADER = ("gtin", "scope", "lot", "link_type", "target", "title", "language", "media_type", "context", "default")


@dataclass(frozen=True)
class LinkFields:
    """What staff give for a link (the console form, an API body and a CSV row alike)."""
    gtin: str
    scope: str
    link_type: str
    target: str
    title: str
    lot: str | None = None
    language: str = ""
    media_type: str = "text/html"
    context: str = ""
    is_default: bool = False


def _model(tenant: Manufacturer, gtin: str) -> ProductModel:
    try:
        gtin14 = canonical_gtin(gtin)
    except GS1Error as err:
        raise Invalid(str(err), field="gtin") from None
    model = db.session.scalar(select(ProductModel).where(ProductModel.gtin == gtin14,
                                                         ProductModel.manufacturer_id == tenant.id))
    if model is None:
        raise NotFound(_("You have no product model with GTIN %(gtin)s.", gtin=gtin14), field="gtin")
    return model


def check_target(target: str, scope: LinkScope) -> str:
    """An https address (a template for the unit scope); javascript:, data:, http: and the rest are refused."""
    target = (target or "").strip()
    if not target or len(target) > 1000:
        raise Invalid(_("Give the link's address (up to 1,000 characters)."), field="target")
    filled = target
    for name in PLACEHOLDERS:
        filled = filled.replace(name, "x")
    if scope is not LinkScope.UNIT and filled != target:
        raise Invalid(_("Only a link for every unit may hold {serial}, {gtin}, {lot} or {cpv}."), field="target")
    parts = urlsplit(filled)
    if parts.scheme.lower() != "https" or not parts.netloc or not _SAFE.fullmatch(filled):
        raise Invalid(_("The address must be a plain https:// address (no other scheme, no spaces or quotes; "
                        "for every unit, {serial}, {gtin}, {lot} and {cpv} are the only placeholders)."), field="target")
    return target


def _checked(tenant: Manufacturer, given: LinkFields) -> dict:
    try:
        scope = LinkScope(given.scope)
    except ValueError:
        raise Invalid(_("The level is model, lot or unit."), field="scope") from None
    term = term_of(given.link_type) or term_of("gs1:" + (given.link_type or ""))
    if term not in MANAGED_TYPES:
        raise Invalid(_("%(given)s is not a GS1 link type the portal publishes (one of: %(types)s).",
                        given=repr(given.link_type), types=", ".join(MANAGED_TYPES)), field="link_type")
    lot = (given.lot or "").strip() or None
    if scope is LinkScope.LOT:
        try:
            lot = validate_lot(lot or "")
        except GS1Error as err:
            raise Invalid(str(err), field="lot") from None
    elif lot is not None:
        raise Invalid(_("Only a link for one lot names a lot."), field="lot")
    title = " ".join((given.title or "").split())
    if not title or len(title) > 200:
        raise Invalid(_("Give the link a title of 1 to 200 characters."), field="title")
    language = (given.language or "").strip()
    if language and not _LANGUAGE.fullmatch(language):
        raise Invalid(_("The language is a two-letter code such as en, fr or de (or en-GB), or nothing."),
                      field="language")
    media_type = (given.media_type or "").strip().lower() or "text/html"
    if not _MEDIA_TYPE.fullmatch(media_type) or len(media_type) > 100:
        raise Invalid(_("The media type is like text/html or application/pdf."), field="media_type")
    context = (given.context or "").strip()
    if context and not _CONTEXT.fullmatch(context):
        raise Invalid(_("The context is up to 60 letters, digits, “.”, “_” or “-”."), field="context")
    model = _model(tenant, given.gtin)
    return {"manufacturer_id": tenant.id, "model_id": model.id, "scope": scope, "lot": lot, "link_type": term,
            "target": check_target(given.target, scope), "title": title, "language": language,
            "media_type": media_type, "context": context, "is_default": bool(given.is_default)}


def _clear_other_defaults(link: ManagedLink) -> None:
    db.session.execute(update(ManagedLink).where(
        ManagedLink.model_id == link.model_id, ManagedLink.scope == link.scope,
        (ManagedLink.lot == link.lot) if link.lot is not None else ManagedLink.lot.is_(None),
        ManagedLink.id != link.id, ManagedLink.is_default.is_(True)).values(is_default=False))


def _audit_detail(link: ManagedLink) -> dict:
    return {"model_id": link.model_id, "scope": link.scope.value, "lot": link.lot, "link_type": link.link_type,
            "address": link.target, "title": link.title, "default": link.is_default}


def add_link(tenant: Manufacturer, given: LinkFields, *, actor) -> ManagedLink:
    link = ManagedLink(**_checked(tenant, given), created_at=utcnow())
    db.session.add(link)
    db.session.flush()
    if link.is_default:
        _clear_other_defaults(link)
    audit.log(actor, "resolver_link.added", link, manufacturer_id=tenant.id, **_audit_detail(link))
    return link


def find_link(tenant: Manufacturer, link_id: int) -> ManagedLink:
    link = db.session.get(ManagedLink, link_id)
    if link is None or link.manufacturer_id != tenant.id:
        raise NotFound(_("You have no such link."))
    return link


def update_link(tenant: Manufacturer, link_id: int, given: LinkFields, *, actor) -> ManagedLink:
    link = find_link(tenant, link_id)
    if link.retired_at is not None:
        raise Invalid(_("A retired link cannot be changed; add a new one."))
    before = _audit_detail(link)
    for name, value in _checked(tenant, given).items():
        setattr(link, name, value)
    db.session.flush()
    if link.is_default:
        _clear_other_defaults(link)
    audit.log(actor, "resolver_link.updated", link, manufacturer_id=tenant.id, before=before, **_audit_detail(link))
    return link


def retire_link(tenant: Manufacturer, link_id: int, *, actor) -> ManagedLink:
    """Stop publishing a link. Its type answers 410 where no other link of that type is left."""
    link = find_link(tenant, link_id)
    if link.retired_at is None:
        link.retired_at, link.is_default = utcnow(), False
        audit.log(actor, "resolver_link.retired", link, manufacturer_id=tenant.id, **_audit_detail(link))
    return link


@dataclass
class LinkImport:
    added: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def import_links_csv(tenant: Manufacturer, data: str | bytes, *, actor) -> LinkImport:
    """Add the links of a CSV (header: gtin,scope,lot,link_type,target,title,language,media_type,context,default).

    Each good row is added; each bad one is reported with its line and reason, and adds nothing."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [h for h in ("gtin", "scope", "link_type", "target", "title") if h not in header]
    if missing:
        raise Invalid(_("The CSV's first line must name its columns; missing: %(columns)s.",
                        columns=", ".join(missing)), field="file")
    report = LinkImport()
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(header, (cell.strip() for cell in row)))
        given = LinkFields(gtin=values.get("gtin", ""), scope=values.get("scope", ""),
                           link_type=values.get("link_type", ""), target=values.get("target", ""),
                           title=values.get("title", ""), lot=values.get("lot") or None,
                           language=values.get("language", ""), media_type=values.get("media_type", ""),
                           context=values.get("context", ""),
                           is_default=values.get("default", "").lower() in ("1", "true", "yes", "y"))
        try:
            with db.session.begin_nested():  # a bad row leaves nothing behind
                add_link(tenant, given, actor=actor)
        except DomainError as err:
            report.rejected.append((line, str(err)))
        else:
            report.added += 1
    return report
