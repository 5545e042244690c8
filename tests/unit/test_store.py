"""openbadge_ctq.store: the encrypted key store under the badge home."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq.errors import InputError, KeyMaterialError, StoreError
from openbadge_ctq.keys import (
    MIN_PBKDF2_ROUNDS,
    KeyType,
    generate_private_key,
    jwk_thumbprint,
    public_key_to_jwk,
    public_key_to_multibase,
)
from openbadge_ctq.store import RECORD_FORMAT, KeyRecord, KeyStatus, KeyStore

PASS = b"correct horse battery staple"


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    key = generate_private_key(KeyType.RSA)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "home", kdf_rounds=MIN_PBKDF2_ROUNDS)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _file(record: KeyRecord) -> dict[str, object]:
    data = json.loads(record.path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_generate_writes_an_encrypted_key_with_private_modes(store: KeyStore, now: datetime) -> None:
    record = store.generate("ctq", KeyType.ED25519, passphrase=PASS, now=now)
    assert record.issuer_id == "ctq"
    assert record.type == KeyType.ED25519
    assert record.status == KeyStatus.ACTIVE
    assert record.created == now
    assert record.encrypted
    assert record.key_id == "key-" + jwk_thumbprint(record.public_jwk)[:8]
    assert record.public_key_multibase is not None and record.public_key_multibase.startswith("z6Mk")
    assert record.did_key() == "did:key:" + record.public_key_multibase
    assert record.path == store.home / "keys" / "ctq" / f"{record.key_id}.json"

    assert _mode(store.home / "keys") == 0o700
    assert _mode(store.home / "keys" / "ctq") == 0o700
    assert _mode(record.path) == 0o600
    data = _file(record)
    assert data["format"] == RECORD_FORMAT
    assert data["created"] == "2026-11-23T12:00:00Z"
    assert str(data["privateKeyPem"]).startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert "BEGIN PRIVATE KEY" not in record.path.read_text()
    assert sorted(p.name for p in record.path.parent.iterdir()) == [record.path.name]  # no temp files left


def test_default_store_uses_full_kdf_rounds(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    record = store.generate("ctq", passphrase=PASS)
    key = store.load_private(record, PASS)
    assert public_key_to_jwk(key.public_key()) == dict(record.public_jwk)


def test_record_round_trip_and_private_key(store: KeyStore, now: datetime) -> None:
    record = store.generate("ctq", KeyType.P256, passphrase=PASS, now=now)
    assert store.get("ctq", record.key_id) == record
    assert store.list() == [record]
    assert hash(record) == hash(store.get("ctq", record.key_id))
    private = store.load_private(record, PASS)
    assert public_key_to_jwk(private.public_key()) == dict(record.public_jwk)
    assert public_key_to_jwk(record.public_key()) == dict(record.public_jwk)
    assert "PRIVATE" not in repr(record)
    assert "privateKeyPem" not in record.to_json()


def test_no_passphrase_is_refused_and_writes_nothing(store: KeyStore) -> None:
    with pytest.raises(KeyMaterialError, match="no passphrase") as info:
        store.generate("ctq", passphrase=None)
    assert info.value.hint is not None and "BADGE_PASSPHRASE" in info.value.hint
    assert not (store.home / "keys").exists()
    with pytest.raises(KeyMaterialError, match="empty passphrase"):
        store.generate("ctq", passphrase=b"")
    assert store.list() == []


def test_unencrypted_only_when_allowed(store: KeyStore) -> None:
    record = store.generate("ctq", passphrase=None, allow_unencrypted=True)
    assert not record.encrypted
    assert str(_file(record)["privateKeyPem"]).startswith("-----BEGIN PRIVATE KEY-----")
    assert _mode(record.path) == 0o600
    key = store.load_private(record, None)
    assert public_key_to_jwk(key.public_key()) == dict(record.public_jwk)
    # a passphrase, when given, always wins over allow_unencrypted
    assert store.generate("ctq", KeyType.P256, passphrase=PASS, allow_unencrypted=True).encrypted


def test_wrong_passphrase_is_one_line(store: KeyStore) -> None:
    record = store.generate("ctq", passphrase=PASS)
    with pytest.raises(KeyMaterialError) as info:
        store.load_private(record, b"not it")
    assert str(info.value) == f"the passphrase does not decrypt key ctq/{record.key_id}"
    assert info.value.hint is not None and "BADGE_PASSPHRASE" in info.value.hint
    with pytest.raises(KeyMaterialError, match="no passphrase was given"):
        store.load_private(record, None)


def test_rotation_retires_the_previous_key_of_the_same_type(
    store: KeyStore, now: datetime, rsa_key: rsa.RSAPrivateKey
) -> None:
    first = store.generate("ctq", passphrase=PASS, now=now)
    rsa_record = store.add("ctq", rsa_key, passphrase=PASS, now=now + timedelta(seconds=1))
    second = store.generate("ctq", passphrase=PASS, now=now + timedelta(seconds=2))
    by_id = {r.key_id: r for r in store.list("ctq")}
    assert by_id[first.key_id].status == KeyStatus.RETIRED
    assert by_id[first.key_id].retired_at == now + timedelta(seconds=2)
    assert by_id[second.key_id].status == KeyStatus.ACTIVE
    assert by_id[rsa_record.key_id].status == KeyStatus.ACTIVE  # another type is not rotated
    assert rsa_record.public_key_multibase is None and rsa_record.did_key() is None
    assert store.active("ctq", KeyType.ED25519) == by_id[second.key_id]
    assert store.active("ctq", KeyType.RSA) == by_id[rsa_record.key_id]
    assert store.active("ctq") == by_id[second.key_id]  # the newest active key
    # the retired key stays usable for checks of old credentials
    store.load_private(by_id[first.key_id], PASS)


def test_active_without_a_key_hints_at_generate(store: KeyStore) -> None:
    with pytest.raises(KeyMaterialError, match="issuer 'ctq' has no active key") as info:
        store.active("ctq")
    assert info.value.hint == "badge keys generate --issuer ctq"
    store.generate("ctq", passphrase=PASS)
    with pytest.raises(KeyMaterialError, match="no active p256 key") as info:
        store.active("ctq", KeyType.P256)
    assert info.value.hint == "badge keys generate --issuer ctq --type p256"


def test_retire_and_revoke(store: KeyStore, now: datetime) -> None:
    record = store.generate("ctq", passphrase=PASS, now=now)
    retired = store.retire("ctq", record.key_id, now=now)
    assert retired.status == KeyStatus.RETIRED
    assert store.retire("ctq", record.key_id) == retired  # idempotent
    revoked = store.revoke("ctq", record.key_id, now=now)
    assert revoked.status == KeyStatus.REVOKED
    assert revoked.revoked_at == now
    assert "privateKeyPem" not in _file(revoked)
    assert _mode(revoked.path) == 0o600
    with pytest.raises(KeyMaterialError, match="is revoked"):
        store.load_private(revoked, PASS)
    with pytest.raises(KeyMaterialError, match="cannot be retired"):
        store.retire("ctq", record.key_id)
    assert store.revoke("ctq", record.key_id) == revoked


@pytest.mark.parametrize("issuer", ["../evil", "..", "a/b", "CTQ", "", "-ctq", "ctq ", "c" * 64, "/etc", "ctq\x00"])
def test_issuer_ids_are_slugs(store: KeyStore, issuer: str) -> None:
    with pytest.raises(InputError, match="issuer id"):
        store.generate(issuer, passphrase=PASS)
    with pytest.raises(InputError, match="issuer id"):
        store.list(issuer)
    assert not (store.home / "keys").exists()


@pytest.mark.parametrize("key_id", ["../key", "key/x", "", ".hidden", "key x"])
def test_key_ids_are_checked(store: KeyStore, key_id: str) -> None:
    with pytest.raises(InputError, match="key id"):
        store.get("ctq", key_id)


def test_unknown_key(store: KeyStore) -> None:
    with pytest.raises(KeyMaterialError, match="issuer 'ctq' has no key 'key-nothere'") as info:
        store.get("ctq", "key-nothere")
    assert info.value.hint == "badge keys list --issuer ctq"


def test_fixed_key_and_duplicates(store: KeyStore, now: datetime) -> None:
    key = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
    record = store.add("ctq", key, passphrase=PASS, now=now)
    assert record.key_id == "key-" + jwk_thumbprint(public_key_to_jwk(key.public_key()))[:8]
    with pytest.raises(StoreError, match="already exists"):
        store.add("ctq", key, passphrase=PASS, now=now)
    assert sorted(p.name for p in record.path.parent.iterdir()) == [record.path.name]


def test_issuers_folder_is_untouched(store: KeyStore) -> None:
    profile = store.home / "issuers" / "ctq" / "profile.json"
    profile.parent.mkdir(parents=True)
    profile.write_text('{"id": "ctq"}', encoding="utf-8")
    before = os.stat(profile)
    store.generate("ctq", passphrase=PASS)
    store.list()
    after = os.stat(profile)
    assert profile.read_text(encoding="utf-8") == '{"id": "ctq"}'
    assert (before.st_mtime_ns, before.st_mode) == (after.st_mtime_ns, after.st_mode)
    assert sorted(p.name for p in store.home.iterdir()) == ["issuers", "keys"]


def test_list_is_sorted_across_issuers(store: KeyStore, now: datetime) -> None:
    b = store.generate("beta", passphrase=PASS, now=now)
    a2 = store.generate("alpha", KeyType.P256, passphrase=PASS, now=now + timedelta(hours=1))
    a1 = store.generate("alpha", passphrase=PASS, now=now)
    (store.home / "keys" / "not a slug").mkdir()
    assert [r.key_id for r in store.list()] == [a1.key_id, a2.key_id, b.key_id]
    assert [r.key_id for r in store.list("alpha")] == [a1.key_id, a2.key_id]
    assert store.list("gamma") == []


def test_readable_key_file_is_refused(store: KeyStore) -> None:
    record = store.generate("ctq", passphrase=PASS)
    os.chmod(record.path, 0o644)
    with pytest.raises(StoreError, match="readable by other users") as info:
        store.load_private(record, PASS)
    assert info.value.hint == f"chmod 600 {record.path}"


def test_damaged_files_are_store_errors(store: KeyStore) -> None:
    record = store.generate("ctq", passphrase=PASS)
    data = json.loads(record.path.read_text(encoding="utf-8"))

    def damage(text: str) -> None:
        record.path.write_text(text, encoding="utf-8")

    cases = [
        ("not json", "not UTF-8 JSON"),
        (json.dumps({**data, "format": "other"}), "not a openbadge_ctq.key/1"),
        (json.dumps({**data, "keyId": "key-other"}), "names issuer"),
        (json.dumps({**data, "type": "dsa"}), "unknown 'type'"),
        (json.dumps({**data, "type": "p256"}), "not a key of type p256"),
        (
            json.dumps({**data, "publicKeyMultibase": "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"}),
            "differ",
        ),
        (json.dumps({**data, "created": "yesterday"}), "'created' is not a date-time"),
        (json.dumps({**data, "created": "2026-01-01T00:00:00"}), "no time zone"),
        (json.dumps({**data, "encrypted": "yes"}), "'encrypted'"),
        (
            json.dumps({**data, "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"}}),
            "damaged",
        ),
    ]
    for text, message in cases:
        damage(text)
        with pytest.raises(StoreError, match=message):
            store.get("ctq", record.key_id)
    other = generate_private_key(KeyType.ED25519)
    swapped = {**data, "publicKeyJwk": public_key_to_jwk(other.public_key())}
    swapped.pop("publicKeyMultibase")
    damage(json.dumps(swapped))
    with pytest.raises(StoreError, match="'publicKeyMultibase' is missing"):
        store.get("ctq", record.key_id)
    other_public = {
        "publicKeyJwk": public_key_to_jwk(other.public_key()),
        "publicKeyMultibase": public_key_to_multibase(other.public_key()),
    }
    damage(json.dumps({**data, **other_public}))
    with pytest.raises(StoreError, match="private key does not match its public key"):
        store.load_private(store.get("ctq", record.key_id), PASS)


def test_naive_now_is_refused(store: KeyStore) -> None:
    with pytest.raises(InputError, match="time zone"):
        store.generate("ctq", passphrase=PASS, now=datetime(2026, 1, 1))
