"""EF.SOD: the document security object (ICAO 9303 part 10, 4.6.2; part 11, 9.2).

A CMS SignedData (RFC 5652) whose encapsulated content, of type id-icao-mrtd-security-ldsSecurityObject
(2.23.136.1.1.1), is

    LDSSecurityObject ::= SEQUENCE {
        version                LDSSecurityObjectVersion,   -- v1: the LDS version info is present
        hashAlgorithm          DigestAlgorithmIdentifier,  -- SHA-256
        dataGroupHashValues    SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash,
        ldsVersionInfo         LDSVersionInfo OPTIONAL }
    DataGroupHash ::= SEQUENCE { dataGroupNumber INTEGER, dataGroupHashValue OCTET STRING }
    LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }

signed with ECDSA P-256 over SHA-256 by the chip signer (the Document Signer), whose certificate is
included; signed attributes: content type and message digest (9303 part 10 requires both).
asn1crypto writes and reads the ASN.1 (pymrtd, the one library that models the whole LDS, is not
published on PyPI; its LDS classes are these same few asn1crypto definitions).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .keys import Signer
from .tlv import tlv

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"  # id-icao-mrtd-security-ldsSecurityObject


class DataGroupHash(core.Sequence):
    _fields = [("dataGroupNumber", core.Integer), ("dataGroupHashValue", core.OctetString)]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LDSVersionInfo(core.Sequence):
    _fields = [("ldsVersion", core.PrintableString), ("unicodeVersion", core.PrintableString)]


class LDSSecurityObject(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hashAlgorithm", algos.DigestAlgorithm),
        ("dataGroupHashValues", DataGroupHashValues),
        ("ldsVersionInfo", LDSVersionInfo, {"optional": True}),
    ]


class SodError(ValueError):
    """An EF.SOD that cannot be read as a security object (the message says where)."""


class SodDigestError(SodError):
    """The signed message digest is not the security object's: the content was changed."""


def security_object(hashes: dict[int, bytes], *, lds_version: str, unicode_version: str) -> bytes:
    """The DER of the LDSSecurityObject (v1) over the given SHA-256 data group hashes."""
    return LDSSecurityObject({
        "version": 1,
        "hashAlgorithm": {"algorithm": "sha256"},
        "dataGroupHashValues": [{"dataGroupNumber": n, "dataGroupHashValue": h} for n, h in sorted(hashes.items())],
        "ldsVersionInfo": {"ldsVersion": lds_version, "unicodeVersion": unicode_version},
    }).dump()


# A signer's certificate as asn1crypto holds it (parsing one costs more than a whole security object).
_asn1_certificates: dict[bytes, asn1_x509.Certificate] = {}


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    der = certificate.public_bytes(serialization.Encoding.DER)
    if (parsed := _asn1_certificates.get(der)) is None:
        if len(_asn1_certificates) > 64:
            _asn1_certificates.clear()
        parsed = _asn1_certificates[der] = asn1_x509.Certificate.load(der)
    return parsed


def signed_attributes(content: bytes, content_type: str = LDS_SECURITY_OBJECT_OID) -> cms.CMSAttributes:
    """Content type and message digest, in DER order (a SET OF is sorted by its members' encodings:
    a verifier such as OpenSSL re-encodes the set before checking the signature)."""
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
    ]
    return cms.CMSAttributes(sorted(attributes, key=lambda attribute: attribute.dump()))


def signed_data_der(content: bytes, attributes: cms.CMSAttributes, certificate: asn1_x509.Certificate,
                    signature: bytes, content_type: str = LDS_SECURITY_OBJECT_OID) -> cms.ContentInfo:
    """The ContentInfo holding the SignedData, built field by field with asn1crypto."""
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
            "issuer": certificate.issuer, "serial_number": certificate.serial_number})}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attributes,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature": signature,
    })
    signed_data = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": content_type,
                               "content": core.ParsableOctetString(content)},
        "certificates": [certificate],
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})


def _marker(name: str) -> bytes:
    return hashlib.sha256(b"dangvien security object template " + name.encode()).digest()


