"""DIDs: did:key (resolved locally) and did:web (built here, resolved through a given Fetcher).

Pure except :func:`resolve_did_web` and :func:`resolve_verification_method`, which fetch only through the
:class:`~openbadge_ctq.interfaces.Fetcher` they are given.

**Key rotation policy for did:web documents** (:func:`build_did_web_document`): an *active* key signs
new credentials and is listed in ``verificationMethod``, ``authentication`` and ``assertionMethod``. A
*retired* key signs nothing new but stays in ``verificationMethod`` and ``assertionMethod``, so credentials it
signed keep verifying. *Revoking* a compromised key means leaving it out of the document altogether:
everything it signed stops verifying, which is the point.

**Verification method checks** (:func:`find_verification_method`): the method's id must belong to the document
(same DID before ``#``), its ``controller`` must be the document's ``id``, and it must be authorised for the
proof purpose (listed by full or relative id, or embedded, in ``assertionMethod`` etc.). This stops one DID
document from vouching for keys of another controller.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from .errors import FetchError, InputError, KeyMaterialError, UnsupportedError
from .interfaces import Fetcher, JSONObject
from .keys import (
    KeyType,
    PublicKey,
    jwk_to_public_key,
    key_type_of,
    multibase_to_public_key,
    public_key_to_jwk,
    public_key_to_multibase,
)

__all__ = [
    "DID_CONTEXT",
    "JWK_CONTEXT",
    "MAX_DID_DOCUMENT_BYTES",
    "MULTIKEY_CONTEXT",
    "PURPOSES",
    "build_did_web_document",
    "did_web_from_base_url",
    "did_web_to_url",
    "find_verification_method",
    "resolve_did_key",
    "resolve_did_web",
    "resolve_verification_method",
]

DID_CONTEXT: Final = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT: Final = "https://w3id.org/security/multikey/v1"
JWK_CONTEXT: Final = "https://w3id.org/security/jwk/v1"
"""Defines the ``JsonWebKey`` verification method type and ``publicKeyJwk``."""
MAX_DID_DOCUMENT_BYTES: Final = 256 * 1024
PURPOSES: Final = frozenset(
    {"authentication", "assertionMethod", "keyAgreement", "capabilityInvocation", "capabilityDelegation"}
)
_DID_KEY_RELATIONSHIPS: Final = (
    "authentication",
    "assertionMethod",
    "capabilityInvocation",
    "capabilityDelegation",
)
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE: Final = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)*{_LABEL}")
_SEGMENT_RE: Final = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+")
_FRAGMENT_RE: Final = re.compile(r"[A-Za-z0-9._~-]{1,128}")


# ----------------------------------------------------------------------------------------------------------
# did:key


def resolve_did_key(did_or_vm: str) -> JSONObject:
    """Return the DID document of a ``did:key`` (Ed25519 or P-256), resolved locally.

    Accepts ``did:key:z…`` or the verification method URL ``did:key:z…#z…`` (the fragment must equal the
    multibase value). The document has the did/v1 and multikey/v1 contexts, one Multikey verification method,
    and lists it under authentication, assertionMethod, capabilityInvocation and capabilityDelegation.

    Raises:
        InputError: not a did:key, a fragment that differs from the key, or a malformed key.
        UnsupportedError / KeyMaterialError: from :func:`~openbadge_ctq.keys.multibase_to_public_key`.
    """
    if not isinstance(did_or_vm, str) or not did_or_vm.startswith("did:key:"):
        raise InputError(f"{_short(did_or_vm)} is not a did:key")
    did, _, fragment = did_or_vm.partition("#")
    multibase = did[len("did:key:") :]
    if "?" in did or "/" in did or ":" in multibase:
        raise InputError(f"{_short(did_or_vm)} is not a plain did:key (no path, query or version)")
    if fragment and fragment != multibase:
        raise InputError(f"the fragment of {_short(did_or_vm)} must equal its key {multibase}")
    multibase_to_public_key(multibase)
    vm_id = f"{did}#{multibase}"
    doc: JSONObject = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [{"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": multibase}],
    }
    for relationship in _DID_KEY_RELATIONSHIPS:
        doc[relationship] = [vm_id]
    return doc


# ----------------------------------------------------------------------------------------------------------
# did:web


def _parse_did_web(did: str) -> tuple[str, int | None, list[str]]:
    """Split a did:web into host, port and path segments, validating each part."""
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise InputError(f"{_short(did)} is not a did:web")
    msid = did[len("did:web:") :]
    if any(c in msid for c in "/?#"):
        raise InputError(f"{_short(did)} must be a plain did:web DID (no path, query or fragment)")
    host_part, *segments = msid.split(":")
    host, sep, port_text = host_part.partition("%3A") if "%3A" in host_part else host_part.partition("%3a")
    if _HOST_RE.fullmatch(host) is None or host.replace(".", "").isdigit():
        raise InputError(f"{_short(did)} does not name a valid domain name (IP addresses are not allowed)")
    port: int | None = None
    if sep:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InputError(f"{_short(did)} has an invalid port {port_text!r}")
        port = int(port_text)
    for segment in segments:
        decoded = unquote(segment)
        if _SEGMENT_RE.fullmatch(segment) is None or decoded in {".", ".."} or any(c in decoded for c in "/?#\\"):
            raise InputError(f"{_short(did)} has an invalid path segment {segment!r}")
    return host.lower(), port, segments


def did_web_to_url(did: str) -> str:
    """Return the URL of a did:web DID document.

    ``did:web:example.com`` → ``https://example.com/.well-known/did.json``;
    ``did:web:example.com:issuers:42`` → ``https://example.com/issuers/42/did.json``;
    ``did:web:example.com%3A8443`` → ``https://example.com:8443/.well-known/did.json``.

    Raises:
        InputError: not a valid did:web (bad domain, IP address, port, empty or dot segments, query,
            fragment).
    """
    host, port, segments = _parse_did_web(did)
    authority = host if port is None else f"{host}:{port}"
    path = "/".join(segments) if segments else ".well-known"
    return f"https://{authority}/{path}/did.json"


def did_web_from_base_url(base_url: str) -> str:
    """Return the did:web DID whose document lives under ``base_url``.

    ``https://example.com`` → ``did:web:example.com``; ``https://example.com:8443/issuers/ctq/`` →
    ``did:web:example.com%3A8443:issuers:ctq``. The document then belongs at :func:`did_web_to_url` of the
    result.

    Raises:
        InputError: not https, has a query, fragment or user info, an IP address, or unusable path segments.
    """
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme != "https":
        raise InputError(f"did:web needs an https URL, found {_short(base_url)}")
    if parts.query or parts.fragment or "?" in base_url or "#" in base_url:
        raise InputError(f"{_short(base_url)} must not have a query or fragment to become a did:web")
    if "@" in parts.netloc:
        raise InputError(f"{_short(base_url)} must not contain user info to become a did:web")
    try:
        port = parts.port
    except ValueError:
        raise InputError(f"{_short(base_url)} has an invalid port") from None
    host = parts.hostname or ""
    segments = [s for s in parts.path.split("/") if s]
    if parts.path.count("//") or any(s in {".", ".."} for s in segments):
        raise InputError(f"{_short(base_url)} has empty or dot path segments")
    if any(":" in s for s in segments):
        raise InputError(f"{_short(base_url)} cannot become a did:web: a path segment contains ':'")
    did = "did:web:" + host + (f"%3A{port}" if port is not None else "")
    if segments:
        did += ":" + ":".join(segments)
    try:
        _parse_did_web(did)
    except InputError:
        raise InputError(f"{_short(base_url)} cannot become a did:web (domain name and plain path needed)") from None
    return did


def build_did_web_document(
    did: str,
    keys: Sequence[tuple[str, PublicKey]],
    *,
    retired: Sequence[tuple[str, PublicKey]] = (),
) -> JSONObject:
    """Build the DID document of a did:web issuer.

    Args:
        did: the did:web DID (see :func:`did_web_from_base_url`).
        keys: active keys as ``(fragment, public key)``, e.g. ``("key-1a2b3c4d", pub)``; at least one.
        retired: retired keys: resolvable, and still in ``assertionMethod`` so old credentials verify, but not
            in ``authentication``. Leave revoked (compromised) keys out entirely.

    Ed25519 and P-256 keys become ``Multikey`` methods with ``publicKeyMultibase``; RSA keys become
    ``JsonWebKey`` methods with ``publicKeyJwk`` (and the jwk/v1 context is added). ``authentication`` and
    ``assertionMethod`` list full verification method ids.

    Raises:
        InputError: invalid DID, fragment, or a fragment used twice.
        KeyMaterialError: no active key.
    """
    _parse_did_web(did)
    if not keys:
        raise KeyMaterialError(f"the DID document of {did} needs at least one active key")
    seen: set[str] = set()
    methods: list[JSONObject] = []
    uses_jwk = False
    for fragment, pub in [*keys, *retired]:
        if not isinstance(fragment, str) or _FRAGMENT_RE.fullmatch(fragment) is None:
            raise InputError(f"key fragment {fragment!r} must be 1-128 of A-Z a-z 0-9 . _ ~ - (without '#')")
        if fragment in seen:
            raise InputError(f"key fragment {fragment!r} is used twice in the DID document of {did}")
        seen.add(fragment)
        vm_id = f"{did}#{fragment}"
        method: JSONObject
        if key_type_of(pub) == KeyType.RSA:
            uses_jwk = True
            method = {
                "id": vm_id,
                "type": "JsonWebKey",
                "controller": did,
                "publicKeyJwk": public_key_to_jwk(pub),
            }
        else:
            method = {
                "id": vm_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public_key_to_multibase(pub),
            }
        methods.append(method)
    active_ids = [f"{did}#{fragment}" for fragment, _ in keys]
    retired_ids = [f"{did}#{fragment}" for fragment, _ in retired]
    contexts = [DID_CONTEXT, MULTIKEY_CONTEXT, *([JWK_CONTEXT] if uses_jwk else [])]
    return {
        "@context": contexts,
        "id": did,
        "verificationMethod": methods,
        "authentication": active_ids,
        "assertionMethod": [*active_ids, *retired_ids],
    }


def resolve_did_web(did: str, fetcher: Fetcher) -> JSONObject:
    """Fetch and parse the DID document of a did:web; its ``id`` must equal ``did``.

    Raises:
        InputError: invalid DID, a body that is not a JSON object, or a document whose ``id`` differs.
        FetchError: from the fetcher, or a body larger than :data:`MAX_DID_DOCUMENT_BYTES`.
    """
    url = did_web_to_url(did)
    fetched = fetcher.fetch(url, accept="application/did+json, application/json")
    if len(fetched.body) > MAX_DID_DOCUMENT_BYTES:
        raise FetchError(f"the DID document at {url} is larger than {MAX_DID_DOCUMENT_BYTES} bytes", url=url)
    try:
        doc = json.loads(fetched.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(f"the DID document at {url} is not valid UTF-8 JSON") from None
    if not isinstance(doc, dict):
        raise InputError(f"the DID document at {url} is not a JSON object")
    if doc.get("id") != did:
        raise InputError(f"the DID document at {url} has id {_short(doc.get('id'))}, expected {did}")
    return doc


# ----------------------------------------------------------------------------------------------------------
# Verification methods


def _absolute(ref: str, base: str) -> str:
    return base + ref if ref.startswith("#") else ref


def find_verification_method(
    doc: Mapping[str, Any], vm_id: str, *, purpose: str = "assertionMethod"
) -> tuple[JSONObject, PublicKey]:
    """Find verification method ``vm_id`` in a DID document and return ``(method, public key)``.

    ``vm_id`` may be absolute (``did:web:x#key-1``) or relative (``#key-1``). The method must be defined in
    ``verificationMethod`` or embedded under ``purpose``, belong to this document, be controlled by it, and be
    authorised for ``purpose``. The key comes from ``publicKeyMultibase`` or ``publicKeyJwk``.

    Raises:
        InputError: malformed document or method, or an unknown purpose.
        KeyMaterialError: the method is missing, not authorised for ``purpose``, has another controller, or
            has no usable key.
    """
    if purpose not in PURPOSES:
        raise InputError(f"unknown proof purpose {purpose!r} (expected one of {', '.join(sorted(PURPOSES))})")
    doc_id = doc.get("id") if isinstance(doc, Mapping) else None
    if not isinstance(doc_id, str) or not doc_id:
        raise InputError("the DID document has no string 'id'")
    if not isinstance(vm_id, str) or not vm_id:
        raise InputError("the verification method id must be a non-empty string")
    full_id = _absolute(vm_id, doc_id)
    if full_id.partition("#")[0] != doc_id:
        raise KeyMaterialError(f"verification method {full_id} does not belong to the DID document of {doc_id}")

    authorised = doc.get(purpose, [])
    if not isinstance(authorised, list):
        raise InputError(f"'{purpose}' in the DID document of {doc_id} must be a list")
    listed = False
    method: Mapping[str, Any] | None = None
    for entry in authorised:
        if isinstance(entry, str) and _absolute(entry, doc_id) == full_id:
            listed = True
        elif isinstance(entry, Mapping) and _absolute(str(entry.get("id", "")), doc_id) == full_id:
            listed, method = True, entry
    if method is None:
        methods = doc.get("verificationMethod", [])
        if not isinstance(methods, list):
            raise InputError(f"'verificationMethod' in the DID document of {doc_id} must be a list")
        for entry in methods:
            if isinstance(entry, Mapping) and _absolute(str(entry.get("id", "")), doc_id) == full_id:
                method = entry
                break
    if method is None:
        raise KeyMaterialError(f"verification method {full_id} is not in the DID document of {doc_id}")
    if not listed:
        raise KeyMaterialError(f"verification method {full_id} is not authorised for {purpose} by {doc_id}")
    controller = method.get("controller")
    if controller != doc_id:
        raise KeyMaterialError(f"verification method {full_id} has controller {_short(controller)}, expected {doc_id}")
    has_mb, has_jwk = "publicKeyMultibase" in method, "publicKeyJwk" in method
    if has_mb == has_jwk:
        raise KeyMaterialError(
            f"verification method {full_id} must have exactly one of publicKeyMultibase or publicKeyJwk"
        )
    try:
        if has_mb:
            public_key = multibase_to_public_key(method["publicKeyMultibase"])
        else:
            jwk = method["publicKeyJwk"]
            if not isinstance(jwk, Mapping):
                raise InputError("publicKeyJwk must be a JSON object")
            public_key = jwk_to_public_key(jwk)
    except (InputError, KeyMaterialError, UnsupportedError) as exc:
        raise type(exc)(f"verification method {full_id}: {exc.message}", hint=exc.hint) from exc
    result = dict(method)
    result["id"] = full_id
    return result, public_key


def resolve_verification_method(
    vm_id: str, fetcher: Fetcher, *, purpose: str = "assertionMethod"
) -> tuple[str, PublicKey]:
    """Resolve a DID verification method URL to ``(controller DID, public key)``.

    ``did:key`` is resolved locally (a bare ``did:key:z…`` means its only key); ``did:web`` is fetched through
    ``fetcher`` and needs a ``#fragment``. Other URLs are left to the caller.

    Raises:
        UnsupportedError: another DID method, or not a DID.
        InputError, KeyMaterialError, FetchError: as raised by the resolvers and
            :func:`find_verification_method`.
    """
    if not isinstance(vm_id, str):
        raise InputError("the verification method id must be a string")
    did, sep, fragment = vm_id.partition("#")
    if did.startswith("did:key:"):
        doc = resolve_did_key(vm_id)
        full_id = vm_id if sep else f"{did}#{did[len('did:key:') :]}"
    elif did.startswith("did:web:"):
        if not sep or not fragment:
            raise InputError(f"verification method {_short(vm_id)} names no key: add the #fragment of the key")
        doc = resolve_did_web(did, fetcher)
        full_id = vm_id
    elif did.startswith("did:"):
        method = did.split(":")[1] if did.count(":") >= 2 else ""
        raise UnsupportedError(f"DID method {method!r} of {_short(vm_id)} is not supported (did:key and did:web are)")
    else:
        raise UnsupportedError(f"{_short(vm_id)} is not a DID; only did:key and did:web are resolved here")
    method_doc, public_key = find_verification_method(doc, full_id, purpose=purpose)
    return str(method_doc["controller"]), public_key


def _short(value: object, limit: int = 120) -> str:
    """A value for an error message: strings as they are (cut to ``limit``), other types by type name."""
    if not isinstance(value, str):
        return f"a {type(value).__name__}" if value is not None else "nothing"
    return value if len(value) <= limit else value[: limit - 1] + "…"
