"""GPSR recall notices (Regulation (EU) 2023/988 Art. 36 and 37) as a rule checked before launch."""
from dataclasses import replace

import pytest
from flask_babel import force_locale

from portal.core.errors import Invalid
from portal.extensions import db
from portal.recalls import services
from portal.recalls.models import CampaignState, RecallCampaign
from portal.recalls.notice_rules import build_notice, check, forbidden_wording, missing_elements
from tests.factories import login
from tests.support.recalls import MANAGER, make_draft

#: For each element of Art. 36(2), a change of a whole notice that takes it away.
WITHOUT = {
    "b": [{"identifier_location": ""}, {"identifier_image": ""}, {"product_image": ""}, {"sold_from": None},
          {"sold_where": ""}, {"sold_by": ""}],
    "c": [],  # the hazard: save_draft itself refuses a campaign without one
    "d": [{"remedy_instructions": ""}],
    "e": [{"remedies": ""}],
    "f": [{"contact_phone": "", "contact_url": ""}],
    "g": [{"share_request": ""}],
}


def test_a_whole_notice_has_every_element_and_nothing_forbidden(fleet):
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"])
        doc = build_notice(campaign)
        assert missing_elements(doc) == [] and check(campaign) == []
        assert doc.heading == "Product safety recall" and doc.brand == "E-Bike Co"
        assert "lot CELL-A" in doc.identifiers and doc.product_names == ["Bike", "Cell"]  # counted, then the part


@pytest.mark.parametrize("letter, change", [(k, c) for k, changes in WITHOUT.items() for c in changes])
def test_a_notice_missing_an_element_cannot_launch(fleet, letter, change):
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"], notice=change)
        assert letter in missing_elements(build_notice(campaign))
        with pytest.raises(Invalid, match=rf"lacks \({letter}\)"):
            services.launch(campaign, remedy_available=True, actor="test")
        assert campaign.state is CampaignState.DRAFT


def test_the_heading_and_the_hazard_are_elements_too(fleet):
    with fleet.app_context():
        doc = build_notice(make_draft(lots=["CELL-A"]))
        assert missing_elements(replace(doc, heading="")) == ["a"]
        assert missing_elements(replace(doc, hazard=" ")) == ["c"]
        with pytest.raises(Invalid, match="hazard"):
            make_draft(number="R-2", lots=["CELL-A"], notice={"hazard": ""})
        with force_locale("fr"):
            assert build_notice(make_draft(number="R-3", lots=["CELL-A"])).heading == "Rappel de produit pour raisons de sécurité"
        with force_locale("de"):
            assert build_notice(make_draft(number="R-4", lots=["CELL-A"])).heading == "Produktsicherheitsrückruf"


@pytest.mark.parametrize("text, lang", [
    ("This is a voluntary recall.", "en"), ("We recall it as a precaution.", "en"),
    ("A precautionary measure.", "en"), ("At our discretionary choice.", "en"),
    ("It may overheat in rare situations.", "en"), ("Only in specific situations.", "en"),
    ("No accidents have been reported.", "en"),
    ("Ce rappel volontaire concerne les batteries.", "fr"), ("Par précaution, nous rappelons", "fr"),
    ("Dans de rares cas, la batterie chauffe.", "fr"), ("Aucun accident n’a été signalé.", "fr"),
    ("Une mesure discrétionnaire.", "fr"),
    ("Ein freiwilliger Rückruf.", "de"), ("Vorsorglich rufen wir zurück.", "de"),
    ("In seltenen Fällen kann der Akku überhitzen.", "de"), ("Als Vorsichtsmaßnahme.", "de"),
    ("Es wurden keine Unfälle gemeldet.", "de"), ("In bestimmten Situationen.", "de"),
])
def test_wording_that_lowers_the_risk_is_caught_in_english_french_and_german(fleet, text, lang):
    assert lang in {found_lang for _, found_lang in forbidden_wording(text)}
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"], notice={"remedy_instructions": f"Stop using it. {text}"})
        assert any("GPSR Art. 36 forbids" in p for p in check(campaign))
        with pytest.raises(Invalid, match="forbids"):
            services.launch(campaign, remedy_available=True, actor="test")


def test_plain_words_are_not_mistaken_for_forbidden_ones():
    assert forbidden_wording("Cells can overheat and catch fire. Stop using the bike and bring it to a dealer.",
                             "Les cellules peuvent surchauffer.", "Die Zellen können überhitzen.") == []


def test_at_least_two_remedies_are_offered(fleet):
    with fleet.app_context():
        campaign = make_draft(lots=["CELL-A"], notice={"remedies": "refund"})
        assert any("at least two" in p for p in check(campaign))
        with pytest.raises(Invalid, match="at least two"):
            services.launch(campaign, remedy_available=True, actor="test")
        with pytest.raises(Invalid, match="Unknown remedy"):
            make_draft(number="R-2", lots=["CELL-A"], notice={"remedies": "repair,voucher"})
        both = make_draft(number="R-3", lots=["CELL-A"], notice={"remedies": "replace,refund"})
        assert [r.value for r in both.offered] == ["replace", "refund"] and check(both) == []


def test_the_draft_page_lists_what_is_missing_and_offers_no_launch(fleet):
    with fleet.app_context():
        campaign_id = make_draft(lots=["CELL-A"], notice={"share_request": "", "remedy_instructions":
                                                          "This voluntary recall is precautionary."}).id
        db.session.commit()
    client = fleet.test_client()
    login(client, MANAGER)
    page = client.get(f"/console/ebike/recalls/{campaign_id}").get_data(as_text=True)
    assert "(g) a request to share the notice" in page and "“voluntary” (EN)" in page
    assert "Launch: remedy available" not in page
    refused = client.post(f"/console/ebike/recalls/{campaign_id}/launch", data={"remedy": "available"})
    assert refused.status_code == 302
    with fleet.app_context():
        assert db.session.get(RecallCampaign, campaign_id).state is CampaignState.DRAFT


def test_the_notice_goes_out_in_the_owners_language_first_then_those_of_the_countries_of_sale(fleet, mailbox):
    from portal.accounts.services import find_user
    from portal.notifications.services import deliver_due
    from tests.support.recalls import BIKE, own

    with fleet.app_context():
        find_user("ben@example.test").locale = "de"
        own("ben@example.test", BIKE, "B-001")
        campaign = make_draft(lots=["CELL-A"], notice={"countries": "BE,AT"})  # French and German; AT: German
        services.launch(campaign, remedy_available=True, actor="test")
        db.session.commit()
        deliver_due()
    text = mailbox.last_to("ben@example.test").get_body(("plain",)).get_content()
    german, french = text.index("PRODUKTSICHERHEITSRÜCKRUF"), text.index("RAPPEL DE PRODUIT POUR RAISONS DE SÉCURITÉ")
    assert german < french and "PRODUCT SAFETY RECALL" not in text
    assert "Verwenden Sie das Produkt sofort nicht mehr." in text and "0800 100 200" in text
    assert "Please share this notice" in text  # the manufacturer's own words stay as written
