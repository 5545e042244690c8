"""Find the public key behind a proof and say how it is bound to the issuer.

Binding outcomes:

* ``bound``: the key is published by its controller (a DID document, did:key, or an https controller document
  that lists it for assertionMethod) and that controller is the credential's issuer.
* ``self-asserted``: the key comes only from the credential itself (a JWT ``jwk`` header, or the
  ``https://<issuer id>#z6Mk…`` convention of the spec examples) — the signature is valid, but nothing shows the
  issuer owns the key. Reported as a warning (a failure with ``strict_binding``).
* ``mismatch``: the key's controller is not the issuer — a failure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag

from ..did import find_verification_method, resolve_verification_method
from ..errors import FetchError, InputError
from ..interfaces import Fetcher
from ..keys import PublicKey, jwk_to_public_key, multibase_to_public_key, public_key_to_jwk

__all__ = ["ResolvedKey", "resolve_jwt_key", "resolve_proof_key"]

MAX_DOC_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    key: PublicKey
    controller: str
    binding: str  # "bound" | "self-asserted"
    source: str  # human description of where the key came from


def _fetch_json(url: str, fetcher: Fetcher) -> Any:
    fetched = fetcher.fetch(url, accept="application/did+json, application/ld+json, application/json")
    if len(fetched.body) > MAX_DOC_BYTES:
        raise InputError(f"document at {url} is larger than {MAX_DOC_BYTES} bytes")
    try:
        return json.loads(fetched.body)
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"document at {url} is not valid JSON") from None


def _https_controller_key(vm_id: str, fetcher: Fetcher) -> ResolvedKey:
    base, _ = urldefrag(vm_id)
    doc = _fetch_json(base, fetcher)
    if not isinstance(doc, Mapping):
        raise InputError(f"document at {base} is not a JSON object")
    if doc.get("id") == vm_id and ("publicKeyMultibase" in doc or "publicKeyJwk" in doc):
        # the key document itself; its controller must list it
        controller = str(doc.get("controller", ""))
        controller_doc = _fetch_json(controller, fetcher) if controller and controller != base else doc
        _, key = find_verification_method(controller_doc, vm_id)
        return ResolvedKey(key, controller, "bound", f"key document {vm_id}")
    if doc.get("id") != base:
        raise InputError(f"controller document at {base} has id {doc.get('id')!r}, expected {base!r}")
    _, key = find_verification_method(doc, vm_id)
    return ResolvedKey(key, base, "bound", f"controller document {base}")


def resolve_proof_key(vm_id: str, issuer_id: str | None, fetcher: Fetcher) -> ResolvedKey:
    """Resolve a Data Integrity ``verificationMethod``. Raises BadgeError when no key can be found."""
    if not isinstance(vm_id, str) or not vm_id:
        raise InputError("the proof has no verificationMethod")
    if vm_id.startswith("did:"):
        controller, key = resolve_verification_method(vm_id, fetcher)
        return ResolvedKey(key, controller, "bound", f"DID {controller}")
    if not vm_id.startswith(("https://", "http://")):
        raise InputError(f"verificationMethod {vm_id!r} is neither a DID URL nor an https URL")
    try:
        return _https_controller_key(vm_id, fetcher)
    except FetchError as fetch_error:
        base, fragment = urldefrag(vm_id)
        if fragment.startswith("z") and issuer_id is not None and base == issuer_id:
            key = multibase_to_public_key(fragment)
            return ResolvedKey(key, base, "self-asserted", "the key in the verificationMethod fragment")
        raise fetch_error


def resolve_jwt_key(header: Mapping[str, Any], fetcher: Fetcher) -> ResolvedKey:
    """Resolve the key of a VC-JWT from its ``kid`` (DID URL or https URL) and/or ``jwk`` header."""
    kid = header.get("kid")
    jwk = header.get("jwk")
    embedded: PublicKey | None = None
    if jwk is not None:
        if not isinstance(jwk, Mapping):
            raise InputError("the JWT header 'jwk' must be a JSON object")
        embedded = jwk_to_public_key(jwk)
    if isinstance(kid, str) and kid:
        resolved: ResolvedKey
        if kid.startswith("did:"):
            controller, key = resolve_verification_method(kid, fetcher)
            resolved = ResolvedKey(key, controller, "bound", f"DID {controller}")
        elif kid.startswith(("https://", "http://")):
            try:
                doc = _fetch_json(urldefrag(kid)[0], fetcher)
            except FetchError:
                if embedded is None:
                    raise
                return ResolvedKey(embedded, "", "self-asserted", "the 'jwk' in the JWT header")
            if isinstance(doc, Mapping) and doc.get("kty"):
                resolved = ResolvedKey(jwk_to_public_key(doc), urldefrag(kid)[0], "bound", f"JWK at {kid}")
            else:
                resolved = _https_controller_key(kid, fetcher)
        else:
            if embedded is None:
                raise InputError(f"JWT kid {kid!r} is neither a DID URL nor an https URL")
            return ResolvedKey(embedded, "", "self-asserted", "the 'jwk' in the JWT header")
        if embedded is not None and public_key_to_jwk(embedded) != public_key_to_jwk(resolved.key):
            raise InputError("the JWT header 'jwk' differs from the key its 'kid' resolves to")
        return resolved
    if embedded is not None:
        return ResolvedKey(embedded, "", "self-asserted", "the 'jwk' in the JWT header")
    raise InputError("the JWT header has neither 'kid' nor 'jwk'; the key cannot be found")
