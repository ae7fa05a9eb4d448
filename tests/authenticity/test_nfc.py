"""SUN verification for NTAG 424 DNA: NXP AN12196's worked examples, tampering, and the `flask nfc` CLI."""
from __future__ import annotations

import json
import secrets

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.authenticity.nfc import (
    SunError,
    SunParams,
    SunResult,
    decrypt_file_data,
    decrypt_picc_data,
    default_mac_input,
    diversify_key,
    parse_sun_params,
    sdm_mac,
    session_keys,
    verify_sun,
)
from portal.authenticity.nfc_cli import register_nfc_cli

ZERO = bytes(16)


def aes_cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


# --- AN12196 worked examples (all keys are the factory all-zero key unless stated) -----------------

# Session key generation example: K_SDMFileRead = 5ACE...205B, UID 04C767F2066180, SDMReadCtr 010000.
def test_an12196_session_key_generation():
    enc_key, mac_key = session_keys(bytes.fromhex("5ACE7E50AB65D5D51FD5BF5A16B8205B"), "04C767F2066180", 1)
    # CMAC(K, SV1 = C33C0001008004C767F2066180010000) and CMAC(K, SV2 = 3CC30001008004C767F2066180010000)
    assert enc_key.hex().upper() == "66DA61797E23DECA5D8ECA13BBADF7A9"
    assert mac_key.hex().upper() == "3A3E8110E05311F7A3FCF0D969BF2B48"


# SUN with encrypted PICC data and an empty MAC input: ?e=EF963FF7828658A599F3041510671E88&c=94EED9EE65337086
AN_E, AN_C = "EF963FF7828658A599F3041510671E88", "94EED9EE65337086"
AN_URL = f"https://ntag.nxp.com/424?e={AN_E}&c={AN_C}"


def test_an12196_picc_data_decryption():
    plain = Cipher(algorithms.AES(ZERO), modes.CBC(ZERO)).decryptor().update(bytes.fromhex(AN_E))
    assert plain.hex().upper() == "C704DE5F1EACC0403D0000DA5CF60941"  # tag C7, UID, ctr LSB first, random
    assert decrypt_picc_data(ZERO, bytes.fromhex(AN_E)) == ("04DE5F1EACC040", 0x3D)


def test_an12196_sdmmac_with_empty_input():
    assert aes_cmac(ZERO, bytes.fromhex("3CC30001008004DE5F1EACC0403D0000")).hex().upper() == (
        "3FB5F6E3A807A03D5E3570ACE393776F")
    _, mac_key = session_keys(ZERO, "04DE5F1EACC040", 61)
    assert mac_key.hex().upper() == "3FB5F6E3A807A03D5E3570ACE393776F"
    assert aes_cmac(mac_key, b"").hex().upper() == "E194C7EE12D9F7EE8A65C8331B704386"
    assert sdm_mac(mac_key, b"").hex().upper() == AN_C  # bytes 1, 3, 5, ... 15 of the full CMAC


def test_an12196_empty_input_message_verifies():
    params = parse_sun_params(AN_URL)
    assert params.form == "encrypted" and params.mac_input == b""
    assert verify_sun(params, ZERO, ZERO) == SunResult(True, "04DE5F1EACC040", 61, None, "")


# SUN with encrypted PICC data and encrypted file data; the MAC covers "<enc hex>&cmac=".
AN_ENC_URL = ("https://www.my424dna.com/?picc_data=FD91EC264309878BE6345CBE53BADF40"
              "&enc=CEE9A53E3E463EF1F459635736738962&cmac=ECC1E7F6C6C73BF6")


