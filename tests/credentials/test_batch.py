"""The production batch (credentials/batch.py, production.py) from both sides: built from issued
cards, then opened as the card maker does: decrypt with the maker's key, the manifest's signature
against the trust list, every file's hash, passive authentication of every chip image; OpenSSL
accepts the signature and decrypts the file; a changed byte, another key or an unknown signer are
refused with their reason; `dangvien cards batch` and `export-chip`."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
import zipfile
from types import SimpleNamespace

import pypdfium2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from dangvien.core.models import AuditEntry
from dangvien.credentials.batch import SIGNATURE, BatchError, open_batch, sign_manifest
from dangvien.credentials.keys import KeyRole
from dangvien.credentials.models import Card
from dangvien.credentials.production import batch_produce
from dangvien.credentials.services import cards_issue_bulk
from dangvien.org.models import Unit
from tests.clock import NOW
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("english")


def _certificate(key, name: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=365)).sign(key, hashes.SHA256()))


@pytest.fixture(scope="session")
def maker() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return key, _certificate(key, "Card maker")


@pytest.fixture
def issued(cards, test_keys):
    cards_issue_bulk(actor=cards.world.admin, unit=cards.world.province, day=dt.date(2026, 11, 20))
    return cards


def test_the_card_maker_opens_and_checks_the_batch(issued, test_keys, maker, tmp_path) -> None:
    key, certificate = maker
    produced = batch_produce(actor=issued.card_officer_b.__class__.objects.get(username="the_b"),
                             unit=issued.world.commune_b, recipient=certificate, at=NOW,
                             faces=lambda cards: b"%PDF-1.7 stand-in faces of " + str(len(cards)).encode())
    [b1_card] = Card.objects.filter(member=issued.b1)
    assert produced.built.card_count == 1 and b1_card.batch == produced.batch
    assert Card.objects.get(member=issued.a1).batch is None  # commune A: not this officer's run
    opened = open_batch(produced.built.data, key=key, certificate=certificate, trust=test_keys.trust(NOW), at=NOW)
    assert opened.chip_problems == {}
    assert [c["number"] for c in opened.manifest["cards"]] == [b1_card.display_number]
    assert sorted(opened.manifest["cards"][0]["files"]) == [
        "DG1.bin", "DG11.bin", "DG12.bin", "DG13.bin", "DG2.bin", "EF.COM", "EF.SOD", "print.json"]
    printed = json.loads(opened.files[f"cards/{b1_card.display_number}/print.json"])
    assert (printed["full_name"], printed["number"]) == (issued.b1.full_name, b1_card.display_number)
    assert opened.files["faces.pdf"] == b"%PDF-1.7 stand-in faces of 1"
    assert opened.signer == test_keys.signer(KeyRole.BATCH).info.certificate
    entry = AuditEntry.objects.get(action="card_batch.produced")
    assert entry.after["cards"] == [b1_card.display_number] and entry.after["manifest_sha256"] == produced.built.manifest_sha256
    # The next run has nothing left to send.
    with pytest.raises(ValidationError):
        batch_produce(actor=issued.world.admin, unit=issued.world.commune_b, recipient=certificate, at=NOW)

    # OpenSSL decrypts the file with the maker's key, and verifies the manifest's signature.
    (tmp_path / "batch.p7m").write_bytes(produced.built.data)
    (tmp_path / "maker.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    (tmp_path / "maker.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    decrypted = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", str(tmp_path / "batch.p7m"),
                                "-inkey", str(tmp_path / "maker.pem"), "-recip", str(tmp_path / "maker.crt")],
                               capture_output=True)
    assert decrypted.returncode == 0, decrypted.stderr
    with zipfile.ZipFile(io.BytesIO(decrypted.stdout)) as archive:
        (tmp_path / "sig.p7s").write_bytes(archive.read(SIGNATURE))
        assert archive.read("manifest.json") == produced.built.manifest
    (tmp_path / "root.pem").write_bytes(test_keys.trust().roots[0].public_bytes(serialization.Encoding.PEM))
    verified = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "sig.p7s"),
                               "-purpose", "any", "-binary", "-attime", str(int(NOW.timestamp())),
                               "-CAfile", str(tmp_path / "root.pem")], capture_output=True)
    assert verified.returncode == 0 and b"Verification successful" in verified.stderr, verified.stderr
    assert verified.stdout == produced.built.manifest


class _ForeignSigner:
    """A P-256 key with a self-made certificate: signs like a batch signer, under no trusted root."""

    def __init__(self):
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.info = SimpleNamespace(certificate=_certificate(self._key, "Not the party"))

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))


def _rebuilt(data: bytes, maker, change) -> bytes:
    """The batch decrypted, `change(files)` applied, and encrypted again to the maker (an attacker who
    holds the maker's certificate, not the batch signer's key)."""
    key, certificate = maker
    plain = pkcs7.pkcs7_decrypt_der(data, certificate, key, [])
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    change(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return (pkcs7.PKCS7EnvelopeBuilder().set_data(buffer.getvalue()).add_recipient(certificate)
            .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))


def test_a_changed_or_foreign_batch_is_refused_with_its_reason(issued, test_keys, maker) -> None:
    key, certificate = maker
    produced = batch_produce(actor=issued.world.admin, unit=issued.world.province, recipient=certificate, at=NOW)
    data, trust = produced.built.data, test_keys.trust(NOW)
    number = json.loads(produced.built.manifest)["cards"][0]["number"]

    def flip(name):
        def change(files):
            files[name] = files[name][:-1] + bytes([files[name][-1] ^ 1])
        return change

    def reason(batch: bytes, **options) -> str:
        with pytest.raises(BatchError) as caught:
            open_batch(batch, **{"key": key, "certificate": certificate, "trust": trust, "at": NOW, **options})
        return caught.value.code

    assert reason(_rebuilt(data, maker, flip(f"cards/{number}/DG2.bin"))) == "file_hash"
    assert reason(_rebuilt(data, maker, flip("manifest.json"))) == "signature"
    assert reason(_rebuilt(data, maker, lambda f: f.update({"extra.txt": b"x"}))) == "file_unlisted"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert reason(data, key=other) == "decrypt"

    # A manifest re-signed (with its files changed) by a key under another root: untrusted.
    def resign(files):
        flip(f"cards/{number}/DG11.bin")(files)
        manifest = json.loads(files["manifest.json"])
        manifest["cards"][0]["files"]["DG11.bin"] = hashlib.sha256(files[f"cards/{number}/DG11.bin"]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()
        files[SIGNATURE] = sign_manifest(files["manifest.json"], _ForeignSigner())
    forged = _rebuilt(data, maker, resign)
    with pytest.raises(BatchError) as caught:
        open_batch(forged, key=key, certificate=certificate, trust=trust, at=NOW)
    assert caught.value.code == "signer_untrusted"  # refused at the signer, before any file


def test_the_maker_certificate_must_be_rsa_3072_and_the_officer_in_scope(issued, test_keys, maker) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(BatchError, match="at least 3072"):
        batch_produce(actor=issued.world.admin, unit=issued.world.province, recipient=_certificate(small, "x"), at=NOW)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(BatchError, match="RSA"):
        batch_produce(actor=issued.world.admin, unit=issued.world.province, recipient=_certificate(ec_key, "x"), at=NOW)
    with pytest.raises(PermissionDenied):
        batch_produce(actor=make_user("sec", "committee_officer", issued.world.province), unit=issued.world.province,
                      recipient=maker[1], at=NOW)
    assert not Card.objects.filter(batch__isnull=False).exists()


def test_the_batch_and_export_chip_commands(issued, test_keys, maker, tmp_path, capsys) -> None:
    key, certificate = maker
    (tmp_path / "maker.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    province: Unit = issued.world.province
    with pytest.raises(CommandError, match="--workers must be 1 or more, not 0"):
        call_command("cards", "batch", "--unit", province.code, "--maker-cert", str(tmp_path / "maker.crt"),
                     "-o", str(tmp_path / "batch.p7m"), "--workers", "0")
    assert not (tmp_path / "batch.p7m").exists()
    call_command("cards", "batch", "--unit", province.code, "--maker-cert", str(tmp_path / "maker.crt"),
                 "-o", str(tmp_path / "batch.p7m"), "--workers", "2")
    out, err = capsys.readouterr()
    assert "2 cards of" in out and "2/2 100%" in err
    opened = open_batch((tmp_path / "batch.p7m").read_bytes(), key=key, certificate=certificate,
                        trust=test_keys.trust(), at=NOW + dt.timedelta(days=1))
    assert len(opened.manifest["cards"]) == 2 and not opened.chip_problems
    # The faces, drawn with two worker processes: front and back of each card, in the manifest's order.
    faces = pypdfium2.PdfDocument(opened.files["faces.pdf"])
    fronts = [faces[i].get_textpage().get_text_range() for i in (0, 2)]
    assert len(faces) == 4 and all(card["number"] in front for card, front in zip(opened.manifest["cards"], fronts, strict=True))
    card = Card.objects.get(member=issued.a1)
    call_command("cards", "export-chip", card.display_number, "-o", str(tmp_path / "chip"))
    assert sorted(p.name for p in (tmp_path / "chip").iterdir()) == [
        "DG1.bin", "DG11.bin", "DG12.bin", "DG13.bin", "DG2.bin", "EF.COM", "EF.SOD"]
    assert AuditEntry.objects.filter(action="card.chip_exported", object_id=str(card.pk)).exists()
