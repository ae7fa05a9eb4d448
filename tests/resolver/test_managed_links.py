"""Links manufacturers manage: per model, per lot, per unit template; defaults, retirement, refusals, console, CSV."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal.catalog.models import Manufacturer
from portal.core.audit import AuditEntry
from portal.core.errors import Invalid, NotFound
from portal.extensions import db
from portal.resolver import services
from portal.resolver.services import LinkFields
from tests.factories import login
from tests.support.resolver import ROOT, bare

VOC = "https://gs1.org/voc/"


def tenant(slug: str) -> Manufacturer:
    return db.session.scalar(select(Manufacturer).where(Manufacturer.slug == slug))


def add(app, **given):
    with app.app_context():
        link = services.add_link(tenant(given.pop("slug", "acme")), LinkFields(**given), actor="test")
        db.session.commit()
        return link.id


def test_a_model_link_is_published_at_every_level_below_it(app, get, world, codes):
    add(app, gtin=world.gtin_a, scope="model", link_type="gs1:instructions", title="Manual",
        target="https://acme.example/manual.pdf", media_type="application/pdf", language="en")
    for kind in ("gtin", "lot", "serial"):
        response = get(bare(codes[kind]) + "?linkType=gs1:instructions&foo=bar")
        assert response.status_code == 307 and response.headers["Location"] == "https://acme.example/manual.pdf?foo=bar"
    linkset = get(bare(codes["serial"]) + "?linkType=linkset").get_json()["linkset"]
    gtin_level = linkset[-1]
    assert gtin_level[VOC + "instructions"] == [{"href": "https://acme.example/manual.pdf", "title": "Manual",
                                                 "type": "application/pdf", "hreflang": ["en"]}]


def test_a_unit_template_fills_in_the_serial_and_wins_over_the_levels_above(app, get, world, codes):
    add(app, gtin=world.gtin_a, scope="unit", link_type="serviceInfo", title="Care",
        target="https://acme.example/care/{serial}?gtin={gtin}")
    response = get(bare(codes["serial"]) + "?linkType=gs1:serviceInfo")
    assert response.headers["Location"] == f"https://acme.example/care/{world.serials_a[0]}?gtin={world.gtin_a}"
    # The GTIN level keeps the portal's own warranty link.
    assert get(codes["gtin"] + "?linkType=gs1:serviceInfo").headers["Location"].startswith(ROOT + "/product/")


def test_the_default_of_a_level_is_the_managers_choice_and_only_one(app, get, world, codes):
    first = add(app, gtin=world.gtin_a, scope="lot", lot="L1", link_type="pip", title="Lot page",
                target="https://acme.example/lots/L1", is_default=True)
    assert get(codes["lot"]).headers["Location"] == "https://acme.example/lots/L1"
    assert get(codes["gtin"]).headers["Location"] == f"{ROOT}/product{codes['gtin']}"  # the GTIN level keeps its own
    add(app, gtin=world.gtin_a, scope="lot", lot="L1", link_type="safetyInfo", title="Safety",
        target="https://acme.example/lots/L1/safety", is_default=True)
    assert get(codes["lot"]).headers["Location"] == "https://acme.example/lots/L1/safety"
    lot_level = get(codes["lot"] + "?linkType=linkset").get_json()["linkset"][0]
    assert lot_level[VOC + "defaultLink"] == [{"href": "https://acme.example/lots/L1/safety", "title": "Safety"}]
    with app.app_context():
        assert not db.session.get(services.ManagedLink, first).is_default


def test_a_retired_link_answers_410_for_its_type_and_leaves_the_linkset(app, get, client, world, codes):
    link_id = add(app, gtin=world.gtin_a, scope="model", link_type="recyclingInfo", title="Recycling",
                  target="https://acme.example/recycle")
    with app.app_context():
        services.retire_link(tenant("acme"), link_id, actor="test")
        db.session.commit()
    gone = get(codes["gtin"] + "?linkType=gs1:recyclingInfo", Accept="application/json")
    assert gone.status_code == 410 and gone.get_json()["status"] == 410
    assert get(codes["gtin"] + "?linkType=gs1:recyclingInfo").status_code == 410
    linkset = get(codes["gtin"] + "?linkType=linkset").get_json()["linkset"][0]
    assert VOC + "recyclingInfo" not in linkset
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("resolver_link.%"))).all()
    assert actions == ["resolver_link.added", "resolver_link.retired"]


@pytest.mark.parametrize("target", ["javascript:alert(1)", "http://acme.example/x", "data:text/html,hi",
                                    "ftp://acme.example/x", "https://", "https://acme.example/{foo}",
                                    "https://acme.example/a b", "https://acme.example/\"><script>", "//acme.example/x",
                                    " JAVASCRIPT:alert(1)"])
def test_targets_other_than_plain_https_are_refused(app, world, target):
    with app.app_context(), pytest.raises(Invalid) as refused:
        services.add_link(tenant("acme"), LinkFields(gtin=world.gtin_a, scope="unit", link_type="support",
                                                     title="Help", target=target), actor="test")
    assert refused.value.field == "target"


def test_placeholders_only_in_a_unit_template_and_types_only_from_gs1(app, world):
    with app.app_context():
        acme = tenant("acme")
        with pytest.raises(Invalid, match="Only a link for every unit"):
            services.add_link(acme, LinkFields(gtin=world.gtin_a, scope="model", link_type="support", title="Help",
                                               target="https://acme.example/{serial}"), actor="test")
        with pytest.raises(Invalid, match="not a GS1 link type"):
            services.add_link(acme, LinkFields(gtin=world.gtin_a, scope="model", link_type="acme:deals",
                                               title="Deals", target="https://acme.example/"), actor="test")
        with pytest.raises(Invalid) as no_lot:
            services.add_link(acme, LinkFields(gtin=world.gtin_a, scope="lot", link_type="support", title="Help",
                                               target="https://acme.example/"), actor="test")
        assert no_lot.value.field == "lot"
        with pytest.raises(NotFound):  # another manufacturer's GTIN
            services.add_link(acme, LinkFields(gtin=world.gtin_b, scope="model", link_type="support", title="Help",
                                               target="https://acme.example/"), actor="test")


def test_staff_manage_links_in_the_console_and_import_a_csv(app, get, world, codes):
    admin = app.test_client()
    login(admin, world.staff_a["admin"])
    page = admin.post("/console/acme/links", data={
        "gtin": world.gtin_a, "scope": "model", "link_type": "support", "title": "Help desk",
        "target": "https://acme.example/help", "media_type": "text/html"})
    assert page.status_code == 303
    assert get(codes["gtin"] + "?linkType=gs1:support").headers["Location"] == "https://acme.example/help"
    refused = admin.post("/console/acme/links", data={
        "gtin": world.gtin_a, "scope": "model", "link_type": "support", "title": "Bad",
        "target": "javascript:alert(1)"})
    assert refused.status_code == 422 and "https://" in refused.get_data(as_text=True)
    csv = ("gtin,scope,lot,link_type,target,title,language,media_type,context,default\n"
           f"{world.gtin_a},lot,L1,recallStatus,https://acme.example/recalls/L1,Lot recalls,en,text/html,,\n"
           f"{world.gtin_a},unit,,repairInfo,https://acme.example/repair/{{serial}},Repair,,,,\n"
           f"{world.gtin_a},model,,pip,javascript:alert(1),Evil,,,,\n")
    imported = admin.post("/console/acme/links/import", data={"file": (io.BytesIO(csv.encode()), "links.csv")},
                          content_type="multipart/form-data")
    assert imported.status_code == 422
    text = imported.get_data(as_text=True)
    assert "2 links added" in text and "Line 4" in text
    assert get(codes["lot"] + "?linkType=gs1:recallStatus").headers["Location"] == "https://acme.example/recalls/L1"
    assert get(bare(codes["serial"]) + "?linkType=gs1:repairInfo").headers["Location"] == \
        f"https://acme.example/repair/{world.serials_a[0]}"
    listing = admin.get("/console/acme/links").get_data(as_text=True)
    assert "Help desk" in listing and "gs1:repairInfo" in listing
    other = app.test_client()
    login(other, world.staff_b["admin"])
    assert other.get("/console/acme/links").status_code == 404  # another tenant's staff


def test_only_admins_manage_links(app, world):
    agent = app.test_client()
    login(agent, world.staff_a["claims_agent"])
    assert agent.get("/console/acme/links").status_code == 403