def test_an12196_encrypted_file_data_example():
    plain = Cipher(algorithms.AES(ZERO), modes.CBC(ZERO)).decryptor().update(
        bytes.fromhex("FD91EC264309878BE6345CBE53BADF40"))
    assert plain.hex().upper() == "C704958CAA5C5E80080000A243C86DFC"
    uid, counter = decrypt_picc_data(ZERO, bytes.fromhex("FD91EC264309878BE6345CBE53BADF40"))
    assert (uid, counter) == ("04958CAA5C5E80", 8)
    enc_key, mac_key = session_keys(ZERO, uid, counter)
    assert mac_key.hex().upper() == "3ED0920E5E6A0320D823D5987FEAFBB1"
    mac_input = default_mac_input(AN_ENC_URL)
    assert mac_input == b"CEE9A53E3E463EF1F459635736738962&cmac="
    assert aes_cmac(mac_key, mac_input).hex().upper() == "81EC45C175E72FF6FAC61BC7AB3BAEF6"
    assert sdm_mac(mac_key, mac_input).hex().upper() == "ECC1E7F6C6C73BF6"
    assert decrypt_file_data(enc_key, counter, bytes.fromhex("CEE9A53E3E463EF1F459635736738962")) == b"x" * 16


def test_an12196_encrypted_file_data_message_verifies():
    result = verify_sun(parse_sun_params(AN_ENC_URL), ZERO, ZERO)
    assert result == SunResult(True, "04958CAA5C5E80", 8, b"x" * 16, "")
    explicit = verify_sun(parse_sun_params(AN_ENC_URL), ZERO, ZERO, b"CEE9A53E3E463EF1F459635736738962&cmac=")
    assert explicit.valid


# Plain UID/counter mirror. Not an AN12196 example: the public demo vector of the nfc-developer
# sdm-backend. It pins the counter byte order: "000006" read MSB first is 6, and only that verifies.
def test_plain_mirror_counter_is_big_endian():
    params = parse_sun_params("uid=041E3C8A2D6B80&ctr=000006&cmac=4B00064004B0B3D3")
    assert params.counter == 6
    assert verify_sun(params, None, ZERO) == SunResult(True, "041E3C8A2D6B80", 6, None, "")
    little_endian_reading = SunParams("plain", params.cmac, uid=params.uid, counter=0x060000)
    assert not verify_sun(little_endian_reading, None, ZERO).valid


def test_default_mac_input():
    assert default_mac_input("picc_data=00&cmac=11") == b""
    assert default_mac_input("?enc=ABCD&x=1&cmac=00") == b"ABCD&x=1&cmac="
    assert default_mac_input("e=00&enc=ABCD&c=00") == b"ABCD&c="
    assert default_mac_input("https://h/p?notenc=1&enc=AB&cmac=1#frag") == b"AB&cmac="
    with pytest.raises(SunError, match="cmac"):
        default_mac_input("cmac=00&enc=ABCD")


# --- Tampering and wrong keys ---------------------------------------------------------------------

def flip(hex_text: str, bit: int) -> str:
    raw = bytearray(bytes.fromhex(hex_text))
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    return raw.hex().upper()


@pytest.mark.parametrize("bit", range(64))
def test_flipped_cmac_bit_is_invalid(bit):
    result = verify_sun(parse_sun_params(f"e={AN_E}&c={flip(AN_C, bit)}"), ZERO, ZERO)
    assert not result.valid and result.reason == "the CMAC does not match"


@pytest.mark.parametrize("bit", range(128))
def test_flipped_picc_data_bit_is_invalid(bit):
    result = verify_sun(parse_sun_params(f"e={flip(AN_E, bit)}&c={AN_C}"), ZERO, ZERO)
    assert not result.valid
    assert result.reason in ("the PICC data does not decrypt with this meta key", "the CMAC does not match")


@pytest.mark.parametrize("bit", [0, 37, 127])
def test_flipped_enc_bit_is_invalid(bit):
    enc = "CEE9A53E3E463EF1F459635736738962"
    url = AN_ENC_URL.replace(enc, flip(enc, bit))
    result = verify_sun(parse_sun_params(url), ZERO, ZERO)
    assert not result.valid and result.reason == "the CMAC does not match" and result.file_data is None


