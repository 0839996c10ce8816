"""BER-TLV as the ICAO 9303 data groups use it (part 10): one- or two-byte tags, DER lengths.

The data groups are flat tag-length-value records with application tags (0x61 DG1, 0x5F1F MRZ...),
which is simpler and much faster to write by hand than through an ASN.1 schema; the security object
and its CMS envelope, which are real ASN.1, go through asn1crypto (sod.py).
"""

from __future__ import annotations

from collections.abc import Iterator


class TlvError(ValueError):
    """Bytes that are not a well-formed TLV record of the expected shape."""


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, value: bytes) -> bytes:
    """One record; `tag` as written (0x5F1F is two bytes, 0x61 one)."""
    tag_bytes = tag.to_bytes(2 if tag > 0xFF else 1, "big")
    n = len(value)
    return tag_bytes + (bytes((n,)) if n < 0x80 else encode_length(n)) + value


def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """The record at `offset`: (tag, value, offset after it). Only the shortest length form is
    accepted (DER), so that every record has exactly one encoding."""
    end = len(data)
    if offset >= end:
        raise TlvError("a record was expected, the data ended")
    tag = data[offset]
    offset += 1
    if tag & 0x1F == 0x1F:  # a two-byte tag (0x5F1F, 0x7F61...)
        if offset >= end:
            raise TlvError("the data ended inside a tag")
        if data[offset] & 0x80:
            raise TlvError(f"tag {tag:02X}{data[offset]:02X}... is longer than two bytes")
        tag = (tag << 8) | data[offset]
        offset += 1
    if offset >= end:
        raise TlvError(f"the data ended before the length of tag {tag:X}")
    first = data[offset]
    offset += 1
    if first < 0x80:
        length = first
    else:
        size = first & 0x7F
        if size == 0 or size > 3 or offset + size > end:
            raise TlvError(f"tag {tag:X} has a bad length")
        length = int.from_bytes(data[offset:offset + size], "big")
        offset += size
        if length < 0x80 or length.bit_length() <= 8 * (size - 1):
            raise TlvError(f"tag {tag:X}: the length is not in its shortest form")
    if offset + length > end:
        raise TlvError(f"tag {tag:X} says {length} bytes, only {end - offset} follow")
    return tag, data[offset:offset + length], offset + length


def read_one(data: bytes, tag: int) -> bytes:
    """The value of the single record `data` is made of, which must carry `tag`."""
    found, value, end = read_tlv(data)
    if found != tag:
        raise TlvError(f"tag {tag:X} was expected, found {found:X}")
    if end != len(data):
        raise TlvError(f"{len(data) - end} bytes follow the record {tag:X}")
    return value


def records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The records that make up `data`, one after another, up to its last byte."""
    offset = 0
    while offset < len(data):
        tag, value, offset = read_tlv(data, offset)
        yield tag, value
