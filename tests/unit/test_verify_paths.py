"""Key resolution and legacy forms: did:web (RS256/ES256/EdDSA), https controller documents, binding failures,
VC 1.1 with eddsa-2022, the JWT 'vc' claim, refused contexts and safe-mode messages."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import MapFetcher, Recipient, SigningKey, issue_credential, load_catalog, verify
from openbadge_ctq.did import build_did_web_document, did_web_from_base_url
from openbadge_ctq.keys import base58btc_encode, did_key_from_public_key, public_key_to_multibase
from openbadge_ctq.model import Catalog
from openbadge_ctq.proofs import data_integrity
from openbadge_ctq.proofs.jws import encode_compact
from openbadge_ctq.verify import Status

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
RIVERBEND_ACHIEVEMENT = "riverbend-family-reading-nights"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _did_web_fetcher(catalog: Catalog, keys: list[SigningKey]) -> MapFetcher:
    base = catalog.organization("riverbend").base_url
    assert base
    did = did_web_from_base_url(base)
    doc = build_did_web_document(did, [(k.key_id, k.private_key.public_key()) for k in keys])
    return MapFetcher({base + "did.json": json.dumps(doc).encode()})


@pytest.mark.parametrize("kind", ["rsa", "p256", "ed25519"])
def test_did_web_issuer_signs_jwt_with_each_algorithm(catalog: Catalog, rsa_key: rsa.RSAPrivateKey, kind: str) -> None:
    private = {"rsa": rsa_key, "p256": ec.generate_private_key(ec.SECP256R1()), "ed25519": Ed25519PrivateKey.generate()}
    key = SigningKey(private[kind], f"key-{kind}")  # type: ignore[arg-type]
    issued = issue_credential(
        catalog, RIVERBEND_ACHIEVEMENT, Recipient(email="t@example.org"), key, fmt="ob3-jwt", now=NOW
    )
    assert issued.credential["issuer"]["id"] == "did:web:riverbend.example:badges"
    assert issued.id.startswith("https://riverbend.example/badges/credentials/")
    fetcher = _did_web_fetcher(catalog, [key])
    report = verify(issued.document, now=NOW, fetcher=fetcher)
    assert report.verified, report.to_json()["errors"]
    assert report.check("issuer.binding").status is Status.PASS  # type: ignore[union-attr]
    header = json.loads(base64.urlsafe_b64decode(issued.document.split(".")[0] + "=="))
    assert header["alg"] == {"rsa": "RS256", "p256": "ES256", "ed25519": "EdDSA"}[kind]
    # offline, the did:web document cannot be fetched: the proof fails with a clear message
    offline = verify(issued.document, now=NOW)
    assert not offline.verified and "not available offline" in offline.check("proof").message  # type: ignore[union-attr]


def test_did_web_data_integrity_and_key_not_in_document(catalog: Catalog) -> None:
    key = SigningKey(Ed25519PrivateKey.generate(), "key-a")
    issued = issue_credential(catalog, RIVERBEND_ACHIEVEMENT, Recipient(email="t@example.org"), key, now=NOW)
    assert verify(issued.document, now=NOW, fetcher=_did_web_fetcher(catalog, [key])).verified
    other = SigningKey(Ed25519PrivateKey.generate(), "key-b")
    report = verify(issued.document, now=NOW, fetcher=_did_web_fetcher(catalog, [other]))
    assert not report.verified and report.check("proof").status is Status.FAIL  # type: ignore[union-attr]


def _sign_di(doc: dict[str, Any], key: Ed25519PrivateKey, vm: str, suite: str = "eddsa-rdfc-2022") -> dict[str, Any]:
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": suite,
        "created": "2026-01-01T00:00:00Z",
        "verificationMethod": vm,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(data_integrity.hash_data(doc, options))
    return {**doc, "proof": [{**options, "proofValue": "z" + base58btc_encode(signature)}]}


def _ob3(issuer: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:8f3c1c1e-2b64-4d0e-9a63-6f6e3f7b0a01",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Test badge",
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Test issuer"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:teacher",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.org/a/1",
                "type": ["Achievement"],
                "name": "A",
                "description": "D",
                "criteria": {"narrative": "N"},
            },
        },
    }
    doc.update(extra)
    return doc


def test_https_issuer_with_published_controller_document() -> None:
    key = Ed25519PrivateKey.generate()
    issuer = "https://issuer.example.org/profile"
    vm = issuer + "#key-1"
    controller = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "verificationMethod": [
            {
                "id": vm,
                "type": "Multikey",
                "controller": issuer,
                "publicKeyMultibase": public_key_to_multibase(key.public_key()),
            }
        ],
        "assertionMethod": [vm],
    }
    signed = _sign_di(_ob3(issuer), key, vm)
    fetcher = MapFetcher({issuer: json.dumps(controller).encode()})
    report = verify(signed, now=NOW, fetcher=fetcher)
    assert report.verified, report.to_json()["errors"]
    assert report.check("issuer.binding").status is Status.PASS  # type: ignore[union-attr]


def test_https_issuer_signed_by_an_unrelated_did_key_fails_binding() -> None:
    key = Ed25519PrivateKey.generate()
    did = did_key_from_public_key(key.public_key())
    signed = _sign_di(_ob3("https://university.example.edu/issuer"), key, f"{did}#{did.split(':')[-1]}")
    report = verify(signed, now=NOW)
    assert not report.verified
    binding = report.check("issuer.binding")
    assert binding is not None and binding.status is Status.FAIL and "not to the issuer" in binding.message


def test_vc11_credential_with_legacy_eddsa_2022_verifies_with_warnings() -> None:
    key = Ed25519PrivateKey.generate()
    did = did_key_from_public_key(key.public_key())
    doc = _ob3(did)
    doc["@context"] = [
        "https://www.w3.org/2018/credentials/v1",
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "https://w3id.org/security/data-integrity/v1",
    ]
    doc["issuanceDate"] = doc.pop("validFrom")
    doc["expirationDate"] = "2030-01-01T00:00:00Z"
    signed = _sign_di(doc, key, f"{did}#{did.split(':')[-1]}", suite="eddsa-2022")
    report = verify(signed, now=NOW)
    assert report.verified, report.to_json()["errors"]
    legacy = [c.message for c in report.checks if c.id == "legacy"]
    assert any("1.1" in m for m in legacy) and any("eddsa-2022" in m for m in legacy)
    assert not verify(signed, now="2031-01-01T00:00:00Z").verified  # expirationDate is honoured
    # VC 1.1 has no @vocab: an added undefined term must fail (safe mode), not be silently dropped
    tampered = {**signed, "favouriteColour": "green"}
    failed = verify(tampered, now=NOW).check("proof")
    assert failed is not None and failed.status is Status.FAIL
    assert "favouriteColour" in failed.message and failed.pointer == "/favouriteColour"


def test_jwt_with_a_vc_claim_is_read_as_legacy() -> None:
    key = Ed25519PrivateKey.generate()
    did = did_key_from_public_key(key.public_key())
    credential = _ob3(did)
    payload = {"iss": did, "jti": credential["id"], "sub": "did:example:teacher", "nbf": 1767225600, "vc": credential}
    token = encode_compact({"alg": "EdDSA", "typ": "JWT", "kid": f"{did}#{did.split(':')[-1]}"}, payload, key)
    report = verify(token, now=NOW)
    assert report.verified, report.to_json()["errors"]
    assert any(c.id == "legacy" and "'vc' claim" in c.message for c in report.checks)


def test_unknown_remote_context_is_refused_unless_allowed() -> None:
    key = Ed25519PrivateKey.generate()
    did = did_key_from_public_key(key.public_key())
    doc = _ob3(did)
    doc["@context"] = [*doc["@context"], "https://contexts.example.org/extra.jsonld"]
    signed = _sign_di_safely(doc, key, did)
    report = verify(signed, now=NOW)
    proof = report.check("proof")
    assert proof is not None and proof.status is Status.FAIL and "not bundled" in proof.message
    extra = {"@context": {"favouriteColour": "https://contexts.example.org/vocab#favouriteColour"}}
    fetcher = MapFetcher({"https://contexts.example.org/extra.jsonld": json.dumps(extra).encode()})
    # a MapFetcher copy is the caller's own, trusted like bundled data
    assert verify(signed, now=NOW, fetcher=fetcher).verified


def _sign_di_safely(doc: dict[str, Any], key: Ed25519PrivateKey, did: str) -> dict[str, Any]:
    from openbadge_ctq.jsonld import ContextLoader

    extra = {
        "https://contexts.example.org/extra.jsonld": {
            "@context": {"favouriteColour": "https://contexts.example.org/vocab#favouriteColour"}
        }
    }
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-01-01T00:00:00Z",
        "verificationMethod": f"{did}#{did.split(':')[-1]}",
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(data_integrity.hash_data(doc, options, loader=ContextLoader(extra)))
    return {**doc, "proof": [{**options, "proofValue": "z" + base58btc_encode(signature)}]}


def test_vc2_term_only_defined_by_vocab_fails_with_term_and_pointer() -> None:
    key = Ed25519PrivateKey.generate()
    did = did_key_from_public_key(key.public_key())
    doc = _ob3(did)
    doc["credentialSubject"]["shoeSize"] = 42
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-01-01T00:00:00Z",
        "verificationMethod": f"{did}#{did.split(':')[-1]}",
        "proofPurpose": "assertionMethod",
    }
    with pytest.raises(Exception, match="shoeSize"):
        data_integrity.hash_data(doc, options)
    fake = {**doc, "proof": [{**options, "proofValue": "z" + base58btc_encode(hashlib.sha512(b"x").digest())}]}
    proof = verify(fake, now=NOW).check("proof")
    assert proof is not None and "shoeSize" in proof.message and proof.pointer == "/credentialSubject/shoeSize"
