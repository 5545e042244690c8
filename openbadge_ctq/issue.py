"""Use case: catalog entry + recipient + issuer key → a signed Open Badges 3.0 credential.

The issuer's id is bound to its key: an issuer without a ``baseUrl`` is identified by the ``did:key`` of its Ed25519
key (its credentials verify anywhere, offline); an issuer with a ``baseUrl`` is ``did:web`` of that URL and
publishes its DID document with its other public files.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .did import did_web_from_base_url
from .errors import InputError, KeyMaterialError
from .identity import Recipient, new_salt
from .interfaces import JSONObject
from .jsonfmt import pretty
from .jsonld import DEFAULT_LOADER, ContextLoader
from .keys import KeyType, PrivateKey, did_key_from_public_key, key_type_of, public_key_to_multibase
from .model import Catalog, Organization
from .ob3 import Evidence, IssuerIdentity, build_credential, build_endorsement, resolve_levels
from .proofs import data_integrity, vc_jwt

__all__ = ["FORMATS", "Issued", "SigningKey", "issue_credential", "issue_endorsement", "issuer_identity"]

FORMATS = ("ob3-di", "ob3-jwt")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key with the id (fragment) it is published under. Its repr never shows the key."""

    private_key: PrivateKey
    key_id: str

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r}, type={key_type_of(self.private_key).value})"


@dataclass(frozen=True, slots=True)
class Issued:
    """A signed credential: the JSON credential and its serialisation (pretty JSON, or the compact JWT)."""

    id: str
    format: str
    credential: JSONObject
    document: str

    @property
    def media_type(self) -> str:
        return "application/vc+ld+json" if self.format == "ob3-di" else "application/vc+jwt"

    @property
    def suffix(self) -> str:
        return ".json" if self.format == "ob3-di" else ".jwt"


def issuer_identity(org: Organization, key: SigningKey) -> IssuerIdentity:
    """The issuer's id and verification method for ``key`` (did:key without a base URL, else did:web)."""
    public = key.private_key.public_key()
    if org.base_url:
        did = did_web_from_base_url(org.base_url)
        return IssuerIdentity(organization=org, id=did, verification_method=f"{did}#{key.key_id}")
    if key_type_of(key.private_key) is not KeyType.ED25519:
        raise KeyMaterialError(
            f"issuer {org.id!r} has no baseUrl, so it is identified by the did:key of its Ed25519 key and "
            f"cannot sign with a {key_type_of(key.private_key).value} key",
            hint="sign with the Ed25519 key, or give the issuer a baseUrl (did:web) that publishes all its keys",
        )
    assert isinstance(public, Ed25519PublicKey)
    did, method = _did_key_identity(public.public_bytes_raw())
    return IssuerIdentity(organization=org, id=did, verification_method=method)


@functools.lru_cache(maxsize=64)
def _did_key_identity(raw: bytes) -> tuple[str, str]:
    """The did:key and verification method id of a raw Ed25519 public key (base58 is slow; bulk issuing asks for
    the same key's ids once per credential)."""
    public = Ed25519PublicKey.from_public_bytes(raw)
    did = did_key_from_public_key(public)
    return did, f"{did}#{public_key_to_multibase(public)}"


def new_credential_id(org: Organization) -> str:
    """``<baseUrl>credentials/<uuid>`` when the issuer publishes, else ``urn:uuid:<uuid>``."""
    value = str(uuid.uuid4())
    if org.base_url:
        return f"{org.base_url.rstrip('/')}/credentials/{value}"
    return f"urn:uuid:{value}"