def test_wrong_meta_key_is_invalid():
    result = verify_sun(parse_sun_params(AN_URL), secrets.token_bytes(16), ZERO)
    assert not result.valid and result.reason
    assert result.file_data is None


def test_wrong_file_key_is_invalid():
    result = verify_sun(parse_sun_params(AN_ENC_URL), ZERO, secrets.token_bytes(16))
    assert result == SunResult(False, "04958CAA5C5E80", 8, None, "the CMAC does not match")


def test_picc_data_tag_without_7_byte_uid_is_rejected():
    key = secrets.token_bytes(16)
    for tag in (0x87, 0x47, 0xC4, 0xC0, 0xF7):  # no counter, no UID, 4-byte UID, no length, RFU bits
        block = bytes([tag]) + bytes.fromhex("04DE5F1EACC040") + (5).to_bytes(3, "little") + bytes(5)
        picc = Cipher(algorithms.AES(key), modes.CBC(ZERO)).encryptor().update(block)
        with pytest.raises(SunError, match="PICCDataTag"):
            decrypt_picc_data(key, picc)


# --- Malformed input ------------------------------------------------------------------------------

@pytest.mark.parametrize("query, word", [
    ("", "picc_data|cmac"),
    ("https://example.com/t", "cmac"),
    (f"e={AN_E}", "cmac"),
    (f"c={AN_C}", "picc_data"),
    (f"e={AN_E[:-2]}&c={AN_C}", "32 hex digits"),
    (f"e={AN_E}&c={AN_C}00", "16 hex digits"),
    (f"e=ZZ{AN_E[2:]}&c={AN_C}", "not hexadecimal"),
    (f"e= {AN_E[1:]}&c={AN_C}", "not hexadecimal"),
    (f"e={AN_E}&picc_data={AN_E}&c={AN_C}", "both"),
    (f"e={AN_E}&c={AN_C}&cmac={AN_C}", "both"),
    (f"e={AN_E}&e={AN_E}&c={AN_C}", "more than once"),
    (f"e={AN_E}&enc=ABCD&c={AN_C}", "multiple of 32"),
    (f"e={AN_E}&enc=&c={AN_C}", "multiple of 32"),
    ("uid=041E3C8A2D6B80&cmac=4B00064004B0B3D3", "ctr"),
    ("ctr=000006&cmac=4B00064004B0B3D3", "uid"),
    ("uid=041E3C8A2D6B&ctr=000006&cmac=4B00064004B0B3D3", "14 hex digits"),
    ("uid=041E3C8A2D6B80&ctr=0006&cmac=4B00064004B0B3D3", "6 hex digits"),
    ("uid=041E3C8A2D6B80&ctr=-00006&cmac=4B00064004B0B3D3", "not hexadecimal"),
    ("http://[::1/?e=00", "url"),
])
def test_malformed_params_raise(query, word):
    with pytest.raises(SunError, match=word):
        parse_sun_params(query)


def test_hex_is_case_insensitive_and_mappings_are_accepted():
    lower = parse_sun_params(f"e={AN_E.lower()}&c={AN_C.lower()}")
    assert lower == parse_sun_params(AN_URL) == parse_sun_params({"e": AN_E, "c": [AN_C], "product": "x"})
    with pytest.raises(SunError, match="more than once"):
        parse_sun_params({"e": [AN_E, AN_E], "c": AN_C})
    with pytest.raises(SunError, match="must be text"):
        parse_sun_params({"e": 5, "c": AN_C})


def test_bad_keys_raise():
    params = parse_sun_params(AN_URL)
    with pytest.raises(SunError, match="meta_key: required"):
        verify_sun(params, None, ZERO)
    with pytest.raises(SunError, match="meta_key: must be 16 bytes, got 15"):
        verify_sun(params, bytes(15), ZERO)
    with pytest.raises(SunError, match="file_key: must be 16 bytes"):
        verify_sun(params, ZERO, bytes(32))
    with pytest.raises(SunError, match="counter"):
        session_keys(ZERO, "04DE5F1EACC040", 1 << 24)
    with pytest.raises(SunError, match="enc"):
        decrypt_file_data(ZERO, 1, bytes(15))


