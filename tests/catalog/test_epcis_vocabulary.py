"""EPC identifiers and CBV words: what is formatted reads back the same, and no text breaks the readers."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.catalog.epcis.document import read_event
from portal.catalog.epcis.vocabulary import (
    EpcisSyntaxError,
    Sgtin,
    Sscc,
    format_cbv,
    format_sgtin_link,
    format_sgtin_urn,
    format_sscc_urn,
    parse_cbv,
    parse_epc,
)
from portal.core.gs1 import CSET_82, gtin_check_digit

serials = st.text(alphabet=sorted(CSET_82), min_size=1, max_size=20)
bodies = st.text(alphabet="0123456789", min_size=13, max_size=13)
words = st.from_regex(r"[a-z][a-z0-9_]{0,40}", fullmatch=True)
anything = st.one_of(st.text(), st.text(alphabet="urn:epcidsgtinc.%0123456789/htps:ASCC-_"),
                     st.builds(lambda s: "urn:epc:id:sgtin:" + s, st.text()),
                     st.builds(lambda s: "https://id.gs1.org/01/" + s, st.text()))


def gtin14(body: str) -> str:
    return body + str(gtin_check_digit(body))


@settings(max_examples=300, deadline=None)
@given(body=bodies, serial=serials, prefix_length=st.integers(6, 12))
def test_an_sgtin_urn_reads_back_as_the_gtin_and_serial_it_was_made_from(body, serial, prefix_length):
    gtin = gtin14(body)
    urn = format_sgtin_urn(gtin, serial, prefix_length)
    assert urn.count(".") >= 2 and "/" not in urn.split(".", 2)[2]  # '/' and '%' travel escaped
    assert parse_epc(urn) == Sgtin(gtin, serial)


@settings(max_examples=200, deadline=None)
@given(body=bodies, serial=serials)
def test_a_digital_link_of_a_unit_reads_back_the_same(body, serial):
    assert parse_epc(format_sgtin_link(gtin14(body), serial)) == Sgtin(gtin14(body), serial)


@settings(max_examples=100, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=17, max_size=17), prefix_length=st.integers(6, 12))
def test_an_sscc_urn_and_link_read_back_the_same(body, prefix_length):
    sscc = gtin14(body)
    assert parse_epc(format_sscc_urn(sscc, prefix_length)) == Sscc(sscc)
    assert parse_epc(f"https://id.gs1.org/00/{sscc}") == Sscc(sscc)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(["bizStep", "disposition"]), word=words, style=st.sampled_from(["bare", "urn", "web"]))
def test_a_cbv_word_in_any_spelling_reads_as_the_bare_word(kind, word, style):
    assert parse_cbv(kind, format_cbv(kind, word, style)) == word


@settings(max_examples=500, deadline=None)
@given(text=anything)
def test_arbitrary_text_is_an_epc_or_a_parse_error_never_anything_else(text):
    try:
        parse_epc(text)
    except EpcisSyntaxError:
        pass


@settings(max_examples=500, deadline=None)
@given(kind=st.sampled_from(["bizStep", "disposition"]), text=st.one_of(st.text(), st.builds(
    lambda p, s: p + s, st.sampled_from(["urn:epcglobal:cbv:bizstep:", "urn:epcglobal:cbv:disp:",
                                         "https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-"]),
    st.text()), st.integers(), st.none()))
def test_arbitrary_input_is_a_cbv_word_or_a_parse_error_never_anything_else(kind, text):
    try:
        parse_cbv(kind, text)
    except EpcisSyntaxError:
        pass


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                        max_size=4), max_leaves=20)
event_keys = st.sampled_from(["type", "eventID", "eventTime", "action", "bizStep", "disposition", "epcList",
                              "parentID", "childEPCs", "inputEPCList", "outputEPCList", "readPoint"])


@settings(max_examples=500, deadline=None)
@given(raw=st.one_of(json_values, st.dictionaries(event_keys, json_values | anything, max_size=10)))
def test_an_arbitrary_event_is_read_or_carries_an_error_and_never_raises(raw):
    event = read_event(0, raw)
    assert event.error is None or isinstance(event.error, str)


@pytest.mark.parametrize("text, serial", [("urn:epc:id:sgtin:4012345.000001.A%2FB%25C", "A/B%C"),
                                          ("urn:epc:id:sgtin:4012345.000001.%22x%22", '"x"')])
def test_percent_escapes_in_urn_serials_are_decoded(text, serial):
    assert parse_epc(text) == Sgtin("04012345000016", serial)


@pytest.mark.parametrize("text, needle", [
    ("urn:epc:id:sgtin:4012345.00001.X", "13 digits"),
    ("urn:epc:id:sgtin:4012345.000001.A%2", "hex digits"),
    ("urn:epc:id:sgtin:4012345.000001.A B", "space"),
    ("urn:epc:id:lgtin:4012345.000001.L1", "not an SGTIN or SSCC"),
    ("https://id.gs1.org/01/04012345000016", "no /21/ serial"),
    ("https://id.gs1.org/00/040123450000000017", "check digit"),
    ("04012345000016", "neither"),
])
def test_unreadable_epcs_say_what_is_wrong(text, needle):
    with pytest.raises(EpcisSyntaxError, match=needle):
        parse_epc(text)
