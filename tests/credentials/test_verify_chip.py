"""The verifier's chip-directory path against the real passive authentication and the real keys: a
chip image exported as files verifies, then its status is read from the cached list; a changed byte
in a data group is refused with passive authentication's reason."""

from __future__ import annotations

from dangvien.credentials.keys import KeyRole
from dangvien.credentials.lds import chip_image
from dangvien.credentials.status_cache import StatusCache
from dangvien.credentials.verify import Verifier
from tests.clock import NOW
from tests.credentials._qr_support import REVOKED_INDEX, URI, list_token


def _write(directory, image: dict[str, bytes]) -> None:
    directory.mkdir()
    for name, data in image.items():
        (directory / (name if name.startswith("EF.") else f"{name}.bin")).write_bytes(data)


def test_a_chip_directory_verifies_through_passive_authentication(test_keys, chip_data, tmp_path) -> None:
    trust = test_keys.trust(NOW)
    cache = StatusCache(tmp_path / "status")
    cache.put(list_token(signer=test_keys.signer(KeyRole.STATUS)), uri=URI, trust=trust, fetched_at=NOW)
    image = chip_image(chip_data(status_list_uri=URI, status_index=REVOKED_INDEX), test_keys.signer(KeyRole.CHIP))
    _write(tmp_path / "revoked", image)
    verdict = Verifier(trust, cache).verify(tmp_path / "revoked", now=NOW)
    assert (verdict.result, verdict.source, verdict.fields["card_number"]) == ("revoked", "chip", "GL-0012345")
    valid = chip_image(chip_data(status_list_uri=URI, status_index=5), test_keys.signer(KeyRole.CHIP))
    _write(tmp_path / "valid", valid)
    assert Verifier(trust, cache).verify(tmp_path / "valid", now=NOW).result == "valid"
    changed = bytearray(valid["DG11"])
    changed[-1] ^= 0x01
    _write(tmp_path / "changed", {**valid, "DG11": bytes(changed)})
    rejected = Verifier(trust, cache).verify(tmp_path / "changed", now=NOW)
    assert (rejected.result, rejected.reason) == ("invalid", "dg_hash")