def _sign(
    credential: JSONObject,
    identity: IssuerIdentity,
    key: SigningKey,
    fmt: str,
    *,
    now: datetime,
    loader: ContextLoader,
) -> tuple[JSONObject, str]:
    """The signed credential and its serialisation."""
    if fmt == "ob3-di":
        if not isinstance(key.private_key, Ed25519PrivateKey):
            raise KeyMaterialError(
                f"issuer {identity.organization.id!r}: eddsa-rdfc-2022 needs an Ed25519 key, not "
                f"{key_type_of(key.private_key).value}",
                hint=f"badge keys generate --issuer {identity.organization.id} --type ed25519",
            )
        signed = data_integrity.sign(
            credential,
            key.private_key,
            verification_method=identity.verification_method,
            created=now,
            loader=loader,
        )
        return signed, pretty(signed) + "\n"
    if fmt == "ob3-jwt":
        return credential, vc_jwt.sign_jwt(credential, key.private_key, kid=identity.verification_method)
    raise InputError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")


def issue_credential(
    catalog: Catalog,
    achievement_id: str,
    recipient: Recipient,
    key: SigningKey,
    *,
    issuer_id: str | None = None,
    fmt: str = "ob3-di",
    now: datetime,
    credential_id: str | None = None,
    valid_until: datetime | None = None,
    levels: Mapping[str, str] | str | None = None,
    evidence: Sequence[Evidence] = (),
    narrative: str | None = None,
    credits_earned: float | None = None,
    credential_status: Sequence[JSONObject] = (),
    loader: ContextLoader = DEFAULT_LOADER,
) -> Issued:
    """Issue ``achievement_id`` from the catalog to ``recipient``, signed with ``key``.

    Args:
        issuer_id: the issuer the caller acts for; must be the achievement's issuer (default: that issuer).
        fmt: ``ob3-di`` (Data Integrity eddsa-rdfc-2022) or ``ob3-jwt`` (VC-JWT).
        levels: the achieved rubric level (one for all criteria, or criterion id → level); default: required.
        now: issuance time (``validFrom`` and the proof's ``created``).
    """
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    entry = catalog.achievement(achievement_id)
    org = catalog.organization(entry.issuer)
    if issuer_id is not None and issuer_id != org.id:
        raise InputError(
            f"{entry.id!r} is issued by {org.id!r}, not {issuer_id!r}",
            hint=f"badge issue --issuer {org.id} --achievement {entry.id} ...",
        )
    if getattr(entry, "status", "active") != "active":
        raise InputError(f"{entry.id!r} is {getattr(entry, 'status', '')} and cannot be issued yet")
    if recipient.email and recipient.hashed and not recipient.salt:
        recipient = Recipient(
            email=recipient.email, name=recipient.name, did=recipient.did, hashed=True, salt=new_salt()
        )
    identity = issuer_identity(org, key)
    resolved = resolve_levels(entry, levels)
    cid = credential_id or new_credential_id(org)
    credential = build_credential(
        entry,
        catalog,
        recipient,
        identity,
        credential_id=cid,
        valid_from=now,
        valid_until=valid_until,
        awarded_date=now,
        levels=resolved,
        evidence=evidence,
        narrative=narrative,
        credits_earned=credits_earned,
        credential_status=credential_status,
    )
    signed, document = _sign(credential, identity, key, fmt, now=now, loader=loader)
    return Issued(id=cid, format=fmt, credential=signed, document=document)


def issue_endorsement(
    endorser: Organization,
    key: SigningKey,
    *,
    subject_id: str,
    comment: str,
    name: str | None = None,
    fmt: str = "ob3-di",
    now: datetime,
    valid_until: datetime | None = None,
    credential_id: str | None = None,
    loader: ContextLoader = DEFAULT_LOADER,
) -> Issued:
    """``endorser`` endorses the achievement, profile or credential ``subject_id``."""
    identity = issuer_identity(endorser, key)
    cid = credential_id or new_credential_id(endorser)
    credential = build_endorsement(
        identity,
        subject_id=subject_id,
        comment=comment,
        name=name or f"Endorsement by {endorser.name}",
        credential_id=cid,
        valid_from=now,
        valid_until=valid_until,
    )
    signed, document = _sign(credential, identity, key, fmt, now=now, loader=loader)
    return Issued(id=cid, format=fmt, credential=signed, document=document)