@settings(max_examples=300)
@given(st.one_of(
    st.text(),
    st.lists(st.tuples(st.sampled_from(["e", "c", "picc_data", "cmac", "enc", "uid", "ctr", "x", ""]),
                       st.text(alphabet="0123456789abcdefABCDEF&=?#% +;", max_size=40)), max_size=5)
    .map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)),
    st.dictionaries(st.text(max_size=10), st.one_of(st.text(max_size=40), st.integers(),
                                                    st.lists(st.text(max_size=40), max_size=3))),
))
def test_parse_returns_params_or_raises_sun_error(query):
    try:
        result = parse_sun_params(query)
    except SunError:
        return
    assert isinstance(result, SunParams)


# --- Round trips with our own keys ----------------------------------------------------------------

def random_uid() -> bytes:
    return b"\x04" + secrets.token_bytes(6)


def test_plain_mirror_round_trip():
    file_key, uid, counter = secrets.token_bytes(16), random_uid(), secrets.randbelow(1 << 24)
    _, mac_key = session_keys(file_key, uid, counter)
    cmac = sdm_mac(mac_key, b"").hex().upper()
    url = f"https://provenance.example/t/123?uid={uid.hex().upper()}&ctr={counter:06X}&cmac={cmac}"
    expected = SunResult(True, uid.hex().upper(), counter, None, "")
    assert verify_sun(parse_sun_params(url), None, file_key) == expected

    for position in range(len(url) - 14, len(url)):  # every hex digit of the cmac
        digit = url[position]
        tampered = url[:position] + ("0" if digit != "0" else "1") + url[position + 1:]
        assert verify_sun(parse_sun_params(tampered), None, file_key).reason == "the CMAC does not match"
    replayed_counter = url.replace(f"ctr={counter:06X}", f"ctr={(counter + 1) % (1 << 24):06X}")
    assert not verify_sun(parse_sun_params(replayed_counter), None, file_key).valid
    other_uid = url.replace(uid.hex().upper(), random_uid().hex().upper())
    assert not verify_sun(parse_sun_params(other_uid), None, file_key).valid


def test_encrypted_round_trip_with_file_data_and_diversified_keys():
    master, meta_key = secrets.token_bytes(16), secrets.token_bytes(16)
    uid, counter = random_uid(), 0x012345
    file_key = diversify_key(master, uid, b"sdm-file-read")
    picc_plain = bytes([0xC7]) + uid + counter.to_bytes(3, "little") + secrets.token_bytes(5)
    picc = Cipher(algorithms.AES(meta_key), modes.CBC(ZERO)).encryptor().update(picc_plain).hex().upper()
    enc_key, mac_key = session_keys(file_key, uid, counter)
    iv_input = counter.to_bytes(3, "little") + bytes(13)
    iv = Cipher(algorithms.AES(enc_key), modes.ECB()).encryptor().update(iv_input)
    secret = b"SERIAL=0042-7731/LOT=B9" + bytes(9)
    enc = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).encryptor().update(secret).hex().upper()
    mac = sdm_mac(mac_key, f"{enc}&cmac=".encode()).hex().upper()
    url = f"https://provenance.example/t?picc_data={picc}&enc={enc}&cmac={mac}"

    result = verify_sun(parse_sun_params(url), meta_key, diversify_key(master, uid, b"sdm-file-read"))
    assert result == SunResult(True, uid.hex().upper(), counter, secret, "")
    other_tag_key = diversify_key(master, random_uid(), b"sdm-file-read")
    assert verify_sun(parse_sun_params(url), meta_key, other_tag_key).reason == "the CMAC does not match"


