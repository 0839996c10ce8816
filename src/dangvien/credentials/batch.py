"""The production batch file for the card maker (issue 13, item 4), and the maker's side of it.

What the card maker receives is one file, a CMS EnvelopedData (RFC 5652, DER) encrypted to the
maker's certificate, holding a ZIP (stored, not compressed: JPEGs and signatures do not shrink):

    cards/<printed number>/EF.COM, DG1.bin, DG2.bin, DG11.bin, DG12.bin, DG13.bin, EF.SOD, print.json
    faces.pdf              the card faces, front and back (when rendered)
    manifest.json          per card: its files' SHA-256; the batch's other files' SHA-256
    manifest.json.p7s      CMS SignedData (DER) by the batch signer, the manifest encapsulated

The signature covers the manifest and the manifest covers every file, so one signature check and a
hash per file prove the whole batch (a maker checks a file without re-reading the others).

Encryption: cryptography's PKCS7EnvelopeBuilder, AES-256-CBC content encryption, RSA key transport.
The maker's key is RSA (3072 bits or more): card personalization bureaus run RSA in their HSMs and
PKI for exactly this exchange, and RSA key transport is what every CMS tool (OpenSSL, Bouncy Castle,
Windows) decrypts; ECDH key agreement recipients are far less widely supported, and cryptography's
builder writes only RSA recipients. PKCS#1 v1.5 key transport is no decryption oracle here: the
maker decrypts offline, answering no one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from .keys import KeyRole, Signer, TrustList
from .lds import ChipData, chip_image
from .passive_auth import passive_authentication
from .sod import _asn1_certificate, signed_attributes, signed_data_der

FORMAT = "dangvien-card-batch/1"
DATA_OID = "1.2.840.113549.1.7.1"  # id-data: the manifest is plain JSON
MANIFEST, SIGNATURE, FACES = "manifest.json", "manifest.json.p7s", "faces.pdf"
MIN_RSA_BITS = 3072


class BatchError(ValueError):
    """A batch that cannot be made or opened; `code` says which check failed."""

    def __init__(self, code: str, text: str):
        super().__init__(f"{code}: {text}")
        self.code, self.text = code, text


@dataclass(frozen=True)
class BatchCard:
    number: str  # as printed (NUMBER or NUMBER.N)
    print_fields: dict[str, str]
    chip: ChipData


@dataclass(frozen=True)
class BuiltBatch:
    data: bytes  # the EnvelopedData (DER)
    manifest: bytes
    card_count: int

    @property
    def manifest_sha256(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()


def chip_file_name(name: str) -> str:
    """EF.COM and EF.SOD keep their names; data groups are DGn.bin (as ICAO tools write them)."""
    return name if name.startswith("EF.") else f"{name}.bin"


def check_recipient(certificate: x509.Certificate) -> None:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise BatchError("recipient_key", "the card maker's certificate must hold an RSA key")
    if key.key_size < MIN_RSA_BITS:
        raise BatchError("recipient_key", f"the card maker's RSA key has {key.key_size} bits; at least "
                                          f"{MIN_RSA_BITS} are required")


def sign_manifest(manifest: bytes, signer: Signer) -> bytes:
    """CMS SignedData (DER) over the manifest, encapsulated, signed attributes content type and digest."""
    attributes = signed_attributes(manifest, DATA_OID)
    signature = signer.sign(attributes.dump())
    certificate = _asn1_certificate(signer.info.certificate)
    return signed_data_der(manifest, attributes, certificate, signature, DATA_OID).dump()


def build_batch(cards: Iterable[BatchCard], *, batch_id: int, unit_code: str, created_at: dt.datetime,
                chip_signer: Signer, batch_signer: Signer, recipient: x509.Certificate,
                faces_pdf: bytes | None = None, progress: Callable[[int], None] | None = None) -> BuiltBatch:
    """Chip files and print fields of every card, the manifest, signed, zipped and encrypted."""
    check_recipient(recipient)
    buffer = io.BytesIO()
    entries: list[dict[str, Any]] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for card in cards:
            files = {chip_file_name(name): data for name, data in chip_image(card.chip, chip_signer).items()}
            files["print.json"] = json.dumps(card.print_fields, ensure_ascii=False, sort_keys=True).encode()
            for name, data in files.items():
                archive.writestr(f"cards/{card.number}/{name}", data)
            entries.append({"number": card.number,
                            "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}})
            if progress:
                progress(1)
        others = {}
        if faces_pdf is not None:
            archive.writestr(FACES, faces_pdf)
            others[FACES] = hashlib.sha256(faces_pdf).hexdigest()
        manifest = json.dumps({"format": FORMAT, "batch": batch_id, "unit": unit_code,
                               "created_at": created_at.isoformat(), "card_count": len(entries),
                               "cards": entries, "files": others}, ensure_ascii=False, indent=1).encode()
        archive.writestr(MANIFEST, manifest)
        archive.writestr(SIGNATURE, sign_manifest(manifest, batch_signer))
    envelope = (pkcs7.PKCS7EnvelopeBuilder().set_data(buffer.getvalue()).add_recipient(recipient)
                .set_content_encryption_algorithm(algorithms.AES256))
    return BuiltBatch(envelope.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]), manifest,
                      len(entries))


# --- the card maker's side -------------------------------------------------------------------------


@dataclass
class OpenedBatch:
    manifest: dict[str, Any]
    files: dict[str, bytes]
    signer: x509.Certificate
    chip_problems: dict[str, str] = field(default_factory=dict)  # card number -> passive auth reason

    def chip(self, number: str) -> dict[str, bytes]:
        prefix = f"cards/{number}/"
        return {name[len(prefix):].removesuffix(".bin"): data for name, data in self.files.items()
                if name.startswith(prefix) and name != prefix + "print.json"}


def verify_manifest_signature(signature_der: bytes, trust: TrustList, at: dt.datetime) -> tuple[bytes, x509.Certificate]:
    """The manifest the SignedData holds, once its signature, digest and signer (a batch signer
    under a trusted root) check out."""
    try:
        signed = cms.ContentInfo.load(signature_der)["content"]
        [signer_info] = signed["signer_infos"]
        content = signed["encap_content_info"]["content"].native
        attributes = signer_info["signed_attrs"]
        digest = next(a["values"][0].native for a in attributes if a["type"].native == "message_digest")
        [certificate_asn1] = signed["certificates"]
        certificate = x509.load_der_x509_certificate(certificate_asn1.chosen.dump())
        signature = signer_info["signature"].native
        signed_bytes = b"\x31" + attributes.dump()[1:]
    except (ValueError, TypeError, KeyError, StopIteration) as exc:
        raise BatchError("signature_malformed", f"the manifest's signature cannot be read: {exc}") from exc
    if digest != hashlib.sha256(content).digest():
        raise BatchError("signature", "the manifest does not match its signed digest")
    if problem := trust.check(certificate, at=at, role=KeyRole.BATCH):
        raise BatchError(problem.code, problem.text)
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise BatchError("signature", "the batch signer's key is not ECDSA")
    try:
        public_key.verify(signature, signed_bytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise BatchError("signature", "the manifest's signature does not verify") from None
    return content, certificate


def open_batch(data: bytes, *, key: rsa.RSAPrivateKey, certificate: x509.Certificate, trust: TrustList,
               at: dt.datetime, check_chips: bool = True) -> OpenedBatch:
    """Decrypt, check the signature against the trust list, every file against the manifest, and
    (check_chips) each card's chip image by passive authentication."""
    # OpenSSL answers a wrong RSA key with a random content key (implicit rejection, against
    # Bleichenbacher oracles), so a mismatch would surface as a garbled archive: refuse it here.
    if key.public_key() != certificate.public_key():
        raise BatchError("decrypt", "the batch cannot be decrypted with this key: it is not the certificate's key")
    try:
        plain = pkcs7.pkcs7_decrypt_der(data, certificate, key, [])
    except ValueError as exc:
        raise BatchError("decrypt", f"the batch cannot be decrypted with this key: {exc}") from exc
    try:
        with zipfile.ZipFile(io.BytesIO(plain)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except zipfile.BadZipFile as exc:
        raise BatchError("archive", str(exc)) from exc
    if MANIFEST not in files or SIGNATURE not in files:
        raise BatchError("archive", "the batch has no signed manifest")
    manifest_bytes, signer = verify_manifest_signature(files[SIGNATURE], trust, at)
    if manifest_bytes != files[MANIFEST]:
        raise BatchError("signature", "manifest.json is not the signed manifest")
    manifest = json.loads(manifest_bytes)
    expected = {name: digest for name, digest in manifest["files"].items()}
    for card in manifest["cards"]:
        expected.update({f"cards/{card['number']}/{name}": digest for name, digest in card["files"].items()})
    for name, digest in expected.items():
        if name not in files:
            raise BatchError("file_missing", f"{name} is in the manifest and missing")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise BatchError("file_hash", f"{name} does not match its hash in the manifest")
    if extra := sorted(set(files) - set(expected) - {MANIFEST, SIGNATURE}):
        raise BatchError("file_unlisted", f"{extra[0]} is not in the manifest")
    opened = OpenedBatch(manifest, files, signer)
    if check_chips:
        for card in manifest["cards"]:
            verdict = passive_authentication(opened.chip(card["number"]), trust, at=at)
            if not verdict.ok:
                opened.chip_problems[card["number"]] = verdict.reason
    return opened
