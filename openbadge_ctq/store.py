"""The key store: issuer signing keys kept in the badge home, encrypted at rest.

The only module of the library that writes to disk. Layout under the badge home (``--home``, ``$BADGE_HOME``
or a per-user data folder)::

    <home>/keys/                      mode 0700
    <home>/keys/<issuer-id>/          mode 0700
    <home>/keys/<issuer-id>/<key-id>.json   mode 0600, one file per key

Each key file is a JSON object (format ``openbadge_ctq.key/1``)::

    {
      "format": "openbadge_ctq.key/1",
      "issuer": "ctq",
      "keyId": "key-1a2B3c4D",             # "key-" + first 8 characters of the RFC 7638 JWK thumbprint
      "type": "ed25519",                   # ed25519 | rsa | p256
      "created": "2026-11-23T12:00:00Z",
      "status": "active",                  # active | retired | revoked
      "retiredAt": null,
      "revokedAt": null,
      "publicKeyMultibase": "z6Mk…",       # Ed25519 and P-256 only
      "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "…"},
      "encrypted": true,
      "privateKeyPem": "-----BEGIN ENCRYPTED PRIVATE KEY-----\\n…"   # removed when the key is revoked
    }

Files are written to a temporary file in the same folder (created with ``O_CREAT | O_EXCL``, mode 0600),
flushed, then moved into place with :func:`os.replace`, so a key file is never half written. Other folders of
the home (``issuers/``, issued credentials) are never touched.

Rotation: adding a key for an issuer that already has an *active* key of the same type retires the old one. A
*retired* key signs nothing new but stays published so old credentials keep verifying; a *revoked* key
(compromised) loses its private key and should be left out of published documents.
"""

from __future__ import annotations

import builtins
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from .atomicfile import fsync_dir, write_atomic
from .errors import InputError, KeyMaterialError, StoreError, UnsupportedError
from .keys import (
    MIN_RSA_BITS,
    PBKDF2_ROUNDS,
    KeyType,
    PrivateKey,
    PublicKey,
    decrypt_private_key,
    encrypt_private_key,
    generate_private_key,
    jwk_thumbprint,
    jwk_to_public_key,
    key_type_of,
    multibase_to_public_key,
    private_key_from_unencrypted_pem,
    private_key_to_unencrypted_pem,
    public_key_to_jwk,
    public_key_to_multibase,
)

__all__ = [
    "ISSUER_ID_RE",
    "KEY_ID_RE",
    "RECORD_FORMAT",
    "KeyRecord",
    "KeyStatus",
    "KeyStore",
    "check_issuer_id",
]

RECORD_FORMAT: Final = "openbadge_ctq.key/1"
ISSUER_ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
KEY_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_MAX_KEY_FILE_BYTES: Final = 256 * 1024
_PASSPHRASE_HINT: Final = "BADGE_PASSPHRASE (or the prompt) must give the passphrase the key was generated with"


