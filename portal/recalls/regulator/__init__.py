"""Regulator reports as read models over campaign data, one module per report.

Each module declares its `REPORT` (slug, title, regulation) and its `FIELDS`: every field names where its
value comes from (`source`, shown on the report page and in the CSV), and `value(facts)` reads it from the
campaign's `Facts`. A field whose source is empty is listed as missing, so a gap shows before filing.
The recall manager may edit any value on the report's page; edits are kept on the campaign
(recall_campaigns.report_edits) and win over the pre-filled value.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.core import audit
from portal.core.errors import Conflict, Invalid, NotFound
from portal.recalls.models import RecallCampaign
from portal.recalls.regulator.facts import Facts, campaign_facts


def N_(text: str) -> str:
    """Marks a report's title, regulation and field labels and sources for the catalogs: the console pages show
    them in the reader's language (`_(label)` in the templates); the exports carry them as written, in English."""
    return text


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    source: str  # where the value comes from, in words a recall manager recognises
    value: Callable[[Facts], object]


@dataclass(frozen=True)
class FilledField:
    name: str
    label: str
    source: str
    value: str
    edited: bool

    @property
    def missing(self) -> bool:
        return not self.value.strip()


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    regulation: str
    campaign: RecallCampaign
    fields: list[FilledField]
    table: list[list] = field(default_factory=list)  # rows after a header row, for reports over periods
    filed_on: date | None = None

    @property
    def missing(self) -> list[str]:
        return [f.label for f in self.fields if f.missing]

    def as_dict(self) -> dict:
        return {"report": self.slug, "title": self.title, "regulation": self.regulation,
                "campaign": self.campaign.number, "manufacturer": self.campaign.manufacturer.name,
                "filed_on": self.filed_on.isoformat() if self.filed_on else None,
                "fields": {f.name: f.value for f in self.fields},
                "sources": {f.name: ("edited by the recall manager" if f.edited else f.source) for f in self.fields},
                **({"table": self.table} if self.table else {})}

    def csv_rows(self) -> list[list]:
        rows = [["field", "label", "value", "source"]]
        rows += [[f.name, f.label, f.value, "edited by the recall manager" if f.edited else f.source]
                 for f in self.fields]
        if self.table:
            rows += [[], *self.table]
        return rows


def _modules():
    from portal.recalls.regulator import (  # the report modules import this package's Field
        cpsc_15b,
        cpsc_fast_track,
        eu_business_gateway,
        eu_safety_gate,
        nhtsa_573,
        nhtsa_quarterly,
    )

    return [cpsc_15b, cpsc_fast_track, nhtsa_573, nhtsa_quarterly, eu_business_gateway, eu_safety_gate]


def reports() -> dict[str, object]:
    """slug -> report module, in the order the console lists them."""
    return {m.SLUG: m for m in _modules()}


SLUGS = ("cpsc-15b", "cpsc-fast-track", "nhtsa-573", "nhtsa-quarterly", "eu-business-gateway", "eu-safety-gate")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value if _text(v))
    return str(value)


def _edits(campaign: RecallCampaign) -> dict:
    return json.loads(campaign.report_edits or "{}")


def build(campaign: RecallCampaign, slug: str, facts: Facts | None = None) -> Report:
    module = reports().get(slug)
    if module is None:
        raise NotFound(f"No report {slug}.")
    edits = _edits(campaign).get(slug) or {}
    fields = []
    with force_locale("en"):  # the regulator's language, whoever asks; the console translates labels only
        facts = facts or campaign_facts(campaign)
        for f in module.FIELDS:
            edited = f.name in edits.get("values", {})
            value = edits["values"][f.name] if edited else _text(f.value(facts))
            fields.append(FilledField(f.name, f.label, f.source, value, edited))
        table = module.table(facts) if hasattr(module, "table") else []
    filings = edits.get("filings") or []
    return Report(slug, module.TITLE, module.REGULATION, campaign, fields, table,
                  date.fromisoformat(filings[-1]) if filings else None)


def save_edits(campaign: RecallCampaign, slug: str, values: dict[str, str], *, filed_on: date | None,
               actor) -> Report:
    """Keep the recall manager's changes to a pre-filled report (a value equal to the pre-filled one is not an
    edit), and the days it was filed (a quarterly report is filed once a quarter), which the deadlines read."""
    module = reports().get(slug)
    if module is None:
        raise NotFound(f"No report {slug}.")
    if campaign.state.value == "draft":
        raise Conflict(_("Reports are made for launched campaigns."))
    if filed_on is not None and filed_on > date.today():
        raise Invalid(_("A report cannot be filed in the future."), field="filed_on")
    with force_locale("en"):  # as build() fills them
        facts = campaign_facts(campaign)
        prefilled = {f.name: _text(f.value(facts)) for f in module.FIELDS}
    changed = {name: str(value).strip()[:4000] for name, value in values.items()
               if name in prefilled and str(value).strip() != prefilled[name]}
    all_edits = _edits(campaign)
    filings = sorted(set((all_edits.get(slug) or {}).get("filings", [])) | ({filed_on.isoformat()} if filed_on else set()))
    all_edits[slug] = {"values": changed, "filings": filings}
    campaign.report_edits = json.dumps(all_edits)
    audit.log(actor, "recall.report_edited", campaign, manufacturer_id=campaign.manufacturer_id, report=slug,
              fields=sorted(changed), filed_on=filed_on.isoformat() if filed_on else None)
    return build(campaign, slug, facts)
