"""Recall notices rendered a claimed batch at a time: the outbox's batch renderer for "recall_notice".

`render_recall_notice` (recalls.notices) makes one notice with three queries and two whole templates per
language. A batch of the outbox (notifications.delivery.BATCH_SIZE rows) shares its campaign, so here:

- one query for the batch's accounts, one for its safety-only contacts, one for every owner's units of
  remedy (notices.units_by_owner);
- per campaign and language, once: the GPSR document (notice_rules.build_notice), the subject, and the
  templates' common blocks (`head`; `intro` per kind of notice; `tail` per kind of reader);
- per notice, only the blocks that name its reader: `greeting` (cached by name) and `units`.

The templates (templates/mail/recall_notice.txt and .html) are one sequence of those five blocks, so the
blocks joined are the whole template: each notice comes out byte for byte as `render_recall_notice` makes it
(tests/recalls/test_notice_batches.py compares them). A notice this cannot make (its account or contact is
gone) is left out, and the outbox renders it one by one, which fails and retries as before.
"""
from __future__ import annotations

import json
from collections import defaultdict

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.catalog.models import Unit
from portal.core.i18n import user_locale
from portal.core.urls import external_url
from portal.extensions import db
from portal.recalls.models import RecallCampaign, SafetyContact
from portal.recalls.notice_rules import build_notice
from portal.recalls.notices import (
    HEADLINE,
    AffectedUnit,
    notice_languages,
    public_link,
    recall_subject,
    units_by_owner,
)

Rendered = tuple[str, str, str]
#: The separators render_recall_notice puts between a notice's languages.
TEXT_SEPARATOR, HTML_SEPARATOR = "\n\n----------\n\n", "<hr>"


def render_recall_notices(notes) -> dict[int, Rendered]:
    """{note id: (subject, text, HTML)} for the recall notices among `notes` (outbox rows of a batch)."""
    by_campaign: dict[int, list] = defaultdict(list)
    for note in notes:
        data = json.loads(note.context or "{}")
        if data.get("campaign_id"):
            by_campaign[data["campaign_id"]].append((note, data))
    env = current_app.jinja_env
    templates = (env.get_template("mail/recall_notice.txt"), env.get_template("mail/recall_notice.html"))
    extra: dict = {}
    current_app.update_template_context(extra)  # what render_template adds to every context
    rendered: dict[int, Rendered] = {}
    for campaign_id, items in by_campaign.items():
        campaign = db.session.get(RecallCampaign, campaign_id)
        if campaign is not None:
            rendered.update(_CampaignBatch(campaign, templates, extra).render(items))
    return rendered


class _CampaignBatch:
    """One campaign's notices of a batch; what they share is made once per language."""

    def __init__(self, campaign: RecallCampaign, templates, extra: dict) -> None:
        self.campaign, self.templates = campaign, templates
        self.links = {"public_link": public_link(campaign), "lookup": external_url("recalls.lookup"),
                      "owner_link": external_url("recalls.my_campaign_notice", campaign_id=campaign.id)}
        self.extra = extra
        self.docs: dict[str, object] = {}
        self.subjects: dict[str, str] = {}
        self.common: dict[tuple, tuple[str, str]] = {}

    def render(self, items) -> dict[int, Rendered]:
        readers = self._readers(items)
        pieces: dict[tuple[int, str], tuple[str, str]] = {}
        wanted: dict[str, list] = defaultdict(list)
        for note, data in items:
            if note.id in readers:
                first = readers[note.id][0]
                for language in notice_languages(self.campaign, first):
                    wanted[language].append((note, data))
        for language, mine in wanted.items():
            with force_locale(language):
                for note, data in mine:
                    pieces[note.id, language] = self._notice(language, data["kind"], *readers[note.id][1:])
        out: dict[int, Rendered] = {}
        for note, _data in items:
            if note.id not in readers:
                continue
            first = readers[note.id][0]
            parts = [pieces[note.id, language] for language in notice_languages(self.campaign, first)]
            out[note.id] = (self._subject(first), TEXT_SEPARATOR.join(p[0] for p in parts),
                            HTML_SEPARATOR.join(p[1] for p in parts))
        return out

    def _readers(self, items) -> dict[int, tuple[str, User | None, list[AffectedUnit]]]:
        """{note id: (first language, account or None, units)}, in three queries for the whole batch."""
        user_ids = {note.user_id for note, data in items if not data.get("contact_id") and note.user_id}
        contact_ids = {data["contact_id"] for _note, data in items if data.get("contact_id")}
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
        contacts = ({c.id: c for c in db.session.scalars(
            select(SafetyContact).options(joinedload(SafetyContact.unit).joinedload(Unit.model))
            .where(SafetyContact.id.in_(contact_ids)))} if contact_ids else {})
        units = units_by_owner(self.campaign.id, sorted(users)) if users else {}
        readers: dict[int, tuple[str, User | None, list[AffectedUnit]]] = {}
        for note, data in items:
            if data.get("contact_id"):
                contact = contacts.get(data["contact_id"])
                if contact is not None:
                    readers[note.id] = (contact.locale, None,
                                        [AffectedUnit(contact.unit.model, contact.unit.serial)])
            elif note.user_id in users:
                user = users[note.user_id]
                readers[note.id] = (user_locale(user), user, units.get(user.id, []))
        return readers

    def _subject(self, first: str) -> str:
        if first not in self.subjects:
            with force_locale(first):
                self.subjects[first] = recall_subject(self.campaign)
        return self.subjects[first]

    def _context(self, language: str, kind: str, user: User | None, units: list[AffectedUnit]) -> dict:
        if language not in self.docs:
            self.docs[language] = build_notice(self.campaign)
        link = self.links["owner_link"] if user is not None else self.links["public_link"]
        return {**self.extra, "campaign": self.campaign, "user": user, "kind": kind, "headline": HEADLINE,
                "link": link, "units": units, "doc": self.docs[language], "public_link": self.links["public_link"],
                "lookup": self.links["lookup"], "contact_only": user is None}

    def _notice(self, language: str, kind: str, user: User | None, units: list[AffectedUnit]) -> tuple[str, str]:
        """(text, HTML) of one notice in `language` (the caller has forced it)."""
        context = self._context(language, kind, user, units)
        name = user.name if user is not None else ""
        shared = [self._block("head", (language,), context), self._block("greeting", (language, name), context),
                  self._block("intro", (language, kind), context)]
        tail = self._block("tail", (language, user is None), context)
        own = [_blocks(template, context, "units") for template in self.templates]
        return tuple("".join((shared[0][i], shared[1][i], shared[2][i], own[i], tail[i])) for i in (0, 1))

    def _block(self, name: str, key: tuple, context: dict) -> tuple[str, str]:
        """The (text, HTML) of block `name`, made once per `key` (what it depends on besides the campaign)."""
        key = (name, *key)
        if key not in self.common:
            self.common[key] = tuple(_blocks(template, context, name) for template in self.templates)
        return self.common[key]


def _blocks(template, context: dict, name: str) -> str:
    return "".join(template.blocks[name](template.new_context(context)))