# --- Key diversification --------------------------------------------------------------------------

def test_diversification_is_deterministic_and_separated():
    master, uid = bytes(range(16)), bytes.fromhex("04DE5F1EACC040")
    key = diversify_key(master, uid, b"sdm-file-read")
    assert len(key) == 16 and key == diversify_key(master, uid, b"sdm-file-read")
    assert key == aes_cmac(master, b"\x01" + b"sdm-file-read" + uid)  # the documented formula
    assert key != diversify_key(master, uid, b"sdm-meta-read")
    assert key != diversify_key(master, bytes.fromhex("04DE5F1EACC041"), b"sdm-file-read")
    assert key != diversify_key(bytes(range(1, 17)), uid, b"sdm-file-read")
    assert len(diversify_key(secrets.token_bytes(32), uid, b"p")) == 16


def test_diversification_rejects_bad_input():
    with pytest.raises(SunError, match="master_key"):
        diversify_key(bytes(8), bytes(7), b"p")
    with pytest.raises(SunError, match="uid"):
        diversify_key(bytes(16), bytes(4), b"p")
    with pytest.raises(SunError, match="purpose"):
        diversify_key(bytes(16), bytes(7), b"")


# --- CLI ------------------------------------------------------------------------------------------

@pytest.fixture()
def cli():
    app = Flask("t")
    register_nfc_cli(app, tenant_by_slug=None, run=None)  # `nfc verify` needs neither
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["nfc", "verify", *args])


ZERO_HEX = "00" * 16


def test_cli_valid_with_file_data(cli):
    result = cli(AN_ENC_URL, "--meta-key", ZERO_HEX, "--file-key", ZERO_HEX)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"valid": True, "uid": "04958CAA5C5E80", "counter": 8,
                                         "file_data_hex": (b"x" * 16).hex().upper(), "reason": ""}


def test_cli_valid_short_names_and_plain_form(cli):
    result = cli(AN_URL, "--meta-key", ZERO_HEX, "--file-key", ZERO_HEX)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["file_data_hex"] is None
    plain = cli("https://x/t?uid=041E3C8A2D6B80&ctr=000006&cmac=4B00064004B0B3D3", "--file-key", ZERO_HEX)
    assert plain.exit_code == 0 and json.loads(plain.stdout)["counter"] == 6


def test_cli_invalid(cli):
    result = cli(f"https://x/?e={AN_E}&c={flip(AN_C, 3)}", "--meta-key", ZERO_HEX, "--file-key", ZERO_HEX)
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"valid": False, "uid": "04DE5F1EACC040", "counter": 61,
                                         "file_data_hex": None, "reason": "the CMAC does not match"}
    wrong_input = cli(AN_ENC_URL, "--meta-key", ZERO_HEX, "--file-key", ZERO_HEX, "--mac-input", "nope")
    assert wrong_input.exit_code == 1 and not json.loads(wrong_input.stdout)["valid"]


@pytest.mark.parametrize("args, word", [
    (("https://x/t?nothing=1", "--meta-key", ZERO_HEX, "--file-key", ZERO_HEX), "cmac"),
    ((f"https://x/?e={AN_E}&c=XYZ", "--meta-key", ZERO_HEX, "--file-key", ZERO_HEX), "not hexadecimal"),
    ((AN_URL, "--meta-key", "zz" * 16, "--file-key", ZERO_HEX), "--meta-key: not hexadecimal"),
    ((AN_URL, "--meta-key", ZERO_HEX, "--file-key", "00" * 24), "--file-key: an AES-128 key is 32 hex"),
    ((AN_URL, "--file-key", ZERO_HEX), "meta_key: required"),
    (("http://[::1/?e=00", "--file-key", ZERO_HEX), "url"),
])
def test_cli_malformed_input_exits_2(cli, args, word):
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert word in result.stderr and result.stderr.count("\n") == 1
