"""GS1 Digital Link compression: GS1's toolkit's vectors both ways, refusals, and compressed labels end to end."""
from __future__ import annotations

import json

import pytest

from portal.core.dl_compression import compress, decompress
from portal.core.gs1 import GS1Error, format_digital_link, parse_digital_link
from portal.documents.qr import version_for
from tests.support.resolver import DATA

VECTORS = [json.loads(line) for line in (DATA / "compression_vectors.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("uri, compressed, back", VECTORS)
def test_compression_matches_gs1s_toolkit_both_ways(uri, compressed, back):
    assert compress(parse_digital_link(uri), "https://id.gs1.org") == compressed
    assert format_digital_link(decompress(compressed.rsplit("/", 1)[1]), "https://id.gs1.org") == back == uri


@pytest.mark.parametrize("segment, reason", [("AQdMZMwA", "at least 10"), ("AQdMZMwAoA!", "at least 10"),
                                             ("EQdMZMwAoAAA", "11"), ("AQdMZMwAoB", "stray bits"),
                                             ("CwdMZMwAoMR", "middle of a value"), ("AQdMZMwAog", "check digit")])
def test_what_is_not_a_compressed_digital_link_is_refused_with_the_reason(segment, reason):
    with pytest.raises(GS1Error, match=reason):
        decompress(segment)


def test_a_serial_of_digits_keeps_its_leading_zeros():
    link = parse_digital_link("/01/04012345000016/21/0042")
    assert decompress(compress(link, "https://x.example").rsplit("/", 1)[1]).serial == "0042"


def test_a_compressed_label_from_the_cli_resolves_to_a_genuine_verdict(app, client, world):
    result = app.test_cli_runner().invoke(args=["labels", "sign", "acme", "--gtin", world.gtin_a,
                                                "--serial", world.serials_a[0], "--compressed"])
    assert result.exit_code == 0, result.output
    uri = result.output.strip()
    assert uri.startswith("http://portal.test/") and "/01/" not in uri and "?n=1&k=" in uri
    path = uri[len("http://portal.test"):]
    answer = client.get(path, headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.get_json()["verdict"] == "genuine"
    assert 'rel="owl:sameAs"' in answer.headers["Link"]
    page = client.get(path, follow_redirects=True)
    assert page.status_code == 200 and "Acme Watches issued this code" in page.get_data(as_text=True)


def test_a_one_segment_path_that_is_no_code_is_an_ordinary_404(client, world):
    assert client.get("/NoSuchPageHereAtAll").status_code == 404


def test_compression_never_makes_a_labels_qr_code_larger(app, world):
    plain = app.test_cli_runner().invoke(args=["labels", "sign", "acme", "--gtin", world.gtin_a,
                                               "--serial", world.serials_a[0]]).output.strip()
    small = app.test_cli_runner().invoke(args=["labels", "sign", "acme", "--gtin", world.gtin_a,
                                               "--serial", world.serials_a[0], "--compressed"]).output.strip()
    assert len(small) < len(plain) and version_for(len(small)) <= version_for(len(plain))
