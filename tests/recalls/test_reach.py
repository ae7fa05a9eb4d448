"""Direct reach and effectiveness, counted by the database for a campaign with mixed contacts."""
from datetime import date

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.catalog.services import find_unit
from portal.extensions import db
from portal.notifications.services import deliver_due
from portal.ownership.models import Ownership
from portal.recalls import contacts, remedies, services
from portal.recalls.reach import campaign_reach
from tests.factories import login
from tests.support.recalls import BIKE, MANAGER, make_draft, own


def mixed_campaign():
    """Four bikes hold CELL-A cells: B-001's owner has a confirmed e-mail, B-002 has a safety-only contact,
    B-003's owner never confirmed her address (a printed letter), B-004 reaches nobody."""
    own("ann@example.test", BIKE, "B-001")
    contacts.register(find_unit(BIKE, "B-002"), "carla@example.test")
    db.session.add(Ownership(unit=find_unit(BIKE, "B-003"), owner=find_user("nomail@example.test"),
                             purchased_on=date(2025, 2, 2)))
    campaign = make_draft(lots=["CELL-A"])
    services.launch(campaign, remedy_available=True, actor="test")
    return campaign


def test_direct_reach_counts_each_unit_once_by_its_best_channel_and_flags_under_95_percent(fleet):
    with fleet.app_context():
        campaign = mixed_campaign()
        reach = campaign_reach(campaign)
        assert (reach.population, reach.by_account, reach.by_contact, reach.by_letter) == (4, 1, 1, 1)
        assert reach.share == 0.75 and reach.flagged
        remedies.remove_from_population(remedies.find_by_serial(campaign, "B-004"), "exported", by="desk")
        reach = campaign_reach(campaign)
        assert (reach.population, reach.removed, reach.share, reach.flagged) == (3, 1, 1.0, False)


def test_effectiveness_counts_deliveries_opens_acknowledgements_and_remedies(fleet):
    with fleet.app_context():
        campaign = mixed_campaign()
        db.session.commit()
        deliver_due()
        ann_unit = remedies.find_by_serial(campaign, "B-001")
        remedies.choose_remedy(find_user("ann@example.test"), ann_unit, choice="repair")
        remedies.record_remedy(ann_unit, by="dealer")
        reach = campaign_reach(campaign)
        assert (reach.delivered, reach.opened, reach.acknowledged, reach.remedied) == (2, 1, 1, 1)
        assert reach.completion == 0.25
        db.session.commit()
        campaign_id = campaign.id
    client = fleet.test_client()
    login(client, MANAGER)
    page = client.get(f"/console/ebike/recalls/{campaign_id}").get_data(as_text=True)
    assert 'id="direct-reach">75%' in page and "under 95%" in page
    assert "1 by account, 1 by safety-only contact, 1 by letter" in page


def test_a_unit_whose_owner_and_contact_both_reach_it_counts_once(fleet):
    with fleet.app_context():
        own("ann@example.test", BIKE, "B-001")
        contacts.register(find_unit(BIKE, "B-001"), "carla@example.test")
        campaign = make_draft(lots=["CELL-A"], remedy_unit="part")  # the cells, owned through their bikes
        services.launch(campaign, remedy_available=True, actor="test")
        reach = campaign_reach(campaign)
        assert (reach.population, reach.by_account, reach.by_contact, reach.reachable) == (4, 1, 0, 1)
        assert db.session.scalar(select(Ownership.id)) is not None


def test_the_affected_units_csv_names_the_holder_and_the_remedy_chosen_and_done(fleet):
    import csv
    import io

    from portal.core.exports import csv_text
    from portal.recalls.reports import unit_rows

    with fleet.app_context():
        own("ann@example.test", BIKE, "B-001")
        campaign = make_draft(lots=["PK1"], remedy_unit="part")
        services.launch(campaign, remedy_available=True, actor="test")
        pack = remedies.find_by_serial(campaign, "P-001")
        remedies.choose_remedy(find_user("ann@example.test"), pack, choice="replace")
        remedies.record_remedy(pack, by="dealer")
        rows = list(csv.DictReader(io.StringIO(csv_text(unit_rows(campaign)))))
    assert len(rows) == 10
    first = next(r for r in rows if r["serial"] == "P-001")
    assert (first["registered_owner"], first["held_in"], first["remedy_choice"], first["remedy_done"]) == \
        ("yes", "B-001", "replace", "replace")
    assert next(r for r in rows if r["serial"] == "P-002")["registered_owner"] == "no"
