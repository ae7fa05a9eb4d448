"""Each statement of GS1's resolver conformance criteria (Conformance1_2.txt of gs1/GS1DL-resolver-testsuite),
checked for a serial URI, a GTIN-only URI and a lot URI of the test data, in the order the file lists them."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from portal.core.dl_compression import compress
from portal.core.gs1 import parse_digital_link
from tests.support.resolver import ROOT, bare, linkset_validator

KINDS = ("serial", "gtin", "lot")
LINKSET = "application/linkset+json"
VOC = "https://gs1.org/voc/"


def linkset_of(get, path, **headers):
    response = get(bare(path) + "?linkType=linkset", **headers)
    assert response.status_code == 200 and response.mimetype == LINKSET
    return response.get_json()


@pytest.mark.parametrize("kind", KINDS)
def test_get_head_and_options_are_answered(get, client, codes, kind):
    path = codes[kind]
    got, head = get(path), client.head(path, base_url=ROOT)
    assert got.status_code == head.status_code == 307 and head.get_data() == b""
    assert head.headers["Location"] == got.headers["Location"] and head.headers["Link"] == got.headers["Link"]
    preflight = client.options(bare(path), base_url=ROOT, headers={
        "Origin": "https://scanner.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Accept-Language"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert set(preflight.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert "Accept-Language" in preflight.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("kind", KINDS)
def test_answers_over_https_name_https_everywhere(get, codes, kind):
    response = get(codes[kind])
    assert response.headers["Location"].startswith(ROOT + "/")
    assert f"<{ROOT}/01/" in response.headers["Link"]
    assert all(c["anchor"].startswith(ROOT) for c in linkset_of(get, codes[kind])["linkset"])


@pytest.mark.parametrize("kind", KINDS)
def test_cors_headers_on_every_answer_expose_link_and_location(get, codes, kind):
    for response in (get(codes[kind]), get(bare(codes[kind]) + "?linkType=linkset"),
                     get(bare(codes[kind]) + "?linkType=gs1:nosuchlt")):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"Link", "Location"} <= exposed


@pytest.mark.parametrize("kind", KINDS)
def test_a_compressed_uri_resolves_like_its_uncompressed_form_and_says_so(get, codes, kind):
    plain = get(codes[kind])
    compressed = compress(parse_digital_link(codes[kind]), ROOT)
    response = get(compressed[len(ROOT):])
    assert response.status_code == plain.status_code == 307
    assert response.headers["Location"] == plain.headers["Location"]  # the signed query went along
    assert f'<{ROOT}{bare(codes[kind])}>; rel="owl:sameAs"' in response.headers["Link"]
    linkset = get(bare(compressed[len(ROOT):]) + "?linkType=linkset").get_json()
    assert linkset["linkset"][0]["anchor"] == ROOT + bare(codes[kind])  # facts are about the uncompressed URI


@pytest.mark.parametrize("kind", KINDS)
def test_syntax_errors_are_400_with_the_reason_and_never_200(get, codes, kind):
    response = get(bare(codes[kind]) + "/foo", Accept="application/json")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert "foo" in response.get_json()["detail"]
    page = get(bare(codes[kind]) + "/foo")
    assert page.status_code == 400 and "foo" in page.get_data(as_text=True)


@pytest.mark.parametrize("bad, reason", [("/01/04012345000017", "check digit"), ("/01/4012345", "8, 12, 13 or 14"),
                                         ("/01/04012345000016/21/A%20B", "character"),
                                         ("/01/04012345000016/21/X/10/L1", "order")])
def test_each_syntax_error_names_what_is_wrong(get, world, bad, reason):
    response = get(bad, Accept="application/json")
    assert response.status_code == 400 and reason in response.get_json()["detail"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_linkset_holds_every_level_up_to_the_gtin_and_validates_against_gs1s_schema(get, codes, kind, world):
    linkset = linkset_of(get, codes[kind])
    assert not list(linkset_validator().iter_errors(linkset))
    anchors = [c["anchor"] for c in linkset["linkset"]]
    expected = {"serial": [ROOT + bare(codes["serial"]), ROOT + codes["gtin"]],
                "gtin": [ROOT + codes["gtin"]], "lot": [ROOT + codes["lot"], ROOT + codes["gtin"]]}[kind]
    assert anchors == expected


@pytest.mark.parametrize("how", ["linkType=linkset", "linkType=all", "accept"])
def test_the_linkset_is_had_three_ways_without_a_redirect(get, codes, how):
    if how == "accept":
        response = get(codes["lot"].split("?")[0], Accept=LINKSET)
    else:
        response = get(codes["lot"] + "?" + how)
    assert response.status_code == 200 and response.mimetype == LINKSET
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in response.headers["Link"]
    assert 'type="application/ld+json"' in response.headers["Link"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_link_to_the_linkset_is_on_every_answer_redirects_included(get, codes, kind):
    expected = f'<{ROOT}{bare(codes[kind])}?linkType=linkset>; rel="linkset"; type="{LINKSET}"'
    for response in (get(codes[kind]), get(bare(codes[kind]) + "?linkType=gs1:pip"),
                     get(bare(codes[kind]) + "?linkType=gs1:nosuchlt")):
        assert expected in response.headers["Link"]
    assert 'rel="gs1:' not in get(codes[kind]).headers["Link"]  # not every link again (deprecated)


@pytest.mark.parametrize("kind", KINDS)
def test_each_level_has_exactly_one_default_link_with_a_title_and_nothing_else(get, codes, kind):
    for context in linkset_of(get, codes[kind])["linkset"]:
        default = context[VOC + "defaultLink"]
        assert len(default) == 1 and set(default[0]) == {"href", "title"} and default[0]["title"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_link_has_a_target_a_type_and_a_title(get, codes, kind):
    for context in linkset_of(get, codes[kind])["linkset"]:
        for relation, links in context.items():
            if relation in ("anchor", "itemDescription"):
                continue
            assert relation.startswith(VOC)
            assert all(link["href"].startswith(ROOT) and link["title"] for link in links)


@pytest.mark.parametrize("kind", KINDS)
def test_a_plain_request_redirects_to_the_default_link(get, codes, kind):
    default = linkset_of(get, codes[kind])["linkset"][0][VOC + "defaultLink"][0]["href"]
    assert get(bare(codes[kind])).headers["Location"] == default
    target = {"serial": "/verdict/01/", "gtin": "/product/01/", "lot": "/product/01/"}[kind]
    assert urlsplit(default).path.startswith(target)


@pytest.mark.parametrize("kind", KINDS)
def test_a_requested_link_type_redirects_to_that_link(get, codes, kind):
    context = linkset_of(get, codes[kind])["linkset"][0]
    seen = set()
    for relation, links in context.items():
        if not relation.startswith(VOC) or relation.endswith("defaultLink"):
            continue
        term = relation[len(VOC):]
        response = get(bare(codes[kind]) + f"?linkType=gs1:{term}")
        assert response.status_code == 307, term
        assert response.headers["Location"] == links[0]["href"], term  # the first (HTML) link of its type
        seen.add(term)
    assert seen  # every level has links of its own


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_type_is_chosen_by_the_media_type_asked_for(get, codes, kind):
    response = get(bare(codes[kind]) + "?linkType=gs1:recallStatus", Accept="application/json")
    assert response.status_code == 307 and "format=json" in response.headers["Location"]
    json_answer = get(response.headers["Location"][len(ROOT):], Accept="application/json")
    assert json_answer.status_code == 200 and json_answer.is_json


@pytest.mark.parametrize("kind", KINDS)
def test_every_key_value_pair_of_the_query_passes_on_when_redirecting(get, codes, kind):
    path = codes[kind] + ("&" if "?" in codes[kind] else "?") + "foo=bar&x=a%20b"
    for link_type in ("", "&linkType=gs1:pip", "&linkType=gs1:recallStatus"):
        response = get(path + link_type)
        query = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
        assert query["foo"] == "bar" and query["x"] == "a b" and "linkType" not in query
        if kind == "serial" and not link_type:
            assert {"n", "k", "s"} <= set(query)  # the signed query reaches the verdict


def test_the_resolver_description_file(get, world):
    response = get("/.well-known/gs1resolver")
    assert response.status_code == 200 and response.is_json
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    # The fields GS1's Resolver standard requires, with their types (its JSON schema is not published in a
    # repository we can read, so the structure is checked here field by field).
    assert body["resolverRoot"] == ROOT and body["supportedPrimaryKeys"] == ["01"]
    assert isinstance(body["name"], str) and body["name"]
    assert {"namespace": VOC, "prefix": "gs1:"} in body["supportedLinkType"]
    assert body["linkTypeDefaultCanBeLinkset"] is False and isinstance(body["contact"]["fn"], str)
    assert body["jsonLdContextLocation"].startswith("https://")
    assert get("/.well-known/gs1resolver").headers["Cache-Control"].startswith("public")


@pytest.mark.parametrize("form", ["gs1:pip", "https://gs1.org/voc/pip", "https://ref.gs1.org/voc/pip",
                                  "https%3A%2F%2Fgs1.org%2Fvoc%2Fpip"])
def test_the_gs1_vocabulary_is_recognised_in_each_of_its_forms(get, codes, form):
    response = get(codes["lot"] + "?linkType=" + form)
    assert response.status_code == 307 and response.headers["Location"] == f"{ROOT}/product{codes['lot']}"


def test_link_types_are_gs1_terms_only(get, codes):
    for kind in KINDS:
        for context in linkset_of(get, codes[kind])["linkset"]:
            assert all(key in ("anchor", "itemDescription") or key.startswith(VOC) for key in context)


@pytest.mark.parametrize("kind", KINDS)
def test_a_trailing_slash_is_tolerated(get, codes, kind):
    path, _sep, query = codes[kind].partition("?")
    plain, slashed = get(codes[kind]), get(path + "/" + (f"?{query}" if query else ""))
    assert (slashed.status_code, slashed.headers["Location"]) == (plain.status_code, plain.headers["Location"])


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_type_with_no_link_is_404_by_negotiation(get, codes, kind):
    as_json = get(bare(codes[kind]) + "?linkType=gs1:nosuchlt", Accept="application/json")
    assert as_json.status_code == 404 and as_json.mimetype == "application/problem+json"
    page = get(bare(codes[kind]) + "?linkType=gs1:nosuchlt")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_an_unknown_qualifier_value_walks_up_the_tree_and_an_unknown_gtin_is_404(get, world):
    assert get(f"/01/{world.gtin_a}/10/KL8G").status_code == 307  # a lot nobody recorded: the GTIN's links
    response = get("/01/09999999999994/10/KL8G", Accept="application/json")
    assert response.status_code == 404 and response.get_json()["status"] == 404  # valid, unknown: never 400


def test_titles_are_in_the_readers_language(get, codes):
    english = linkset_of(get, codes["gtin"])["linkset"][0][VOC + "pip"][0]["title"]
    french = linkset_of(get, codes["gtin"], **{"Accept-Language": "fr"})["linkset"][0][VOC + "pip"][0]["title"]
    german = linkset_of(get, codes["gtin"], **{"Accept-Language": "de"})["linkset"][0][VOC + "pip"][0]["title"]
    assert len({english, french, german}) == 3


def test_json_verdict_clients_are_answered_in_one_round_trip(get, codes):
    response = get(codes["serial"], Accept="application/json")
    assert response.status_code == 200 and response.get_json()["verdict"] == "genuine"
    assert 'rel="linkset"' in response.headers["Link"] and response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_json_targets_answer_other_origins_too(get, codes):
    serial_level = linkset_of(get, codes["serial"])["linkset"][0]
    json_verdict = next(link for link in serial_level[VOC + "verificationService"] if link["type"] == "application/json")
    verdict = get(json_verdict["href"][len(ROOT):], Accept="application/json")
    assert verdict.status_code == 200 and verdict.headers["Access-Control-Allow-Origin"] == "*"
    lot_level = linkset_of(get, codes["lot"])["linkset"][0]
    recall = next(link for link in lot_level[VOC + "recallStatus"] if link["type"] == "application/json")
    answer = get(recall["href"][len(ROOT):])
    assert answer.status_code == 200 and answer.get_json()["open_recalls"] == 0
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_the_certificate_link_leads_only_its_owner_to_the_certificate(app, client, get, world, codes):
    from datetime import date

    from portal.accounts.services import find_user
    from portal.catalog.models import Unit
    from portal.extensions import db
    from portal.ownership.services import register_unit
    from tests.factories import login

    with app.app_context():
        register_unit(find_user(world.owner), db.session.get(Unit, world.unit_ids_a[0]), purchased_on=date(2025, 5, 1))
        db.session.commit()
    target = get(bare(codes["serial"]) + "?linkType=gs1:certificationInfo").headers["Location"]
    path = target[len(ROOT):]
    assert path.startswith("/my/certificate/01/")
    assert client.get(path).status_code == 302  # anonymous: sign in first
    login(client, world.owner)
    answer = client.get(path)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/certificate.pdf")
    stranger = app.test_client()
    login(stranger, world.other_owner)
    assert stranger.get(path).status_code == 404