class KeyStatus(StrEnum):
    """Life cycle of a stored key: active → retired (rotation) or revoked (compromise)."""

    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRecord:
    """Public facts about one stored key. Holds no private material; see :meth:`KeyStore.load_private`."""

    issuer_id: str
    key_id: str
    type: KeyType
    created: datetime
    status: KeyStatus
    public_jwk: Mapping[str, str] = field(hash=False)
    public_key_multibase: str | None
    encrypted: bool
    retired_at: datetime | None = None
    revoked_at: datetime | None = None
    path: Path = field(compare=False, hash=False, repr=False)

    @property
    def label(self) -> str:
        """``<issuer-id>/<key-id>``, how messages name the key."""
        return f"{self.issuer_id}/{self.key_id}"

    def public_key(self) -> PublicKey:
        """The public key, read from the stored public JWK."""
        return jwk_to_public_key(self.public_jwk)

    def did_key(self) -> str | None:
        """The ``did:key`` of an Ed25519 or P-256 key; None for RSA."""
        return None if self.public_key_multibase is None else "did:key:" + self.public_key_multibase

    def to_json(self) -> dict[str, Any]:
        """Public JSON (the ``badge keys … --json`` shape): never private material."""
        return {
            "issuer": self.issuer_id,
            "keyId": self.key_id,
            "type": self.type.value,
            "created": _iso(self.created),
            "status": self.status.value,
            "retiredAt": _iso(self.retired_at) if self.retired_at else None,
            "revokedAt": _iso(self.revoked_at) if self.revoked_at else None,
            "encrypted": self.encrypted,
            "publicKeyMultibase": self.public_key_multibase,
            "didKey": self.did_key(),
            "publicKeyJwk": dict(self.public_jwk),
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now(now: datetime | None) -> datetime:
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError("the time given as 'now' must have a time zone")
    return moment.astimezone(UTC).replace(microsecond=0)


def _parse_time(value: object, file: Path, member: str) -> datetime:
    if not isinstance(value, str):
        raise StoreError(f"key file {file} is damaged: {member!r} is not a date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise StoreError(f"key file {file} is damaged: {member!r} is not a date-time") from None
    if moment.tzinfo is None:
        raise StoreError(f"key file {file} is damaged: {member!r} has no time zone")
    return moment.astimezone(UTC)


def check_issuer_id(issuer_id: str) -> str:
    """Return ``issuer_id`` if it is a slug (``^[a-z0-9][a-z0-9-]{0,62}$``), else raise InputError."""
    if not isinstance(issuer_id, str) or ISSUER_ID_RE.fullmatch(issuer_id) is None:
        raise InputError(
            f"issuer id {issuer_id!r} must be 1-63 lowercase letters, digits or '-', starting with a letter or digit"
        )
    return issuer_id


def _check_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or KEY_ID_RE.fullmatch(key_id) is None:
        raise InputError(f"key id {key_id!r} must be 1-64 letters, digits, '-' or '_', starting with a letter or digit")
    return key_id


class KeyStore:
    """Issuer keys under ``<home>/keys``. Cheap to create; holds no open files.

    Example::

        store = KeyStore(Path("~/.local/share/openbadge_ctq").expanduser())
        record = store.generate("ctq", KeyType.ED25519, passphrase=b"a long passphrase")
        key = store.load_private(store.active("ctq", KeyType.ED25519), b"a long passphrase")
    """

    def __init__(self, home: Path, *, kdf_rounds: int = PBKDF2_ROUNDS) -> None:
        self.home = Path(home)
        self.keys_dir = self.home / "keys"
        self._kdf_rounds = kdf_rounds

    def __repr__(self) -> str:
        return f"KeyStore({str(self.home)!r})"

    # -- writing ---------------------------------------------------------------------------------------------

    def generate(
        self,
        issuer_id: str,
        kind: KeyType = KeyType.ED25519,
        *,
        passphrase: bytes | None,
        allow_unencrypted: bool = False,
        now: datetime | None = None,
        rsa_bits: int = MIN_RSA_BITS,
    ) -> KeyRecord:
        """Generate a key for ``issuer_id``, store it encrypted, and retire older active keys of that type.

        Args:
            issuer_id: issuer slug, e.g. ``ctq``.
            kind: key type.
            passphrase: encrypts the private key. None is refused unless ``allow_unencrypted``.
            allow_unencrypted: store the key unencrypted when ``passphrase`` is None. Explicit use only.
            now: creation time (default: the current time).
            rsa_bits: RSA modulus size (at least 2048).

        Raises:
            KeyMaterialError: no passphrase (hint: set BADGE_PASSPHRASE), empty passphrase, bad RSA size.
            InputError: invalid issuer id.
            StoreError: the key file could not be written.
        """
        check_issuer_id(issuer_id)
        self._check_passphrase_given(issuer_id, passphrase, allow_unencrypted)
        return self.add(
            issuer_id,
            generate_private_key(kind, rsa_bits=rsa_bits),
            passphrase=passphrase,
            allow_unencrypted=allow_unencrypted,
            now=now,
        )

    def add(
        self,
        issuer_id: str,
        private_key: PrivateKey,
        *,
        passphrase: bytes | None,
        allow_unencrypted: bool = False,
        now: datetime | None = None,
    ) -> KeyRecord:
        """Store an existing private key for ``issuer_id`` (same rules and rotation as :meth:`generate`)."""
        check_issuer_id(issuer_id)
        self._check_passphrase_given(issuer_id, passphrase, allow_unencrypted)
        created = _now(now)
        kind = key_type_of(private_key)
        public = private_key.public_key()
        jwk = public_key_to_jwk(public)
        key_id = "key-" + jwk_thumbprint(jwk)[:8]
        if passphrase is not None:
            pem = encrypt_private_key(private_key, passphrase, rounds=self._kdf_rounds)
        else:
            pem = private_key_to_unencrypted_pem(private_key)
        directory = self._issuer_dir(issuer_id, create=True)
        path = directory / f"{key_id}.json"
        record = KeyRecord(
            issuer_id=issuer_id,
            key_id=key_id,
            type=kind,
            created=created,
            status=KeyStatus.ACTIVE,
            public_jwk=MappingProxyType(dict(jwk)),
            public_key_multibase=None if kind == KeyType.RSA else public_key_to_multibase(public),
            encrypted=passphrase is not None,
            path=path,
        )
        document = _record_to_json(record)
        document["privateKeyPem"] = pem.decode("ascii")
        older = [
            r for r in self.list(issuer_id) if r.key_id != key_id and r.type == kind and r.status == KeyStatus.ACTIVE
        ]
        self._write(path, document, create=True)
        retired: builtins.list[tuple[KeyRecord, dict[str, Any]]] = []
        for previous in older:
            try:
                _, before = self._read(previous.path)
                self.retire(issuer_id, previous.key_id, now=created)
            except StoreError as exc:
                # all or nothing: a rotation that cannot retire the old key keeps the old key and not the new one
                path.unlink(missing_ok=True)
                fsync_dir(path.parent)
                for undo, undo_document in retired:
                    self._write(undo.path, undo_document, create=False)
                raise StoreError(
                    f"could not retire key {previous.label}, so the new key {record.label} was not kept "
                    f"(nothing changed): {exc.message}",
                    hint=exc.hint,
                ) from exc
            retired.append((previous, before))
        return record

    def retire(self, issuer_id: str, key_id: str, *, now: datetime | None = None) -> KeyRecord:
        """Mark a key retired: it signs nothing new but stays published. Idempotent.

        Raises:
            KeyMaterialError: unknown key, or the key was revoked.
        """
        record, document = self._read(self._key_path(issuer_id, key_id))
        if record.status == KeyStatus.RETIRED:
            return record
        if record.status == KeyStatus.REVOKED:
            raise KeyMaterialError(f"key {record.label} is revoked and cannot be retired")
        updated = replace(record, status=KeyStatus.RETIRED, retired_at=_now(now))
        self._write(record.path, {**document, **_record_to_json(updated)}, create=False)
        return updated

    def revoke(self, issuer_id: str, key_id: str, *, now: datetime | None = None) -> KeyRecord:
        """Mark a key revoked (compromised) and delete its private key from the file. Cannot be undone."""
        record, document = self._read(self._key_path(issuer_id, key_id))
        if record.status == KeyStatus.REVOKED:
            return record
        updated = replace(record, status=KeyStatus.REVOKED, revoked_at=_now(now))
        new_document = {**document, **_record_to_json(updated)}
        new_document.pop("privateKeyPem", None)
        self._write(record.path, new_document, create=False)
        return updated

    # -- reading ---------------------------------------------------------------------------------------------

    def list(self, issuer_id: str | None = None) -> builtins.list[KeyRecord]:
        """All stored keys (of one issuer if given), sorted by issuer, creation time and key id."""
        if issuer_id is not None:
            directories = [self._issuer_dir(issuer_id, create=False)]
        elif self.keys_dir.is_dir():
            directories = sorted(p for p in self.keys_dir.iterdir() if p.is_dir() and ISSUER_ID_RE.fullmatch(p.name))
        else:
            directories = []
        records: builtins.list[KeyRecord] = []
        for directory in directories:
            if not directory.is_dir():
                continue
            for path in sorted(directory.glob("*.json")):
                if not path.name.startswith("."):
                    records.append(self._read(path)[0])
        return sorted(records, key=lambda r: (r.issuer_id, r.created, r.key_id))

    def get(self, issuer_id: str, key_id: str) -> KeyRecord:
        """The record of one key.

        Raises:
            KeyMaterialError: no such key (hint: ``badge keys list --issuer …``).
        """
        return self._read(self._key_path(issuer_id, key_id))[0]

    def active(self, issuer_id: str, kind: KeyType | None = None) -> KeyRecord:
        """The newest active key of ``issuer_id`` (of type ``kind`` if given).

        Raises:
            KeyMaterialError: none, with the hint ``badge keys generate --issuer <id> [--type <kind>]``.
        """
        candidates = [
            r
            for r in self.list(issuer_id)
            if r.status == KeyStatus.ACTIVE and (kind is None or r.type == KeyType(kind))
        ]
        if not candidates:
            what = f"active {KeyType(kind).value} key" if kind is not None else "active key"
            hint = f"badge keys generate --issuer {issuer_id}" + (f" --type {KeyType(kind).value}" if kind else "")
            raise KeyMaterialError(f"issuer {issuer_id!r} has no {what}", hint=hint)
        return candidates[-1]

    def load_private(self, record: KeyRecord, passphrase: bytes | None) -> PrivateKey:
        """Read and decrypt the private key of ``record``.

        Raises:
            KeyMaterialError: wrong or missing passphrase (one line, no key material), or a revoked key.
            StoreError: the file is readable by others, or damaged (private and public key do not match).
        """
        path = self._key_path(record.issuer_id, record.key_id)
        current, document = self._read(path)
        if os.name == "posix":
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                raise StoreError(
                    f"key file {path} is readable by other users (mode {mode:04o})", hint=f"chmod 600 {path}"
                )
        pem = document.get("privateKeyPem")
        if current.status == KeyStatus.REVOKED or not isinstance(pem, str):
            raise KeyMaterialError(
                f"key {current.label} is revoked: its private key was deleted",
                hint=f"badge keys generate --issuer {current.issuer_id} --type {current.type.value}",
            )
        if current.encrypted:
            if passphrase is None:
                raise KeyMaterialError(
                    f"key {current.label} is encrypted and no passphrase was given", hint=_PASSPHRASE_HINT
                )
            try:
                private = decrypt_private_key(pem.encode("ascii", "replace"), passphrase, label=current.label)
            except KeyMaterialError as exc:
                raise KeyMaterialError(exc.message, hint=_PASSPHRASE_HINT) from None
        else:
            private = private_key_from_unencrypted_pem(pem.encode("ascii", "replace"), label=current.label)
        if public_key_to_jwk(private.public_key()) != dict(current.public_jwk):
            raise StoreError(f"key file {path} is damaged: its private key does not match its public key")
        return private

    # -- internals -------------------------------------------------------------------------------------------

    @staticmethod
    def _check_passphrase_given(issuer_id: str, passphrase: bytes | None, allow_unencrypted: bool) -> None:
        if passphrase is None and not allow_unencrypted:
            raise KeyMaterialError(
                f"no passphrase to encrypt the new key of issuer {issuer_id!r}",
                hint="set BADGE_PASSPHRASE, or pass --unencrypted to store the key without encryption",
            )

    def _issuer_dir(self, issuer_id: str, *, create: bool) -> Path:
        directory = self.keys_dir / check_issuer_id(issuer_id)
        if create:
            self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
            for folder in (self.keys_dir, directory):
                if folder.is_symlink():
                    raise StoreError(f"{folder} is a symbolic link; the key store needs a real folder")
                folder.mkdir(mode=0o700, exist_ok=True)
                os.chmod(folder, 0o700)
        return directory

    def _key_path(self, issuer_id: str, key_id: str) -> Path:
        return self._issuer_dir(issuer_id, create=False) / f"{_check_key_id(key_id)}.json"

    def _read(self, path: Path) -> tuple[KeyRecord, dict[str, Any]]:
        issuer_id, key_id = path.parent.name, path.stem
        try:
            with path.open("rb") as handle:
                raw = handle.read(_MAX_KEY_FILE_BYTES + 1)
        except FileNotFoundError:
            raise KeyMaterialError(
                f"issuer {issuer_id!r} has no key {key_id!r}", hint=f"badge keys list --issuer {issuer_id}"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot read key file {path}: {exc.strerror or exc}") from None
        if len(raw) > _MAX_KEY_FILE_BYTES:
            raise StoreError(f"key file {path} is damaged: larger than {_MAX_KEY_FILE_BYTES} bytes")
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise StoreError(f"key file {path} is damaged: not UTF-8 JSON") from None
        if not isinstance(document, dict) or document.get("format") != RECORD_FORMAT:
            raise StoreError(f"key file {path} is damaged: not a {RECORD_FORMAT} object")
        return _record_from_json(document, path, issuer_id, key_id), document

    def _write(self, path: Path, document: Mapping[str, Any], *, create: bool) -> None:
        data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        write_atomic(path, data, what=f"key file {path}", must_not_exist=create)


def _record_to_json(record: KeyRecord) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "issuer": record.issuer_id,
        "keyId": record.key_id,
        "type": record.type.value,
        "created": _iso(record.created),
        "status": record.status.value,
        "retiredAt": _iso(record.retired_at) if record.retired_at else None,
        "revokedAt": _iso(record.revoked_at) if record.revoked_at else None,
    }
    if record.public_key_multibase is not None:
        document["publicKeyMultibase"] = record.public_key_multibase
    document["publicKeyJwk"] = dict(record.public_jwk)
    document["encrypted"] = record.encrypted
    return document


def _record_from_json(document: Mapping[str, Any], path: Path, issuer_id: str, key_id: str) -> KeyRecord:
    def damaged(what: str) -> StoreError:
        return StoreError(f"key file {path} is damaged: {what}")

    if document.get("issuer") != issuer_id or document.get("keyId") != key_id:
        raise damaged(f"it names issuer {document.get('issuer')!r} key {document.get('keyId')!r}")
    try:
        kind = KeyType(str(document.get("type")))
        status = KeyStatus(str(document.get("status")))
    except ValueError:
        raise damaged("unknown 'type' or 'status'") from None
    jwk = document.get("publicKeyJwk")
    if not isinstance(jwk, dict) or not all(isinstance(v, str) for v in jwk.values()):
        raise damaged("'publicKeyJwk' is not a JWK object")
    multibase = document.get("publicKeyMultibase")
    try:
        public = jwk_to_public_key(jwk)
        if key_type_of(public) != kind:
            raise damaged(f"'publicKeyJwk' is not a key of type {kind.value}")
        if multibase is not None and (
            not isinstance(multibase, str) or public_key_to_jwk(multibase_to_public_key(multibase)) != jwk
        ):
            raise damaged("'publicKeyMultibase' and 'publicKeyJwk' differ")
    except (InputError, KeyMaterialError, UnsupportedError) as exc:
        raise damaged(exc.message) from None
    if kind != KeyType.RSA and multibase is None:
        raise damaged("'publicKeyMultibase' is missing")
    encrypted = document.get("encrypted")
    if not isinstance(encrypted, bool):
        raise damaged("'encrypted' is not true or false")
    retired_at, revoked_at = document.get("retiredAt"), document.get("revokedAt")
    return KeyRecord(
        issuer_id=issuer_id,
        key_id=key_id,
        type=kind,
        created=_parse_time(document.get("created"), path, "created"),
        status=status,
        public_jwk=MappingProxyType(dict(jwk)),
        public_key_multibase=multibase,
        encrypted=encrypted,
        retired_at=None if retired_at is None else _parse_time(retired_at, path, "retiredAt"),
        revoked_at=None if revoked_at is None else _parse_time(revoked_at, path, "revokedAt"),
        path=path,
    )
