"""Byte-exact Data Integrity vectors: W3C vc-di-eddsa and the OB 3.0 Implementation Guide."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq.jsonld import ContextLoader, canonicalize
from openbadge_ctq.keys import base58btc_decode, multibase_to_public_key
from openbadge_ctq.proofs import data_integrity
from openbadge_ctq.verify import verify
from tests.conftest import load_json


def _examples_loader(shared_contexts: dict[str, object]) -> ContextLoader:
    # the W3C vectors use the examples context, which is test-only (never bundled)
    return ContextLoader({u: d for u, d in shared_contexts.items() if "/examples/" in u})


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_w3c_eddsa_rdfc_2022_reproduces_every_intermediate(vectors: Path, shared_contexts: dict) -> None:
    base = vectors / "test-vectors/vc-di-eddsa"
    d = base / "eddsa-rdfc-2022"
    loader = _examples_loader(shared_contexts)
    pair = load_json(base / "keyPair.json")
    private = Ed25519PrivateKey.from_private_bytes(base58btc_decode(pair["privateKeyMultibase"][1:])[2:])
    unsigned = load_json(base / "unsigned.json")
    config = load_json(d / "proofConfigDataInt.json")

    assert canonicalize(unsigned, loader=loader) == (d / "canonDocDataInt.txt").read_text()
    assert canonicalize(config, loader=loader) == (d / "proofCanonDataInt.txt").read_text()
    options = {k: v for k, v in config.items() if k != "@context"}
    data = data_integrity.hash_data(unsigned, options, loader=loader)
    assert data[:32].hex() == (d / "proofHashDataInt.txt").read_text().strip()
    assert data[32:].hex() == (d / "docHashDataInt.txt").read_text().strip()
    assert data.hex() == (d / "combinedHashDataInt.txt").read_text().strip()

    proof = data_integrity.create_proof(
        unsigned,
        private,
        verification_method=config["verificationMethod"],
        created=_dt(config["created"]),
        loader=loader,
    )
    signed = load_json(d / "signedDataInt.json")
    assert proof["proofValue"] == signed["proof"]["proofValue"]
    assert base58btc_decode(proof["proofValue"][1:]).hex() == (d / "sigHexDataInt.txt").read_text().strip()
    public = multibase_to_public_key(pair["publicKeyMultibase"])
    assert data_integrity.verify_proof(unsigned, signed["proof"], public, loader=loader).valid


@pytest.mark.parametrize("name", ["obv3p0", "clrv2p0"])
def test_ob3_impl_guide_vector(vectors: Path, shared_contexts: dict, name: str) -> None:
    d = vectors / "test-vectors/ob-v3p0-impl-guide" / name
    vector = load_json(d / "vector.json")
    unsigned = load_json(d / "unsigned-credential.json")
    loader = ContextLoader(shared_contexts)  # the CLR context is not on npm, so not bundled; tests use shared
    assert canonicalize(unsigned, loader=loader) == (d / "document-canon.txt").read_text()
    options = vector["proofOptions"]
    data = data_integrity.hash_data(unsigned, options, loader=loader)
    assert hashlib.sha256((d / "proof-canon.txt").read_bytes()).hexdigest() == vector["proofHashHex"]
    assert data.hex() == vector["dataToSignHex"]
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["privateKeyHex_64byte_seed_plus_public"])[:32])
    proof = data_integrity.create_proof(
        unsigned,
        private,
        verification_method=options["verificationMethod"],
        created=_dt(options["created"]),
        loader=loader,
    )
    assert base58btc_decode(proof["proofValue"][1:]).hex() == vector["signatureHex"]
    assert proof["proofValue"] == vector["proofValue"]
    signed = load_json(d / "signed-credential.json")
    report = verify(signed, contexts=shared_contexts, now="2026-11-23T00:00:00Z")
    assert report.check("proof").status.value == "pass"  # type: ignore[union-attr]


def test_legacy_ed25519signature2020_verifies_with_a_legacy_warning(vectors: Path, shared_contexts: dict) -> None:
    signed = load_json(vectors / "test-vectors/vc-di-eddsa/Ed25519Signature2020/signedEdSig.json")
    public = multibase_to_public_key(signed["proof"]["verificationMethod"].split("#")[1])
    loader = _examples_loader(shared_contexts)
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    assert data_integrity.verify_proof(unsigned, signed["proof"], public, loader=loader).valid
    tampered = {**unsigned, "name": unsigned["name"] + "!"}
    assert not data_integrity.verify_proof(tampered, signed["proof"], public, loader=loader).valid
