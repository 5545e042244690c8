"""Data Integrity proofs with Ed25519 over RDFC-1.0 (W3C vc-di-eddsa).

Issued: ``DataIntegrityProof`` / ``eddsa-rdfc-2022``. Verified as well (never issued): ``eddsa-2022`` and
``Ed25519Signature2020``, which use the same transformation, hashing and signature.

hashData = SHA-256(canonical proof options) ‖ SHA-256(canonical document); signature = Ed25519(hashData);
proofValue = "z" + base58btc(signature).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import InputError, KeyMaterialError, UnsupportedError
from ..interfaces import JSONObject
from ..jsonld import DEFAULT_LOADER, ContextLoader, canonicalize
from ..keys import base58btc_decode, base58btc_encode
from ..timefmt import format_datetime

__all__ = [
    "ISSUED_CRYPTOSUITE",
    "ProofCheck",
    "create_proof",
    "hash_data",
    "proof_suite_name",
    "sign",
    "verify_proof",
]

ISSUED_CRYPTOSUITE = "eddsa-rdfc-2022"
_DI_SUITES = {"eddsa-rdfc-2022", "eddsa-2022"}
_LEGACY_TYPES = {"Ed25519Signature2020"}


def proof_suite_name(proof: Mapping[str, Any]) -> str:
    """``eddsa-rdfc-2022``, ``eddsa-2022`` or ``Ed25519Signature2020``; raises UnsupportedError otherwise."""
    ptype = proof.get("type")
    if ptype == "DataIntegrityProof":
        suite = proof.get("cryptosuite")
        if isinstance(suite, str) and suite in _DI_SUITES:
            return str(suite)
        raise UnsupportedError(f"Data Integrity cryptosuite {suite!r} is not supported (expected eddsa-rdfc-2022)")
    if isinstance(ptype, str) and ptype in _LEGACY_TYPES:
        return str(ptype)
    raise UnsupportedError(f"proof type {ptype!r} is not supported (expected DataIntegrityProof)")


def hash_data(document: JSONObject, proof_options: JSONObject, *, loader: ContextLoader = DEFAULT_LOADER) -> bytes:
    """SHA-256(canonical proof options with the document's @context) ‖ SHA-256(canonical document)."""
    options = {k: v for k, v in proof_options.items() if k != "proofValue"}
    options["@context"] = document.get("@context")
    proof_hash = hashlib.sha256(canonicalize(options, loader=loader).encode("utf-8")).digest()
    doc_hash = hashlib.sha256(canonicalize(document, loader=loader).encode("utf-8")).digest()
    return proof_hash + doc_hash


def create_proof(
    document: JSONObject,
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
    challenge: str | None = None,
    domain: str | None = None,
    loader: ContextLoader = DEFAULT_LOADER,
) -> JSONObject:
    """Return an ``eddsa-rdfc-2022`` proof object for ``document`` (which must not contain ``proof``)."""
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyMaterialError("eddsa-rdfc-2022 needs an Ed25519 key", hint="badge keys generate --type ed25519")
    if "proof" in document:
        raise InputError("the document already has a proof; create_proof signs an unsecured document")
    options: JSONObject = {
        "type": "DataIntegrityProof",
        "cryptosuite": ISSUED_CRYPTOSUITE,
        "created": format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    signature = private_key.sign(hash_data(document, options, loader=loader))
    return {**options, "proofValue": "z" + base58btc_encode(signature)}


def sign(
    document: JSONObject,
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
    loader: ContextLoader = DEFAULT_LOADER,
) -> JSONObject:
    """Return a copy of ``document`` with an ``eddsa-rdfc-2022`` proof appended to its ``proof`` array."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = create_proof(
        unsecured, private_key, verification_method=verification_method, created=created, loader=loader
    )
    existing = document.get("proof")
    proofs = [] if existing is None else (list(existing) if isinstance(existing, list) else [existing])
    # a new top-level dict; nested values are shared with the caller's document, which is never mutated here
    return {**unsecured, "proof": [*proofs, proof]}


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """The outcome of checking one proof's signature."""

    suite: str
    verification_method: str
    valid: bool
    message: str


def verify_proof(
    document: JSONObject,
    proof: Mapping[str, Any],
    public_key: Ed25519PublicKey,
    *,
    loader: ContextLoader = DEFAULT_LOADER,
    expected_purpose: str = "assertionMethod",
) -> ProofCheck:
    """Check one proof over ``document`` (the credential without ``proof``). Raises BadgeError for bad input."""
    suite = proof_suite_name(proof)
    vm = str(proof.get("verificationMethod", ""))
    if proof.get("proofPurpose") != expected_purpose:
        return ProofCheck(
            suite, vm, False, f"proofPurpose is {proof.get('proofPurpose')!r}, expected {expected_purpose!r}"
        )
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return ProofCheck(suite, vm, False, "proofValue must be a base58btc multibase string starting with 'z'")
    try:
        signature = base58btc_decode(value[1:])
    except ValueError:
        return ProofCheck(suite, vm, False, "proofValue is not valid base58btc")
    if len(signature) != 64:
        return ProofCheck(suite, vm, False, f"proofValue decodes to {len(signature)} bytes, expected 64")
    if "proof" in document:
        document = {k: v for k, v in document.items() if k != "proof"}
    data = hash_data(document, dict(proof), loader=loader)
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return ProofCheck(suite, vm, False, "signature does not match")
    return ProofCheck(suite, vm, True, f"{suite} signature verified with {vm}")
