"""The conformance statements on the demo data (what `flask demo load` shows), over HTTPS: a signed watch,
a GTIN-only code and the recalled battery-pack lot."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from portal.core.dl_compression import compress
from portal.core.gs1 import parse_digital_link
from tests.support.resolver import ROOT, bare, linkset_validator

VOC = "https://gs1.org/voc/"


@pytest.fixture
def demo(app):
    from portal.authenticity.labels import current_label, label_uri
    from portal.catalog.services import find_unit
    from portal.demo import gtin_for, load_demo
    from portal.extensions import db

    with app.app_context():
        load_demo()
        db.session.commit()
        watch = find_unit(gtin_for("7612345", 1), "VC42-000017")
        signed = urlsplit(label_uri(watch.model.gtin, watch.serial, current_label(watch)))
        pack = gtin_for("4061234", 90)
    return {"serial": f"{signed.path}?{signed.query}", "gtin": f"/01/{gtin_for('7612345', 1)}",
            "lot": f"/01/{pack}/10/CELL-A1"}


def test_every_statement_holds_for_the_demo_codes(client, demo):
    def get(path, **headers):
        return client.get(path, base_url=ROOT, headers=headers)

    for kind, code in demo.items():
        plain = get(code)
        assert plain.status_code == 307 and plain.headers["Access-Control-Allow-Origin"] == "*", kind
        assert f'<{ROOT}{bare(code)}?linkType=linkset>; rel="linkset"' in plain.headers["Link"], kind
        head = client.head(code, base_url=ROOT)
        assert head.status_code == 307 and head.headers["Location"] == plain.headers["Location"], kind
        assert client.options(bare(code), base_url=ROOT).status_code == 204, kind
        linkset = get(bare(code) + "?linkType=linkset")
        assert linkset.mimetype == "application/linkset+json", kind
        document = linkset.get_json()
        assert not list(linkset_validator().iter_errors(document)), kind
        assert document["linkset"][0]["anchor"] == ROOT + bare(code), kind
        assert plain.headers["Location"].split("?")[0] == document["linkset"][0][VOC + "defaultLink"][0]["href"], kind
        moved = get(bare(code) + "?linkType=gs1:recallStatus&foo=bar")
        assert moved.status_code == 307 and "foo=bar" in moved.headers["Location"], kind
        assert get(bare(code) + "?linkType=gs1:nosuchlt").status_code == 404, kind
        assert get(bare(code) + "/foo").status_code == 400, kind
        assert get(bare(code) + "/").headers["Location"] == get(bare(code)).headers["Location"], kind
        small = compress(parse_digital_link(code), ROOT)[len(ROOT):]
        assert get(small).headers["Location"] == plain.headers["Location"], kind
    assert get("/.well-known/gs1resolver").get_json()["resolverRoot"] == ROOT
    assert get(demo["serial"], Accept="application/json").get_json()["verdict"] == "genuine"


def test_the_recalled_demo_lot_says_so_on_its_recall_status(client, demo):
    moved = client.get(demo["lot"] + "?linkType=gs1:recallStatus", base_url=ROOT, headers={"Accept": "application/json"})
    status = client.get(moved.headers["Location"][len(ROOT):], base_url=ROOT).get_json()
    assert status["open_recalls"] == 1 and status["recalls"][0]["campaign"] == "R-2026-001"
    page = client.get(demo["lot"], base_url=ROOT, follow_redirects=True).get_data(as_text=True)
    assert "PowerPack 500 cells of lot CELL-A1 may overheat" in page
