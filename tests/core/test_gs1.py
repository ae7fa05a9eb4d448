"""Tests for portal.core.gs1: the one codec for GS1 identifiers from outside."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.gs1 import (
    CSET_82,
    MAX_INPUT_LENGTH,
    DigitalLink,
    GS1Error,
    company_prefix_matches,
    element_string_bytes,
    format_digital_link,
    format_element_string,
    gtin_check_digit,
    is_valid_gtin,
    normalize_gtin,
    parse_any,
    parse_digital_link,
    parse_element_string,
    validate_company_prefix,
    validate_cpv,
    validate_lot,
    validate_serial,
)

GTIN = "09506000134352"  # GS1's own Digital Link example


def reference_check_digit(body: str) -> int:
    """Independent formulation: pad to 17 digits, weights 3,1,3,... from the left."""
    padded = body.zfill(17)
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(padded))
    return -total % 10


# --- GTIN ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("96385074", "00000096385074"),  # GTIN-8 (EAN-8)
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        ("4006381333931", "04006381333931"),  # GTIN-13 (EAN-13)
        ("5901234123457", "05901234123457"),  # GTIN-13
        ("09506000134352", "09506000134352"),  # GTIN-14
        ("10614141000415", "10614141000415"),  # GTIN-14 with indicator 1
        ("  4006381333931\n", "04006381333931"),  # surrounding whitespace only
    ],
)
def test_normalize_gtin_accepts_all_gtin_lengths_and_pads_to_14(text, expected):
    assert reference_check_digit(expected[:-1]) == int(expected[-1])
    assert normalize_gtin(text) == expected
    assert is_valid_gtin(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("4006381333933", "GTIN check digit should be 1, not 3"),
        ("09506000134353", "GTIN check digit should be 2, not 3"),
        ("40063813339", "GTIN must be 8, 12, 13 or 14 digits, got 11"),
        ("095060001343520", "GTIN must be 8, 12, 13 or 14 digits, got 15"),
        ("400638133393A", "GTIN may contain digits only"),
        ("4006381 333931", "GTIN may contain digits only"),
        ("-4006381333931", "GTIN may contain digits only"),
        ("٤٠٠٦٣٨١٣٣٣٩٣١", "GTIN may contain digits only"),  # Arabic-Indic digits
        ("", "GTIN is empty"),
        ("   ", "GTIN is empty"),
    ],
)
def test_normalize_gtin_rejects_bad_input_with_a_precise_message(text, message):
    with pytest.raises(GS1Error) as err:
        normalize_gtin(text)
    assert str(err.value) == message
    assert err.value.field == "gtin"
    assert not is_valid_gtin(text)


def test_gtin_errors_are_value_errors_so_generic_handlers_still_catch_them():
    with pytest.raises(ValueError):
        normalize_gtin("123")


@pytest.mark.parametrize("bad", [None, 4006381333931, b"4006381333931"])
def test_gtin_functions_reject_non_text_with_gs1_error(bad):
    with pytest.raises(GS1Error):
        normalize_gtin(bad)
    assert not is_valid_gtin(bad)


@given(st.text(alphabet="0123456789", min_size=1, max_size=17))
def test_gtin_check_digit_matches_independent_reference(body):
    assert gtin_check_digit(body) == reference_check_digit(body)


@given(
    st.sampled_from([7, 11, 12, 13]).flatmap(
        lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
    ),
    st.data(),
)
def test_any_single_digit_typo_in_a_gtin_is_detected(body, data):
    gtin = body + str(gtin_check_digit(body))
    position = data.draw(st.integers(0, len(gtin) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != gtin[position]]))
    assert is_valid_gtin(gtin)
    assert not is_valid_gtin(gtin[:position] + wrong + gtin[position + 1:])


# --- Company prefix ------------------------------------------------------------------

@pytest.mark.parametrize(
    "gtin, prefix, expected",
    [
        ("09506000134352", "9506000", True),
        ("4006381333931", "4006381", True),  # GTIN-13 is compared in its 14-digit form
        ("10614141000415", "0614141", True),  # indicator digit is skipped
        ("10614141000415", "1061414", False),
        ("09506000134352", "9506001", False),
    ],
)
def test_company_prefix_follows_the_indicator_digit(gtin, prefix, expected):
    assert company_prefix_matches(gtin, prefix) is expected


@pytest.mark.parametrize(
    "prefix, message",
    [
        ("950", "Company prefix must be 4 to 12 digits, got 3"),
        ("9506000134352", "Company prefix must be 4 to 12 digits, got 13"),
        ("95O6000", "Company prefix may contain digits only"),
        ("", "Company prefix must be 4 to 12 digits, got 0"),
    ],
)
def test_validate_company_prefix_rejects_wrong_length_and_non_digits(prefix, message):
    with pytest.raises(GS1Error) as err:
        validate_company_prefix(prefix)
    assert str(err.value) == message


def test_validate_company_prefix_strips_surrounding_whitespace():
    assert validate_company_prefix(" 9506000 ") == "9506000"


# --- Serial / lot / CPV --------------------------------------------------------------

def test_cset82_has_exactly_82_characters():
    assert len(CSET_82) == 82


@pytest.mark.parametrize("serial", ["1", "12345", "AB/12%", "x" * 20, "!\"%&'()*+,-./:;<=>?_"])
def test_validate_serial_returns_valid_serials_unchanged(serial):
    assert validate_serial(serial) == serial


@pytest.mark.parametrize(
    "serial, message",
    [
        ("A" * 21, "Serial may be 1 to 20 characters, got 21"),
        ("AB 12", "Serial contains a character GS1 does not allow: ' ' (space)"),
        (" AB12", "Serial contains a character GS1 does not allow: ' ' (space)"),
        ("AB#12", "Serial contains a character GS1 does not allow: '#'"),
        ("AB~12", "Serial contains a character GS1 does not allow: '~'"),
        ("ÀB12", "Serial contains a character GS1 does not allow: 'À' (U+00C0)"),
        ("AB\t12", "Serial contains a character GS1 does not allow: '\\t' (U+0009)"),
        ("", "Serial is empty; it may be 1 to 20 characters"),
    ],
)
def test_validate_serial_rejects_bad_serials_with_a_precise_message(serial, message):
    with pytest.raises(GS1Error) as err:
        validate_serial(serial)
    assert str(err.value) == message
    assert err.value.field == "serial"


@pytest.mark.parametrize("validate, field", [(validate_lot, "lot"), (validate_cpv, "cpv")])
def test_lot_and_cpv_follow_the_same_rules_and_name_their_field(validate, field):
    assert validate("LOT-7/b") == "LOT-7/b"
    for bad in ["", "x" * 21, "a#b", None]:
        with pytest.raises(GS1Error) as err:
            validate(bad)
        assert err.value.field == field


# --- Digital Link parsing ------------------------------------------------------------

@pytest.mark.parametrize(
    "uri, expected",
    [
        (f"https://id.gs1.org/01/{GTIN}", DigitalLink(GTIN)),
        (f"https://id.gs1.org/01/{GTIN}/21/12345", DigitalLink(GTIN, serial="12345")),
        (
            f"https://brand.example/some/prefix/01/{GTIN}/21/12345",
            DigitalLink(GTIN, serial="12345"),
        ),
        (
            f"http://localhost:5000/dl/01/{GTIN}/22/2A/10/ABC/21/12345/",
            DigitalLink(GTIN, serial="12345", lot="ABC", cpv="2A"),
        ),
        (f"/01/{GTIN}/10/ABC", DigitalLink(GTIN, lot="ABC")),
        (f"01/{GTIN}/21/1", DigitalLink(GTIN, serial="1")),
        ("/01/4006381333931/21/7", DigitalLink("04006381333931", serial="7")),
        (f"https://x.example/01/{GTIN}/21/AB%2F12%25", DigitalLink(GTIN, serial="AB/12%")),
        (f"https://x.example/01/{GTIN}/21/ab%2f12%25", DigitalLink(GTIN, serial="ab/12%")),
        (f"https://x.example/01/{GTIN}/21/01", DigitalLink(GTIN, serial="01")),
        (f"https://x.example/01/01/{GTIN}/21/01", DigitalLink(GTIN, serial="01")),
        (f"https://x.example/01/{GTIN}/21/9#section", DigitalLink(GTIN, serial="9")),
        (
            f"https://x.example/01/{GTIN}/21/9?linkType=gs1%3Apip&linkType=all&flag&a=b+c",
            DigitalLink(GTIN, serial="9", query={"linkType": "gs1:pip", "flag": "", "a": "b c"}),
        ),
        (f"  https://id.gs1.org/01/{GTIN}  ", DigitalLink(GTIN)),
    ],
)
def test_parse_digital_link_finds_identity_on_any_host_and_prefix(uri, expected):
    assert parse_digital_link(uri) == expected
    assert parse_any(uri) == expected


@pytest.mark.parametrize(
    "uri, field, fragment",
    [
        (f"/01/{GTIN}/21/a/10/b", "path", "must come before"),
        (f"/01/{GTIN}/10/a/22/b", "path", "must come before"),
        (f"/01/{GTIN}/21/a/21/b", "path", "appears twice"),
        (f"/01/{GTIN}/01/{GTIN}", "path", "appears twice"),
        (f"/01/{GTIN}/17/250101", "path", "Unknown key '17'"),
        (f"/01/{GTIN}/0021/a", "path", "Unknown key '0021'"),
        (f"/01/{GTIN}/21", "path", "no value"),
        (f"/01/{GTIN}//21/a", "path", "empty segment"),
        ("https://id.gs1.org/", "path", "no /01/"),
        ("https://id.gs1.org/01/09506000134353", "gtin", "should be 2, not 3"),
        ("/01/95060001343/21/a", "gtin", "got 11"),
        (f"/01/{GTIN}/21/a%20b", "serial", "' ' (space)"),
        (f"/01/{GTIN}/21/a%23b", "serial", "'#'"),
        (f"/01/{GTIN}/21/a b", "serial", "' ' (space)"),
        (f"/01/{GTIN}/21/a%zz", "serial", "two hex digits"),
        (f"/01/{GTIN}/10/a%C3%28", "lot", "UTF-8"),
        (f"/01/{GTIN}/21/{'x' * 21}", "serial", "got 21"),
        (f"/01/{GTIN}?a=%", "query", "two hex digits"),
    ],
)
def test_parse_digital_link_rejects_malformed_links_naming_the_field(uri, field, fragment):
    with pytest.raises(GS1Error) as err:
        parse_digital_link(uri)
    assert err.value.field == field
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "bad", [None, b"/01/09506000134352", 42, "", "   ", "x" * (MAX_INPUT_LENGTH + 1), "x" * 10**6]
)
def test_parse_any_rejects_non_text_empty_and_huge_input_with_gs1_error(bad):
    with pytest.raises(GS1Error):
        parse_any(bad)


# --- Element strings -----------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        (f"(01){GTIN}", DigitalLink(GTIN)),
        (f"(01){GTIN}(10)ABC(21)12345", DigitalLink(GTIN, serial="12345", lot="ABC")),
        (f"(21)12345(01){GTIN}(22)V1", DigitalLink(GTIN, serial="12345", cpv="V1")),
        ("(01)4006381333931(21)AB/12%", DigitalLink("04006381333931", serial="AB/12%")),
        (f" (01){GTIN}(21)x(y) ", DigitalLink(GTIN, serial="x(y)")),
    ],
)
def test_parse_element_string_accepts_ais_in_any_order(text, expected):
    assert parse_element_string(text) == expected
    assert parse_any(text) == expected


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("(21)12345", "no (01)"),
        (f"(01){GTIN}(21)1(21)2", "appears twice"),
        (f"(01){GTIN}(17)250101", "Unsupported AI (17)"),
        (f"(01){GTIN}(21)12(17)2501", "Unsupported AI (17)"),
        ("(01", "must start with"),
        (f"(01)0{GTIN}", "got 15"),
        (f"(01){GTIN}(21)", "empty"),
        (f"(01){GTIN}(21)a b", "' ' (space)"),
    ],
)
def test_parse_element_string_rejects_malformed_strings(text, fragment):
    with pytest.raises(GS1Error) as err:
        parse_any(text)
    assert fragment in str(err.value)


# --- Formatting ----------------------------------------------------------------------

def test_format_digital_link_puts_qualifiers_in_gs1_order_and_percent_encodes():
    link = DigitalLink(GTIN, serial="AB/12%", lot="L(1)", cpv="2A", query={"z": "1", "a": "x y"})
    assert format_digital_link(link, "https://brand.example/some/prefix/") == (
        f"https://brand.example/some/prefix/01/{GTIN}/22/2A/10/L%281%29/21/AB%2F12%25?z=1&a=x+y"
    )
    assert format_digital_link(DigitalLink("4006381333931")) == "https://id.gs1.org/01/04006381333931"


@pytest.mark.parametrize("char", sorted(CSET_82))
def test_format_digital_link_leaves_only_unreserved_characters_unencoded(char):
    encoded = format_digital_link(DigitalLink(GTIN, serial=char), base="").rsplit("/", 1)[1]
    if char.isalnum() or char in "-._":
        assert encoded == char
    else:
        assert encoded == f"%{ord(char):02X}"


def test_serial_with_slash_and_percent_round_trips_through_a_digital_link():
    link = DigitalLink(GTIN, serial="AB/12%")
    uri = format_digital_link(link)
    assert uri == f"https://id.gs1.org/01/{GTIN}/21/AB%2F12%25"
    assert parse_digital_link(uri) == link


def test_format_element_string_uses_gs1_qualifier_order():
    link = DigitalLink("4006381333931", serial="S1", lot="L1", cpv="C1")
    assert format_element_string(link) == "(01)04006381333931(22)C1(10)L1(21)S1"


def test_element_string_bytes_is_canonical_ascii_for_signing():
    assert element_string_bytes("4006381333931", "AB/12%") == b"010400638133393121AB/12%"
    with pytest.raises(GS1Error):
        element_string_bytes(GTIN, "a b")
    with pytest.raises(GS1Error):
        element_string_bytes("4006381333932", "1")


def test_digital_link_validates_and_normalizes_on_construction():
    assert DigitalLink("96385074").gtin == "00000096385074"
    with pytest.raises(GS1Error) as err:
        DigitalLink(GTIN, serial="a#b")
    assert err.value.field == "serial"
    with pytest.raises(GS1Error):
        DigitalLink(GTIN, query={"a": 1})


# --- Properties ----------------------------------------------------------------------

@st.composite
def valid_gtins(draw):
    length = draw(st.sampled_from([8, 12, 13, 14]))
    body = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    return body + str(reference_check_digit(body))


cset82_values = st.text(alphabet=sorted(CSET_82), min_size=1, max_size=20)
optional_values = st.none() | cset82_values
bases = st.sampled_from(
    ["https://id.gs1.org", "https://brand.example/some/prefix", "http://localhost:5000/dl/", ""]
)
queries = st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=3)


@given(valid_gtins(), optional_values, optional_values, optional_values, queries, bases)
def test_format_then_parse_digital_link_returns_the_same_link(gtin, serial, lot, cpv, query, base):
    link = DigitalLink(gtin, serial=serial, lot=lot, cpv=cpv, query=query)
    assert link.gtin == gtin.zfill(14)
    parsed = parse_any(format_digital_link(link, base))
    assert parsed == link
    assert list(parsed.query) == list(link.query)


@given(
    valid_gtins(),
    *[st.none() | st.text(alphabet=sorted(CSET_82 - {"("}), min_size=1, max_size=20)] * 3,
)
def test_format_then_parse_element_string_returns_the_same_link(gtin, serial, lot, cpv):
    link = DigitalLink(gtin, serial=serial, lot=lot, cpv=cpv)
    assert parse_any(format_element_string(link)) == link


_TOKENS = st.sampled_from(
    ["/", "01", "10", "21", "22", "17", GTIN, "96385074", "%", "%2F", "%C3", "(", ")", "(01)",
     "(21)", "?", "&", "=", "#", "+", "https://", "x.example", " ", "\x00", "é", "\ud800", "a"]
)


@settings(max_examples=300)
@given(st.text() | st.lists(_TOKENS, max_size=20).map("".join))
def test_parse_any_returns_a_link_or_raises_gs1_error_never_anything_else(text):
    try:
        result = parse_any(text)
    except GS1Error as err:
        assert err.field and str(err)
    else:
        assert isinstance(result, DigitalLink)
        assert len(result.gtin) == 14
