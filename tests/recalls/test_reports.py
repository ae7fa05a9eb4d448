"""The regulators' figures: completion over time and the quarterly report, from dated remedies and removals."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from portal.catalog.models import Manufacturer
from portal.extensions import db
from portal.recalls import services
from portal.recalls.models import RecallCampaign, RecallUnit, RecallUnitState
from portal.recalls.reports import completion_series, quarterly_rows
from tests.factories import GPSR_NOTICE, build_bike_fleet


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC).replace(hour=10)


@pytest.fixture
def campaign(app):
    """Ten bikes and two cells (inside bikes 1 and 2), each its own unit of remedy: 12 units. Ten joined in January, two in April; two
    remedied in February and one in May; one removed."""
    with app.app_context():
        build_bike_fleet()
        tenant = db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "ebike"))
        draft = services.save_draft(tenant, actor="test", **GPSR_NOTICE, number="R-Q", title="Cells", hazard="Heat.",
                                    criteria={"serial_ranges": [{"from": "B-001", "to": "B-010"},
                                                                {"from": "C-001", "to": "C-002"}],
                                              "remedy_unit": "part"})
        services.launch(draft, remedy_available=True, actor="test")
        db.session.flush()
        ids = sorted(db.session.scalars(select(RecallUnit.id).where(RecallUnit.campaign_id == draft.id)))
        assert len(ids) == 12
        db.session.execute(update(RecallCampaign).where(RecallCampaign.id == draft.id)
                           .values(launched_at=at("2026-01-15")))
        db.session.execute(update(RecallUnit).where(RecallUnit.id.in_(ids[:10])).values(joined_at=at("2026-01-15")))
        db.session.execute(update(RecallUnit).where(RecallUnit.id.in_(ids[10:])).values(joined_at=at("2026-04-10")))
        for unit_id, day in ((ids[0], "2026-02-01"), (ids[1], "2026-02-01"), (ids[10], "2026-05-01")):
            db.session.execute(update(RecallUnit).where(RecallUnit.id == unit_id)
                               .values(state=RecallUnitState.REMEDIED, remedied_at=at(day)))
        db.session.execute(update(RecallUnit).where(RecallUnit.id == ids[2]).values(state=RecallUnitState.REMOVED))
        db.session.commit()
        return draft.id


def test_quarterly_report_counts_by_quarter_and_to_date(app, campaign):
    with app.app_context():
        rows = quarterly_rows(db.session.get(RecallCampaign, campaign))
    assert rows == [
        ["campaign", "quarter", "affected", "removed", "remedied_in_quarter", "remedied_to_date", "completion_rate"],
        ["R-Q", "2026-Q1", 10, 1, 2, 2, f"{2 / 9:.4f}"],
        ["R-Q", "2026-Q2", 12, 1, 1, 3, f"{3 / 11:.4f}"],
    ]


def test_completion_over_time_follows_each_day(app, campaign):
    with app.app_context():
        series = completion_series(db.session.get(RecallCampaign, campaign))
    assert series == [
        (date(2026, 1, 15), 0.0), (date(2026, 1, 15), 0.0), (date(2026, 2, 1), pytest.approx(2 / 9)),
        (date(2026, 4, 10), pytest.approx(2 / 11)), (date(2026, 5, 1), pytest.approx(3 / 11)),
    ]
