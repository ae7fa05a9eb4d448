"""Printed recall letters (one PDF per batch, WeasyPrint in a pool of processes) for owners e-mail cannot reach."""
from __future__ import annotations

import io
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import BinaryIO

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import exists, or_, select

from portal.accounts.models import User
from portal.core.i18n import user_locale
from portal.extensions import db
from portal.notifications.models import Notification
from portal.ownership.models import Ownership
from portal.recalls.models import OPEN_UNIT_STATES, RecallCampaign, RecallUnit, notice_topic
from portal.recalls.notices import HEADLINE, units_by_owner
from portal.recalls.owners import owns


def _unreachable(campaign: RecallCampaign):
    """Owners of unremedied units whose address is unconfirmed, or whose recall e-mail bounced for good."""
    bounced = exists().where(Notification.user_id == User.id, Notification.state == "dead",
                             Notification.topic == notice_topic(campaign.id))
    owner_ids = (select(Ownership.owner_id).distinct().join(RecallUnit, owns(RecallUnit, Ownership))
                 .where(RecallUnit.campaign_id == campaign.id, RecallUnit.state.in_(OPEN_UNIT_STATES)))
    return select(User).where(User.id.in_(owner_ids), or_(User.email_verified_at.is_(None), bounced))


def unreachable_owners(campaign: RecallCampaign) -> list[User]:
    return list(db.session.scalars(_unreachable(campaign).order_by(User.id)))


#: Letters laid out together by one process (one part of the PDF); a part's layout is what a process holds.
LETTERS_PER_PART = 25
#: Parts queued ahead per process: enough to keep every core busy, few enough to keep memory flat.
AHEAD = 2


def render_letters(campaign: RecallCampaign, out: BinaryIO, *, processes: int | None = None) -> int:
    """One PDF for the batch, written to `out`; each letter speaks its owner's language (one batch may mix
    several). Returns the number of letters.

    Streaming: owners are read LETTERS_PER_PART at a time, each part's HTML is made here (it needs the
    database and the owner's language) and laid out by WeasyPrint in a pool of `processes` processes (default:
    one per core; a batch of one part is laid out here), at most AHEAD parts per process in flight, and the
    parts' pages are joined in order into `out`. Memory stays that of a few parts plus the finished PDF."""
    ids = list(db.session.scalars(_unreachable(campaign).with_only_columns(User.id).order_by(User.id)))
    if not ids:
        return 0
    parts = (_part_html(campaign, ids[i:i + LETTERS_PER_PART]) for i in range(0, len(ids), LETTERS_PER_PART))
    processes = processes or os.cpu_count() or 1
    if len(ids) <= LETTERS_PER_PART or processes == 1:
        pdfs = map(_layout, parts)
        _join(pdfs, out)
        return len(ids)
    # Forked when this process runs one thread (a worker, a gunicorn sync worker): the pool starts at once and
    # its processes touch nothing inherited but the HTML they are sent, and leave by os._exit (no inherited
    # connection is closed from there). With other threads, a lock one of them holds could be copied taken:
    # spawned then, at the cost of importing WeasyPrint and this module in each.
    context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        _join(_in_order(pool, parts, processes * AHEAD), out)
    return len(ids)


def _part_html(campaign: RecallCampaign, owner_ids: list[int]) -> str:
    owners = db.session.scalars(select(User).where(User.id.in_(owner_ids)).order_by(User.id)).all()
    units = units_by_owner(campaign.id, owner_ids)
    sections = []
    for user in owners:
        with force_locale(user_locale(user)):
            letter = {"user": user, "units": units.get(user.id, [])}
            sections.append(Markup(render_template("recalls/_letter.html", campaign=campaign, letter=letter,
                                                   headline=str(HEADLINE))))
    return render_template("recalls/letters.html", campaign=campaign, sections=sections)


def _layout(html: str) -> bytes:
    """WeasyPrint's part of the work, in a pool process: HTML in, PDF bytes out (nothing else crosses)."""
    from weasyprint import HTML  # loaded when first used: it is heavy

    return HTML(string=html).write_pdf()


def _in_order(pool: ProcessPoolExecutor, parts: Iterator[str], ahead: int) -> Iterator[bytes]:
    """The PDFs of `parts` in their order, with at most `ahead` parts submitted and not yet joined."""
    waiting: deque[Future] = deque()
    for html in parts:
        waiting.append(pool.submit(_layout, html))
        if len(waiting) >= ahead:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


def _join(pdfs: Iterable[bytes], out: BinaryIO) -> None:
    from pypdf import PdfWriter  # loaded when first used, like WeasyPrint

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    writer.write(out)
