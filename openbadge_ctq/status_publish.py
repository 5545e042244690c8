"""Status entries for new credentials, and the signed status documents an issuer publishes.

Open Badges 3.0 allows one ``credentialStatus`` per credential, so each credential uses one of two dialects, both
published under the issuer's ``baseUrl`` (an issuer without one has nowhere to publish, so its credentials carry no
status):

* 1EdTech Revocation List: ``<baseUrl>status/revocations.json``, ``{"revokedCredential": [{"id", "revoked",
  "revocationReason"}]}``. It has no separate notion of suspension, so a suspended credential is listed (reason
  ``Suspended``) until it is reinstated, which removes it.
* W3C Bitstring Status List: ``<baseUrl>status/<purpose>-<n>.json`` is a ``BitstringStatusListCredential`` signed
  ``eddsa-rdfc-2022`` by the issuer; a credential's ``BitstringStatusListEntry`` points at one index of it.

Pure: the documents come back as bytes keyed by their path relative to the ``baseUrl``; the caller writes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .errors import InputError, KeyMaterialError
from .interfaces import JSONObject
from .issue import SigningKey, issuer_identity
from .jsonld import DEFAULT_LOADER, ContextLoader
from .keys import key_type_of
from .model import Organization
from .ob3 import CONTEXT_VC2
from .proofs import data_integrity
from .status import MIN_LIST_BITS, encode_bitstring, set_bits
from .timefmt import format_datetime

__all__ = [
    "REVOCATION_LIST_PATH",
    "STATUS_LIST_SIZE",
    "SUSPENDED_REASON",
    "RevokedItem",
    "StatusListContent",
    "bitstring_entry",
    "build_revocation_list",
    "build_status_documents",
    "build_status_list_credential",
    "require_base_url",
    "revocation_list_entry",
    "revocation_list_url",
    "status_list_path",
    "status_list_url",
]

STATUS_LIST_SIZE = MIN_LIST_BITS
"""Entries per list: 131,072 (16 KiB), the spec's minimum, which gives every credential a crowd to hide in."""
REVOCATION_LIST_PATH = "status/revocations.json"
SUSPENDED_REASON = "Suspended"
"""The ``revocationReason`` of a suspended credential in the 1EdTech list (the real reason stays private)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusListContent:
    """One Bitstring Status List of an issuer: its name (``revocation-1``), purpose, size and the set bits."""

    name: str
    purpose: str
    size: int
    set_indexes: frozenset[int]


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokedItem:
    """A line of the 1EdTech Revocation List."""

    credential_id: str
    reason: str | None


def require_base_url(org: Organization) -> str:
    """The issuer's ``baseUrl`` (ending in ``/``); an issuer without one cannot publish status lists."""
    if not org.base_url:
        raise InputError(
            f"issuer {org.id!r} has no baseUrl, so it has nowhere to publish status lists",
            hint=f"give it a baseUrl in $BADGE_HOME/issuers/{org.id}/profile.json (see docs/registry.md), "
            "or issue without status",
        )
    return org.base_url if org.base_url.endswith("/") else org.base_url + "/"


def status_list_path(list_name: str) -> str:
    """``status/<list>.json``: where a list lives relative to the issuer's ``baseUrl``."""
    if not list_name or not all(c.isalnum() or c in "-_" for c in list_name):
        raise InputError(f"status list name {list_name!r} must be letters, digits, '-' or '_'")
    return f"status/{list_name}.json"


def status_list_url(base_url: str, list_name: str) -> str:
    return base_url.rstrip("/") + "/" + status_list_path(list_name)


def revocation_list_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/" + REVOCATION_LIST_PATH


def bitstring_entry(base_url: str, list_name: str, purpose: str, index: int) -> JSONObject:
    """A ``BitstringStatusListEntry`` (``statusListIndex`` is a string, as the spec's examples write it)."""
    url = status_list_url(base_url, list_name)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def revocation_list_entry(base_url: str) -> JSONObject:
    """A ``1EdTechRevocationList`` entry (the type is defined by the OB 3.0 extensions context)."""
    return {"id": revocation_list_url(base_url), "type": "1EdTechRevocationList"}


def _ed25519(org: Organization, key: SigningKey) -> Ed25519PrivateKey:
    if not isinstance(key.private_key, Ed25519PrivateKey):
        raise KeyMaterialError(
            f"issuer {org.id!r}: status lists are signed eddsa-rdfc-2022 and need an Ed25519 key, not "
            f"{key_type_of(key.private_key).value}",
            hint=f"badge keys generate --issuer {org.id} --type ed25519",
        )
    return key.private_key


def build_status_list_credential(
    org: Organization,
    key: SigningKey,
    content: StatusListContent,
    *,
    now: datetime,
    loader: ContextLoader = DEFAULT_LOADER,
) -> JSONObject:
    """The signed ``BitstringStatusListCredential`` of one list, issued by ``org`` (its did:web) at ``now``."""
    base = require_base_url(org)
    private = _ed25519(org, key)
    identity = issuer_identity(org, key)
    url = status_list_url(base, content.name)
    credential: JSONObject = {
        "@context": [CONTEXT_VC2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": identity.id,
        "validFrom": format_datetime(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": content.purpose,
            "encodedList": encode_bitstring(set_bits(content.size, sorted(content.set_indexes))),
        },
    }
    return data_integrity.sign(
        credential, private, verification_method=identity.verification_method, created=now, loader=loader
    )


def build_revocation_list(org: Organization, items: Iterable[RevokedItem], *, issuer_did: str) -> JSONObject:
    """The 1EdTech Revocation List: every revoked (or suspended) credential, sorted by id."""
    base = require_base_url(org)
    revoked: list[JSONObject] = []
    for item in sorted(items, key=lambda i: i.credential_id):
        entry: JSONObject = {"id": item.credential_id, "revoked": True}
        if item.reason:
            entry["revocationReason"] = item.reason
        revoked.append(entry)
    return {"id": revocation_list_url(base), "issuer": issuer_did, "revokedCredential": revoked}


def _dump(doc: Mapping[str, object]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def build_status_documents(
    org: Organization,
    key: SigningKey,
    lists: Sequence[StatusListContent],
    revoked: Iterable[RevokedItem],
    *,
    now: datetime,
    loader: ContextLoader = DEFAULT_LOADER,
) -> dict[str, bytes]:
    """Every status document of ``org``: relative path (``status/…``) → file content.

    Serve the folder they are written to at the issuer's ``baseUrl``; ``badge verify --url-map <baseUrl>=DIR``
    reads them from there.
    """
    out: dict[str, bytes] = {}
    for content in lists:
        out[status_list_path(content.name)] = _dump(
            build_status_list_credential(org, key, content, now=now, loader=loader)
        )
    did = issuer_identity(org, key).id
    out[REVOCATION_LIST_PATH] = _dump(build_revocation_list(org, revoked, issuer_did=did))
    return out
