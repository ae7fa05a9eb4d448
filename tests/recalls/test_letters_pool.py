"""Recall letters laid out in a pool of processes: the same letters, in the same order, as in one process."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from portal.accounts.services import create_user
from portal.catalog.services import find_unit
from portal.extensions import db
from portal.ownership.models import Ownership
from portal.recalls import letters, services
from tests.factories import PASSWORD
from tests.support.recalls import BIKE, make_draft


def pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("threads", [1, 2], ids=["forked", "spawned"])
def test_a_pool_of_two_processes_writes_the_letters_one_process_writes_in_owner_order(fleet, monkeypatch, threads):
    monkeypatch.setattr(letters, "LETTERS_PER_PART", 1)  # every letter a part of its own: four parts, two cores
    # The pool forks when the caller runs one thread (a worker) and spawns otherwise (this test runs an SMTP
    # server thread): both ways.
    monkeypatch.setattr(letters.threading, "active_count", lambda: threads)
    with fleet.app_context():
        for n in range(1, 5):  # unconfirmed addresses: only a letter reaches them
            owner = create_user(f"paper{n}@example.test", PASSWORD, name=f"Paper Owner {n}")
            owner.locale = "de" if n == 3 else "en"
            db.session.add(Ownership(unit=find_unit(BIKE, f"B-00{n}"), owner=owner, purchased_on=date(2025, 2, 2)))
        campaign = make_draft(lots=["CELL-A"])
        services.launch(campaign, remedy_available=True, actor="test")
        pooled, alone = io.BytesIO(), io.BytesIO()
        assert letters.render_letters(campaign, pooled, processes=2) == 4
        assert letters.render_letters(campaign, alone, processes=1) == 4
        db.session.rollback()

    got = pages(pooled.getvalue())
    assert got == pages(alone.getvalue())
    assert len(got) == 4
    for n, page in enumerate(got, start=1):
        assert f"Paper Owner {n}" in page and f"B-00{n}" in page, page
        assert all(f"Paper Owner {m}" not in page for m in range(1, 5) if m != n)
    assert "WICHTIGE INFORMATIONEN ZU EINEM SICHERHEITSRÜCKRUF" in got[2]
