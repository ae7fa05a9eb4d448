"""Digital Links under a configured path prefix (a tenant's own stem) resolve as at the root."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.extensions import db
from portal.resolver.views import checked_prefixes
from tests.support.resolver import ROOT, bare


@pytest.fixture
def stem_app(app):
    """The test app's settings and database, with /acme as a Digital Link prefix."""
    other = create_app({**app.config, "RESOLVER_PATH_PREFIXES": ("/acme",)})
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("cookie", [False, True])  # the lean path, then the view
def test_a_code_under_a_prefix_resolves_with_its_own_anchor(stem_app, world, codes, cookie):
    client = stem_app.test_client()
    if cookie:
        client.set_cookie("seen_intro", "1", domain="id.provenance.test")
    serial = client.get("/acme" + codes["serial"], base_url=ROOT)
    assert serial.status_code == 307 and serial.headers["Location"].startswith(f"{ROOT}/verdict/01/")
    assert f'<{ROOT}/acme{bare(codes["serial"])}?linkType=linkset>' in serial.headers["Link"]
    linkset = client.get("/acme" + codes["lot"] + "?linkType=linkset", base_url=ROOT).get_json()["linkset"]
    assert [c["anchor"] for c in linkset] == [f"{ROOT}/acme{codes['lot']}", f"{ROOT}/acme{codes['gtin']}"]
    assert linkset[0]["https://gs1.org/voc/pip"][0]["href"] == f"{ROOT}/product{codes['lot']}"
    assert client.get("/other" + codes["gtin"], base_url=ROOT).status_code == 404  # not a configured stem


@pytest.mark.parametrize("bad", ["/", "/01", "/a b", "/x?y"])
def test_a_prefix_that_is_no_path_stem_stops_the_start(bad):
    with pytest.raises(ValueError):
        checked_prefixes([bad])