class SodTemplate:
    """The security object of one signer over one list of data groups, made once with asn1crypto and
    then filled in card by card: the data group hashes and the message digest have fixed places and
    sizes, and the signature comes last in every structure that holds it, so a card costs its hashes,
    one signature and five DER headers (asn1crypto builds the whole tree in ~1 ms, ten times that).
    tests/credentials/test_lds.py checks that a filled-in template equals asn1crypto's encoding."""

    def __init__(self, certificate: x509.Certificate, dg_numbers: list[int], *, lds_version: str,
                 unicode_version: str):
        self.dg_numbers = sorted(dg_numbers)
        markers = {n: _marker(f"DG{n}") for n in self.dg_numbers}
        content = security_object(markers, lds_version=lds_version, unicode_version=unicode_version)
        attributes = signed_attributes(content)
        signature = _marker("signature")  # any bytes: it is the last field, replaced whole
        info = signed_data_der(content, attributes, _asn1_certificate(certificate), signature)
        signed, signer = info["content"], info["content"]["signer_infos"][0]
        self.content_type = info["content_type"].dump()
        # SignedData up to the signer infos: version, digest algorithms, the content, the certificate.
        self.signed_prefix = b"".join(signed[name].dump() for name in
                                      ("version", "digest_algorithms", "encap_content_info", "certificates"))
        # SignerInfo up to the signature: version, signer id, digest algorithm, signed attributes, algorithm.
        self.signer_prefix = b"".join(signer[name].dump() for name in
                                      ("version", "sid", "digest_algorithm", "signed_attrs", "signature_algorithm"))
        self.hash_offsets = {n: _only(self.signed_prefix, m) for n, m in markers.items()}
        self.content_span = (_only(self.signed_prefix, content), len(content))
        self.digest_offset = _only(self.signer_prefix, hashlib.sha256(content).digest())
        attributes_der = signer["signed_attrs"].dump()
        self.attributes_span = (_only(self.signer_prefix, attributes_der), len(attributes_der))

    def sign(self, hashes: dict[int, bytes], signer: Signer) -> bytes:
        if sorted(hashes) != self.dg_numbers:
            raise ValueError(f"hashes of data groups {sorted(hashes)}, the template holds {self.dg_numbers}")
        signed_prefix = bytearray(self.signed_prefix)
        for number, value in hashes.items():
            offset = self.hash_offsets[number]
            signed_prefix[offset:offset + 32] = value
        start, size = self.content_span
        signer_prefix = bytearray(self.signer_prefix)
        signer_prefix[self.digest_offset:self.digest_offset + 32] = hashlib.sha256(
            signed_prefix[start:start + size]).digest()
        start, size = self.attributes_span
        # The signature covers the attributes with the SET OF tag, not the [0] they carry in SignerInfo.
        signature = signer.sign(b"\x31" + bytes(signer_prefix[start + 1:start + size]))
        signer_info = tlv(0x30, bytes(signer_prefix) + tlv(0x04, signature))
        signed_data = tlv(0x30, bytes(signed_prefix) + tlv(0x31, signer_info))
        return tlv(0x30, self.content_type + tlv(0xA0, signed_data))


def _only(haystack: bytes, needle: bytes) -> int:
    offset = haystack.find(needle)
    if offset < 0 or haystack.find(needle, offset + 1) >= 0:
        raise AssertionError("a template marker is missing or repeated")
    return offset


# (signer's key id and certificate serial, data groups, versions) -> template
_templates: dict[tuple[str, int, tuple[int, ...], str, str], SodTemplate] = {}


def signed_security_object(hashes: dict[int, bytes], signer: Signer, *, lds_version: str,
                           unicode_version: str) -> bytes:
    """The ContentInfo (DER) that EF.SOD wraps: the security object signed by `signer`."""
    certificate = signer.info.certificate
    marker = (signer.info.key_id, certificate.serial_number, tuple(sorted(hashes)), lds_version, unicode_version)
    if (template := _templates.get(marker)) is None:
        if len(_templates) > 64:
            _templates.clear()
        template = _templates[marker] = SodTemplate(certificate, list(hashes), lds_version=lds_version,
                                                    unicode_version=unicode_version)
    return template.sign(hashes, signer)


@dataclass(frozen=True)
class ParsedSod:
    """What a verifier needs from EF.SOD, read but not yet trusted."""

    content: bytes  # the encapsulated LDSSecurityObject, as signed
    hashes: dict[int, bytes]
    lds_version: str | None
    unicode_version: str | None
    certificate: x509.Certificate
    signed_attributes: bytes  # DER with the SET OF tag, as the signature covers it
    signature: bytes  # DER ECDSA signature


