"""The status list: the draft's packing (its own test vectors), the signed token, and reading it back."""

from __future__ import annotations

import datetime as dt
import zlib

import cbor2
import pytest

from dangvien.credentials import cose, status_list
from dangvien.credentials.status_list import CardStatus, StatusListError
from tests.clock import NOW
from tests.credentials._keys_standin import KeyRole, other_root_keys
from tests.credentials._qr_support import keys, list_token, status_signer

# draft-ietf-oauth-status-list §4.1: twelve 2-bit statuses and their bytes.
DRAFT_STATUSES = [0b01, 0b10, 0b00, 0b11, 0b00, 0b01, 0b00, 0b01, 0b01, 0b10, 0b11, 0b11]
DRAFT_BYTES = bytes([0xC9, 0x44, 0xF9])
DRAFT_CBOR = bytes.fromhex("a2646269747302636c73744b78da3be9f2130003df0207")
# The draft's appendix, "2-bit Status List": 2^20 entries, all 0 but these.
DRAFT_LONG = {0: 1, 1993: 2, 25460: 1, 159495: 3, 495669: 1, 554353: 1, 645645: 2, 723232: 1, 854545: 1,
              934534: 2, 1000345: 3}
DRAFT_LONG_CBOR = bytes.fromhex(
    "a2646269747302636c737459013d78daeddb310d00211000412ea1a04004fe5520ed357c28c81d3312b6df68bc65480000000000"
    "406e21010000000000000000000000000000000000000000000000000000000000000040795b0200000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000080f4ba0400000000000000000000000000406d764a00000000000000000000000000000000"
    "0000000000e0922101000000000000000000000000000000000000fc131200000000000000000000000000000000000000000000"
    "000000000000000000c0912e01000000000000000000000000000000000000c07d4b02000000000000000000000000000000a861"
    "4a0000000000000000000000406a1fcd60010c"
)


def test_packing_follows_the_draft_example() -> None:
    assert status_list.pack(DRAFT_STATUSES) == DRAFT_BYTES
    draft = cbor2.loads(DRAFT_CBOR)
    assert draft["bits"] == 2 and status_list.decompress(draft["lst"]) == DRAFT_BYTES
    assert [status_list.status_at(DRAFT_BYTES, i) for i in range(12)] == DRAFT_STATUSES
    # Our own CBOR form holds the same list (the compressed bytes may differ by zlib version).
    ours = status_list.status_list_cbor(DRAFT_BYTES)
    assert ours["bits"] == 2 and zlib.decompress(ours["lst"]) == DRAFT_BYTES


def test_the_drafts_long_vector_reads_back_and_packs_the_same() -> None:
    draft = cbor2.loads(DRAFT_LONG_CBOR)
    packed = status_list.decompress(draft["lst"])
    assert len(packed) * 4 == 2**20
    assert {i: status_list.status_at(packed, i) for i in DRAFT_LONG} == DRAFT_LONG
    assert sum(byte != 0 for byte in packed) == len(DRAFT_LONG)  # nothing else set
    assert status_list.pack_entries(2**20, DRAFT_LONG.items()) == packed
    statuses = [0] * 2**20
    for index, value in DRAFT_LONG.items():
        statuses[index] = value
    assert status_list.pack(statuses) == packed


def test_set_status_changes_one_entry_and_refuses_what_does_not_fit() -> None:
    packed = bytearray(DRAFT_BYTES)
    status_list.set_status(packed, 2, CardStatus.SUSPENDED)
    assert [status_list.status_at(packed, i) for i in range(12)] == [1, 2, 2, 3, 0, 1, 0, 1, 1, 2, 3, 3]
    status_list.set_status(packed, 2, CardStatus.VALID)
    assert bytes(packed) == DRAFT_BYTES
    with pytest.raises(StatusListError, match="outside the list"):
        status_list.set_status(packed, 12, 1)
    with pytest.raises(StatusListError, match="does not fit"):
        status_list.set_status(packed, 0, 4)
    with pytest.raises(StatusListError, match="2-bit entries"):
        status_list.pack([0, 4])
    with pytest.raises(StatusListError, match="multiple of 4"):
        status_list.pack_entries(10, [])


def test_the_token_is_a_cwt_as_the_draft_describes() -> None:
    token = list_token(revoked=(5,), suspended=(6,))
    message = cbor2.loads(token)
    assert message.tag == 18
    protected, _unprotected, payload, signature = message.value
    headers = cbor2.loads(protected)
    assert headers == {1: -7, 4: bytes.fromhex(status_signer().info.key_id), 16: "application/statuslist+cwt"}
    assert len(signature) == 64
    claims = cbor2.loads(payload)
    assert claims[2] == "https://thedangvien.gov.vn/cards/status/17"
    assert claims[6] == int(NOW.timestamp())
    assert claims[4] == int(NOW.timestamp()) + 7 * 24 * 3600
    assert claims[65534] == 3600
    assert claims[65533]["bits"] == 2
    packed = zlib.decompress(claims[65533]["lst"])
    assert len(packed) == 2**23 // 4
    assert (status_list.status_at(packed, 5), status_list.status_at(packed, 6), status_list.status_at(packed, 7)) == (1, 2, 0)


def test_a_token_reads_back_with_its_claims() -> None:
    token = status_list.read_status_list_token(list_token(revoked=(5,), suspended=()), trust=keys().trust)
    assert token.uri == "https://thedangvien.gov.vn/cards/status/17"
    assert token.issued_at == NOW
    assert token.expires_at == NOW + dt.timedelta(days=7)
    assert token.ttl == dt.timedelta(hours=1)
    assert token.size == 2**23
    assert (token.status(5), token.status(6)) == (CardStatus.REVOKED, CardStatus.VALID)


def test_a_token_that_does_not_verify_is_refused_with_its_reason() -> None:
    token = bytearray(list_token())
    token[-70] ^= 0x01  # a byte of the payload (the signature is the last 64 bytes)
    with pytest.raises(StatusListError, match="bad_signature"):
        status_list.read_status_list_token(bytes(token), trust=keys().trust)
    with pytest.raises(StatusListError, match="signer_untrusted"):
        status_list.read_status_list_token(list_token(signer=other_root_keys().signer(KeyRole.STATUS)),
                                           trust=keys().trust)
    # A phone signer's key is trusted, but not for status lists.
    with pytest.raises(StatusListError, match="signer_role"):
        status_list.read_status_list_token(list_token(signer=keys().signer(KeyRole.PHONE)), trust=keys().trust)
    # A phone credential is no status list token, whoever signed it.
    with pytest.raises(StatusListError, match="type"):
        status_list.read_status_list_token(
            cose.sign1(b"\xa0", signer=status_signer(), protected=cose.protected_header(status_signer())),
            trust=keys().trust)


def test_the_issuer_refuses_bad_input() -> None:
    with pytest.raises(StatusListError, match="empty"):
        status_list.status_list_token(b"", uri="x", signer=status_signer(), issued_at=NOW, ttl=dt.timedelta(hours=1))
    with pytest.raises(StatusListError, match="aware"):
        status_list.status_list_token(b"\0", uri="x", signer=status_signer(), issued_at=NOW.replace(tzinfo=None),
                                      ttl=dt.timedelta(hours=1))
    # A list given as one int a card is packed first.
    token = status_list.status_list_token([0, 1, 2, 0], uri="x", signer=status_signer(), issued_at=NOW,
                                          ttl=dt.timedelta(hours=1))
    read = status_list.read_status_list_token(token, trust=keys().trust)
    assert [read.status(i) for i in range(4)] == [0, 1, 2, 0]
