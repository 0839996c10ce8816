"""The chip's files (credentials/lds.py, mrz.py, sod.py) against ICAO 9303's examples and this
project's documented layouts (docs/credentials.md), byte for byte where the layout is ours."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization

from dangvien.credentials import lds, mrz
from dangvien.credentials.keys import KeyRole
from dangvien.credentials.sod import LDSSecurityObject, parse_sod, signed_attributes, signed_data_der
from dangvien.credentials.tlv import TlvError, read_one, read_tlv, records, tlv


def test_td1_reproduces_the_icao_9303_part_5_examples():
    # 9303 part 5, appendix A: the specimen ID card, and the one with a 12-character document number
    # (its end and check digit continue in the optional data).
    short = mrz.td1(document_code="I<", issuing_state="UTO", document_number="D23145890", birth="740812",
                    sex="F", expiry="120415", nationality="UTO", primary="ERIKSSON", secondary="ANNA<MARIA")
    assert [short[i:i + 30] for i in (0, 30, 60)] == ["I<UTOD231458907<<<<<<<<<<<<<<<",
                                                      "7408122F1204159UTO<<<<<<<<<<<6",
                                                      "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
    long = mrz.td1(document_code="I<", issuing_state="UTO", document_number="D23145890734", birth="340712",
                   sex="M", expiry="950712", nationality="UTO", primary="STEVENSON", secondary="PETER<JOHN")
    assert [long[i:i + 30] for i in (0, 30, 60)] == ["I<UTOD23145890<7349<<<<<<<<<<<",
                                                     "3407127M9507122UTO<<<<<<<<<<<2",
                                                     "STEVENSON<<PETER<JOHN<<<<<<<<<"]
    assert mrz.parse_td1(long).document_number == "D23145890734"


def test_names_lose_their_diacritics_and_punctuation_in_the_mrz():
    assert mrz.mrz_text("Nguyễn Thị Hồng Đào") == "NGUYEN<THI<HONG<DAO"
    assert mrz.mrz_text("H'Bơ  Ksor-Niê") == "HBO<KSOR<NIE"
    assert mrz.document_number_chars("gl-0012 345") == "GL0012345"
    with pytest.raises(mrz.MrzError, match="no letter or digit"):
        mrz.document_number_chars("--")


def test_a_broken_check_digit_is_named():
    zone = mrz.td1(document_code="I<", issuing_state="UTO", document_number="D23145890", birth="740812",
                   sex="F", expiry="120415", nationality="UTO", primary="ERIKSSON", secondary="ANNA")
    with pytest.raises(mrz.MrzError, match="date of birth"):
        mrz.parse_td1(zone[:35] + "3" + zone[36:])  # 740812 -> 740813


def test_dg1_holds_the_td1_mrz_of_the_card(chip_data):
    # Check digits worked by hand: GL0012345 -> 8; 840902 -> 3; no expiry <<<<<< -> 0; composite -> 2.
    assert lds.dg1(chip_data()) == tlv(0x61, tlv(0x5F1F, b"IPVNMGL00123458<<<<<<<<<<<<<<<"
                                                        b"8409023F<<<<<<0VNM<<<<<<<<<<<2"
                                                        b"NGUYEN<<THI<HONG<DAO<<<<<<<<<<"))
    only_year = lds.parse_dg1(lds.dg1(chip_data(date_of_birth=None, expires_on=dt.date(2036, 11, 20))))
    assert (only_year.birth, only_year.expiry) == ("84<<<<", "361120")


def test_ef_com_lists_the_lds_version_and_the_data_groups():
    assert lds.ef_com([1, 2, 11, 12, 13]) == bytes.fromhex("6017" "5F0104") + b"0107" + bytes.fromhex(
        "5F3606") + b"040000" + bytes.fromhex("5C05" "61756B6C6D")


def test_dg13_follows_the_documented_layout(chip_data):
    expected_body = (
        bytes.fromhex("800101")  # layout version 1
        + bytes.fromhex("810A") + b"GL-0012345"  # card number as printed
        + bytes.fromhex("8208") + b"20100519"  # admission
        + bytes.fromhex("8308") + b"20110519"  # official
        + bytes.fromhex("8405") + b"GL.PK"  # committee code
        + bytes.fromhex("8522") + b"https://the.example/cards/status/1"
        + bytes.fromhex("8604" "00011170")  # status index 70,000
        + bytes.fromhex("8702" "0001")  # re-issue counter
    )
    assert lds.dg13(chip_data()) == bytes.fromhex("6D58") + expected_body
    party = lds.parse_dg13(lds.dg13(chip_data()))
    assert party == lds.PartyData(card_number="GL-0012345", admission_date=dt.date(2010, 5, 19),
                                  official_date=dt.date(2011, 5, 19), committee_code="GL.PK",
                                  status_list_uri="https://the.example/cards/status/1", status_index=70_000,
                                  reissue_count=1)
    probationer = lds.parse_dg13(lds.dg13(chip_data(official_date=None)))
    assert probationer.official_date is None


@pytest.mark.parametrize("change, problem", [
    (lambda body: bytes.fromhex("800101" "810147"), "lacks record 82"),
    (lambda body: body[:2] + b"\x02" + body[3:], "layout version 02"),
    (lambda body: body[:25] + bytes.fromhex("8208") + b"20100519" + body[25:], "has 82 out of place"),
    (lambda body: body + bytes.fromhex("880100"), "unknown or repeated record 88"),
    (lambda body: body[:17] + b"20101319" + body[25:], "admission date is not a date"),
])
def test_dg13_is_read_strictly(chip_data, change, problem):
    body = read_one(lds.dg13(chip_data()), 0x6D)
    with pytest.raises(TlvError, match=problem):
        lds.parse_dg13(tlv(0x6D, change(body)))


def test_dg11_and_dg12_list_their_fields(chip_data):
    assert lds.parse_tagged_fields(lds.dg11(chip_data()), 11) == {
        0x5F0E: "Nguyễn<<Thị Hồng Đào", 0x5F10: "064184000123", 0x5F2B: "19840902",
        0x5F11: "Xã Ia Grai, Gia Lai", 0x5F42: "12 Hùng Vương, Phường Pleiku, Gia Lai"}
    assert list(lds.parse_tagged_fields(lds.dg11(chip_data(citizen_id=None, date_of_birth=None)), 11)) == [
        0x5F0E, 0x5F11, 0x5F42]
    assert lds.parse_tagged_fields(lds.dg12(chip_data()), 12) == {0x5F19: "Ban Tổ chức Trung ương",
                                                                  0x5F26: "20261120"}


def test_dg2_wraps_the_jpeg_in_a_19794_5_face_record(chip_data, portrait_jpeg):
    group = lds.dg2(chip_data())
    template = read_one(read_one(group, 0x75), 0x7F61)
    (count_tag, count), (instance_tag, instance) = list(records(template))
    assert (count_tag, count, instance_tag) == (0x02, b"\x01", 0x7F60)
    (header_tag, header), (block_tag, block) = list(records(instance))
    assert header_tag == 0xA1 and dict(records(header)) == {0x80: b"\x01\x01", 0x81: b"\x02", 0x87: b"\x01\x01",
                                                            0x88: b"\x00\x08"}
    assert block_tag == 0x5F2E
    assert block[:14] == b"FAC\x00010\x00" + len(block).to_bytes(4, "big") + b"\x00\x01"
    assert block[14 + 6] == 2  # gender (after the facial data length and feature point count): female
    image_information = block[34:46]
    assert image_information == bytes.fromhex("0100" "0030" "0040" "0102" "00000000")  # JPEG, 48 x 64
    assert block[46:] == portrait_jpeg == lds.portrait_from_dg2(group)


@pytest.mark.parametrize("changes, problem", [
    ({"sex": "X"}, "sex must be M or F"),
    ({"card_number": "--"}, "no letter or digit"),
    ({"portrait_jpeg": b"GIF89a"}, "not a readable JPEG"),
    ({"status_index": 2**32}, "status index"),
    ({"date_of_birth": dt.date(1985, 1, 1)}, "birth year 1984"),
])
def test_bad_card_data_is_refused_with_the_field_named(test_keys, chip_data, changes, problem):
    with pytest.raises(lds.ChipDataError, match=problem):
        lds.chip_image(chip_data(**changes), test_keys.signer(KeyRole.CHIP))


def test_the_security_object_hashes_every_data_group_and_is_asn1cryptos_own_encoding(test_keys, chip_data):
    signer = test_keys.signer(KeyRole.CHIP)
    image = lds.chip_image(chip_data(), signer)
    assert list(image) == ["EF.COM", "DG1", "DG2", "DG11", "DG12", "DG13", "EF.SOD"]
    content_info = read_one(image["EF.SOD"], 0x77)
    sod = parse_sod(content_info)
    assert sod.hashes == {n: hashlib.sha256(image[f"DG{n}"]).digest() for n in (1, 2, 11, 12, 13)}
    lso = LDSSecurityObject.load(sod.content)
    assert (lso["version"].native, lso["ldsVersionInfo"].native) == (1, {"ldsVersion": "0107",
                                                                         "unicodeVersion": "040000"})
    signed = cms.ContentInfo.load(content_info)["content"]
    assert signed["encap_content_info"]["content_type"].dotted == "2.23.136.1.1.1"
    assert sod.certificate == signer.info.certificate
    # The card-by-card template fills in what asn1crypto would have written whole.
    certificate = asn1_x509.Certificate.load(signer.info.certificate.public_bytes(serialization.Encoding.DER))
    reference = signed_data_der(sod.content, signed_attributes(sod.content), certificate,
                                signed["signer_infos"][0]["signature"].native)
    assert reference.dump() == content_info
    # Another card: other hashes, another signature, still the same encoding.
    other = lds.chip_image(chip_data(card_number="TW-9", reissue_count=0), signer)
    assert other["DG13"] != image["DG13"] and other["EF.SOD"] != image["EF.SOD"]
    assert parse_sod(read_one(other["EF.SOD"], 0x77)).hashes[13] == hashlib.sha256(other["DG13"]).digest()


def test_tlv_lengths_have_one_encoding():
    assert tlv(0x04, b"x" * 200)[:3] == bytes.fromhex("0481C8")
    assert read_tlv(bytes.fromhex("040100"))[1] == b"\x00"
    with pytest.raises(TlvError, match="shortest form"):
        read_tlv(bytes.fromhex("04810100"))