def parse_sod(content_info_der: bytes) -> ParsedSod:
    """Read a SignedData over an LDSSecurityObject as this project writes it and ICAO allows it:
    exactly one signer, ECDSA with SHA-256, signed attributes naming the content type and its digest,
    the signer's certificate included. SodError names the first thing that is not so."""
    try:
        info = cms.ContentInfo.load(content_info_der, strict=True)
        if info["content_type"].dotted != "1.2.840.113549.1.7.2":
            raise SodError("the content is not a CMS SignedData")
        signed = info["content"]
        if signed["version"].native != "v3":
            raise SodError(f"SignedData version {signed['version'].native}, v3 expected")
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != LDS_SECURITY_OBJECT_OID:
            raise SodError(f"the signed content is {encap['content_type'].dotted}, not an LDS security object")
        content = encap["content"].contents
        if len(signed["digest_algorithms"]) != 1 or not _is_sha256(signed["digest_algorithms"][0]):
            raise SodError("the digest algorithms are not exactly SHA-256")
        if len(signed["signer_infos"]) != 1:
            raise SodError(f"{len(signed['signer_infos'])} signers, exactly one expected")
        signer_info = signed["signer_infos"][0]
        certificate = _signer_certificate(signed, signer_info)
        attributes = _checked_attributes(signer_info, content)
        if not _is_sha256(signer_info["digest_algorithm"]):
            raise SodError("the signer's digest algorithm is not SHA-256")
        signature_algorithm = signer_info["signature_algorithm"]
        if signature_algorithm["algorithm"].native != "sha256_ecdsa" or signature_algorithm["parameters"].dump():
            raise SodError("the signature algorithm is not ECDSA with SHA-256")
        if signer_info["unsigned_attrs"].native is not None:
            raise SodError("the signer carries unsigned attributes")
        hashes, lds_version, unicode_version = _read_security_object(content)
        signature = signer_info["signature"].native
    except SodError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, x509.InvalidVersion) as exc:
        raise SodError(f"the SignedData cannot be read: {exc}") from exc
    return ParsedSod(content=content, hashes=hashes, lds_version=lds_version, unicode_version=unicode_version,
                     certificate=certificate, signed_attributes=attributes, signature=signature)


def _is_sha256(algorithm: algos.DigestAlgorithm) -> bool:
    # Parameters absent or NULL (RFC 5754 allows both); anything else there would go unsigned.
    return algorithm["algorithm"].native == "sha256" and algorithm["parameters"].dump() in (b"", b"\x05\x00")


def _signer_certificate(signed: cms.SignedData, signer_info: cms.SignerInfo) -> x509.Certificate:
    if signer_info["version"].native != "v1" or signer_info["sid"].name != "issuer_and_serial_number":
        raise SodError("the signer is not named by issuer and serial number (SignerInfo v1)")
    sid = signer_info["sid"].chosen
    for choice in signed["certificates"]:
        if choice.name != "certificate":
            continue
        candidate = choice.chosen
        # the same bytes: Name equality would run LDAP string preparation, slow and needlessly lenient
        if candidate.issuer.dump() == sid["issuer"].dump() and candidate.serial_number == sid["serial_number"].native:
            # An ECDSA signature is whole bytes. cryptography reads the bytes of a BIT STRING whatever
            # its unused-bit count says, so a certificate changed there would still verify.
            if candidate["signature_value"].contents[:1] != b"\x00":
                raise SodError("the signer certificate's signature is not a whole number of bytes")
            return x509.load_der_x509_certificate(candidate.dump())
    raise SodError("the signer's certificate is not in the SignedData")


def _checked_attributes(signer_info: cms.SignerInfo, content: bytes) -> bytes:
    attributes = signer_info["signed_attrs"]
    types = [attribute["type"].native for attribute in attributes]
    if sorted(types) != ["content_type", "message_digest"]:
        raise SodError(f"signed attributes {types}: exactly content type and message digest expected")
    for attribute in attributes:
        values = attribute["values"]
        if len(values) != 1:
            raise SodError(f"the signed attribute {attribute['type'].native} has {len(values)} values")
        if attribute["type"].native == "content_type" and values[0].dotted != LDS_SECURITY_OBJECT_OID:
            raise SodError("the signed content type is not the LDS security object")
        if attribute["type"].native == "message_digest" and values[0].native != hashlib.sha256(content).digest():
            raise SodDigestError("the signed message digest does not match the security object")
    # The signature covers the attributes' DER with the SET OF tag, not the [0] tag they carry here.
    return b"\x31" + attributes.dump()[1:]


def _read_security_object(content: bytes) -> tuple[dict[int, bytes], str | None, str | None]:
    lso = LDSSecurityObject.load(content, strict=True)
    version = lso["version"].native
    if version not in (0, 1):
        raise SodError(f"LDSSecurityObject version {version}, 0 or 1 expected")
    if lso["hashAlgorithm"]["algorithm"].native != "sha256":
        raise SodError("the data groups are not hashed with SHA-256")
    hashes: dict[int, bytes] = {}
    for entry in lso["dataGroupHashValues"]:
        number, value = entry["dataGroupNumber"].native, entry["dataGroupHashValue"].native
        if not 1 <= number <= 16 or number in hashes or len(value) != 32:
            raise SodError(f"the security object's entry for data group {number} is not valid")
        hashes[number] = value
    info = lso["ldsVersionInfo"]
    if (version == 1) != bool(info.native):
        raise SodError("the LDS version info must be present exactly in a v1 security object")
    if version == 0:
        return hashes, None, None
    return hashes, info["ldsVersion"].native, info["unicodeVersion"].native
