"""Single-line fields stay single lines, a message that can never be sent dies at once, and GS1 company
prefixes of different tenants never overlap."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.catalog.models import CompanyPrefix, Manufacturer
from portal.catalog.services import add_company_prefix, add_model, create_tenant
from portal.core.errors import Conflict, Invalid
from portal.demo import gtin_for
from portal.extensions import db
from portal.notifications.models import DeliveryState, Notification
from portal.notifications.services import deliver_due, enqueue
from tests.factories import build_world, login

BREAKS = ["Brakes\r\nBcc: everyone@example.test", "Brakes\nfail", "Brakes\rfail", "Brakes\x0bfail", "Brakes\u2028fail"]


@pytest.mark.parametrize("taken, wanted", [("761234", "7612345"), ("7612345", "761234"), ("4012", "40123456")])
def test_a_prefix_that_starts_or_extends_another_tenants_is_refused(ctx, taken, wanted):
    create_tenant("first", "First", [taken], actor="test")
    with pytest.raises(Conflict, match=f"overlaps prefix {taken}"):
        create_tenant("second", "Second", [wanted], actor="test")
    db.session.rollback()
    assert db.session.scalar(select(CompanyPrefix.prefix).where(CompanyPrefix.prefix == wanted)) is None


def test_a_prefix_beside_another_is_still_accepted(ctx):
    first = create_tenant("first", "First", ["761234"], actor="test")
    add_company_prefix(first, "761235")
    create_tenant("second", "Second", ["7612360"], actor="test")


def test_the_platform_admin_page_refuses_an_overlapping_prefix_with_a_4xx(app):
    world = build_world(app)  # acme holds 4012345
    client = app.test_client()
    login(client, world.platform_admin)
    response = client.post("/admin/tenants", data={"slug": "copycat", "name": "Copycat", "gs1_prefix": "40123456"})
    assert 400 <= response.status_code < 500 and "overlaps prefix 4012345" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Manufacturer).where(Manufacturer.slug == "copycat")) is None


@pytest.mark.parametrize("name", BREAKS)
def test_a_model_name_with_a_line_break_is_refused_at_input(ctx, name):
    tenant = create_tenant("first", "First", ["761234"], actor="test")
    with pytest.raises(Invalid, match="single line") as caught:
        add_model(tenant, gtin=gtin_for("761234", 1), name=name, warranty_months=24, actor="test")
    assert caught.value.field == "name"


@pytest.mark.parametrize("name", BREAKS[:2])
def test_a_manufacturer_name_with_a_line_break_is_refused(ctx, name):
    with pytest.raises(Invalid, match="single line"):
        create_tenant("first", name, ["761234"], actor="test")


def test_a_message_that_can_never_be_sent_is_dead_at_once_with_the_reason(app, mailbox):
    with app.test_request_context():
        note = enqueue(recipient="ann@example.test", template="reset_password", dedupe_key="broken",
                       subject="Hello\r\nBcc: everyone@example.test", link="http://portal.test/x")
        db.session.commit()
        assert deliver_due() == 0
        db.session.refresh(note)
        assert note.state is DeliveryState.DEAD and note.attempts == 1
        assert "cannot be sent" in note.last_error and "linefeed" in note.last_error.lower()
        assert db.session.scalar(select(Notification.id).where(Notification.state == DeliveryState.PENDING)) is None
    assert mailbox.to("ann@example.test") == []


@pytest.mark.parametrize("title", BREAKS[:3])
def test_a_recall_title_with_a_line_break_is_refused_at_input(ctx, title):
    from portal.recalls import services as recalls
    from tests.factories import GPSR_NOTICE

    tenant = create_tenant("first", "First", ["761234"], actor="test")
    with pytest.raises(Invalid, match="single line"):
        recalls.save_draft(tenant, actor="test", **GPSR_NOTICE, number="R-1", title=title, hazard="Brakes can fail.",
                           criteria={"lots": ["L1"]})
