"""openbadge_ctq.did: did:key resolution, did:web URLs and documents, verification method lookup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from openbadge_ctq.did import (
    DID_CONTEXT,
    JWK_CONTEXT,
    MAX_DID_DOCUMENT_BYTES,
    MULTIKEY_CONTEXT,
    build_did_web_document,
    did_web_from_base_url,
    did_web_to_url,
    find_verification_method,
    resolve_did_key,
    resolve_did_web,
    resolve_verification_method,
)
from openbadge_ctq.errors import FetchError, InputError, KeyMaterialError, UnsupportedError
from openbadge_ctq.interfaces import OFFLINE, MapFetcher
from openbadge_ctq.keys import (
    KeyType,
    PublicKey,
    base58btc_encode,
    generate_private_key,
    public_key_to_jwk,
    public_key_to_multibase,
)

MB = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
DID_KEY = "did:key:" + MB
DID_WEB = "did:web:example.com:issuers:ctq"
DID_WEB_URL = "https://example.com/issuers/ctq/did.json"


@pytest.fixture(scope="module")
def ed_a() -> PublicKey:
    return Ed25519PrivateKey.from_private_bytes(b"\x01" * 32).public_key()


@pytest.fixture(scope="module")
def ed_b() -> PublicKey:
    return Ed25519PrivateKey.from_private_bytes(b"\x02" * 32).public_key()


@pytest.fixture(scope="session")
def rsa_pub() -> PublicKey:
    key = generate_private_key(KeyType.RSA)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.public_key()


def _spki(pub: PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _fetcher(doc: Any, url: str = DID_WEB_URL) -> MapFetcher:
    return MapFetcher({url: json.dumps(doc).encode()})


# -- did:key ---------------------------------------------------------------------------------------------


def test_resolve_did_key_matches_the_notes_exactly() -> None:
    vm = f"{DID_KEY}#{MB}"
    expected = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID_KEY,
        "verificationMethod": [{"id": vm, "type": "Multikey", "controller": DID_KEY, "publicKeyMultibase": MB}],
        "authentication": [vm],
        "assertionMethod": [vm],
        "capabilityInvocation": [vm],
        "capabilityDelegation": [vm],
    }
    assert resolve_did_key(DID_KEY) == expected
    assert resolve_did_key(vm) == expected


def test_resolve_did_key_p256() -> None:
    mb = public_key_to_multibase(generate_private_key(KeyType.P256).public_key())
    doc = resolve_did_key("did:key:" + mb)
    assert doc["verificationMethod"][0]["publicKeyMultibase"] == mb


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        (f"{DID_KEY}#z6Mkother", InputError, "must equal its key"),
        ("did:web:example.com", InputError, "not a did:key"),
        ("did:key:", InputError, "starting with 'z'"),
        (f"{DID_KEY}/path", InputError, "plain did:key"),
        (f"{DID_KEY}?versionId=1", InputError, "plain did:key"),
        ("did:key:z" + base58btc_encode(b"\xed\x01" + b"\x01" * 33), InputError, "32 key bytes"),
        ("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", UnsupportedError, "secp256k1"),
    ],
)
def test_resolve_did_key_rejects(value: str, error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text):
        resolve_did_key(value)


# -- did:web URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:issuers:42", "https://example.com/issuers/42/did.json"),
        ("did:web:example.com%3A8443", "https://example.com:8443/.well-known/did.json"),
        ("did:web:example.com%3a8443:u:alice", "https://example.com:8443/u/alice/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:Example.COM", "https://example.com/.well-known/did.json"),
    ],
)
def test_did_web_to_url(did: str, url: str) -> None:
    assert did_web_to_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        "did:web:",
        "did:webs:example.com",
        "did:key:z6Mk",
        "did:web:127.0.0.1",
        "did:web:exa mple.com",
        "did:web:-example.com",
        "did:web:example..com",
        "did:web:example.com::x",
        "did:web:example.com:..",
        "did:web:example.com:%2E%2E",
        "did:web:example.com:a%2Fb",
        "did:web:example.com:a/b",
        "did:web:example.com#key-1",
        "did:web:example.com?x=1",
        "did:web:example.com%3A0",
        "did:web:example.com%3A99999",
        "did:web:example.com%3Ahttp",
        "did:web:user@example.com",
    ],
)
def test_did_web_to_url_rejects(did: str) -> None:
    with pytest.raises(InputError):
        did_web_to_url(did)


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://example.com", "did:web:example.com"),
        ("https://example.com/", "did:web:example.com"),
        ("https://Example.com/issuers/ctq/", "did:web:example.com:issuers:ctq"),
        ("https://example.com:8443/issuers/ctq", "did:web:example.com%3A8443:issuers:ctq"),
    ],
)
def test_did_web_from_base_url(url: str, did: str) -> None:
    assert did_web_from_base_url(url) == did


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("http://example.com", "https URL"),
        ("example.com", "https URL"),
        ("https://example.com/?a=1", "query or fragment"),
        ("https://example.com/#x", "query or fragment"),
        ("https://example.com/?", "query or fragment"),
        ("https://user:pw@example.com/", "user info"),
        ("https://example.com:99999/", "invalid port"),
        ("https://127.0.0.1/", "cannot become a did:web"),
        ("https://[::1]/", "cannot become a did:web"),
        ("https://example.com//x", "empty or dot"),
        ("https://example.com/a/../b", "empty or dot"),
        ("https://example.com/a:b", "cannot become a did:web"),
        ("https://example.com/a b", "cannot become a did:web"),
    ],
)
def test_did_web_from_base_url_rejects(url: str, text: str) -> None:
    with pytest.raises(InputError, match=text):
        did_web_from_base_url(url)


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_segment = st.from_regex(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,12}", fullmatch=True)


@given(
    st.lists(_label, min_size=1, max_size=4).filter(lambda ls: not "".join(ls).isdigit()),
    st.none() | st.integers(1, 65535),
    st.lists(_segment, max_size=4),
)
def test_base_url_and_did_web_agree(labels: list[str], port: int | None, segments: list[str]) -> None:
    authority = ".".join(labels) + (f":{port}" if port is not None else "")
    base = f"https://{authority}" + "".join(f"/{s}" for s in segments)
    did = did_web_from_base_url(base)
    expected = base + "/did.json" if segments else base + "/.well-known/did.json"
    assert did_web_to_url(did) == expected


# -- did:web documents -----------------------------------------------------------------------------------


def test_build_did_web_document(ed_a: PublicKey, ed_b: PublicKey) -> None:
    doc = build_did_web_document(DID_WEB, [("key-new", ed_b)], retired=[("key-old", ed_a)])
    new, old = f"{DID_WEB}#key-new", f"{DID_WEB}#key-old"
    assert doc == {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": DID_WEB,
        "verificationMethod": [
            {
                "id": new,
                "type": "Multikey",
                "controller": DID_WEB,
                "publicKeyMultibase": public_key_to_multibase(ed_b),
            },
            {
                "id": old,
                "type": "Multikey",
                "controller": DID_WEB,
                "publicKeyMultibase": public_key_to_multibase(ed_a),
            },
        ],
        "authentication": [new],
        "assertionMethod": [new, old],
    }
    # the retired key still verifies old credentials, but cannot authenticate
    assert _spki(find_verification_method(doc, old)[1]) == _spki(ed_a)
    with pytest.raises(KeyMaterialError, match="not authorised for authentication"):
        find_verification_method(doc, old, purpose="authentication")


def test_rsa_keys_become_json_web_keys(ed_a: PublicKey, rsa_pub: PublicKey, vectors: Path) -> None:
    doc = build_did_web_document(DID_WEB, [("key-ed", ed_a), ("key-rsa", rsa_pub)])
    assert doc["@context"] == [DID_CONTEXT, MULTIKEY_CONTEXT, JWK_CONTEXT]
    rsa_vm = doc["verificationMethod"][1]
    assert rsa_vm == {
        "id": f"{DID_WEB}#key-rsa",
        "type": "JsonWebKey",
        "controller": DID_WEB,
        "publicKeyJwk": public_key_to_jwk(rsa_pub),
    }
    assert "d" not in rsa_vm["publicKeyJwk"]
    # the type and property terms are the ones the jwk/v1 context defines
    context = json.loads((vectors / "contexts/w3c/jwk-v1.jsonld").read_text(encoding="utf-8"))["@context"]
    assert "publicKeyJwk" in context[rsa_vm["type"]]["@context"]
    _, key = find_verification_method(doc, "#key-rsa")
    assert _spki(key) == _spki(rsa_pub)


@pytest.mark.parametrize(
    ("did", "keys", "error", "text"),
    [
        (DID_WEB, [], KeyMaterialError, "at least one active key"),
        ("did:key:" + MB, [("k", None)], InputError, "not a did:web"),
        (DID_WEB, [("#key-1", None)], InputError, "without '#'"),
        (DID_WEB, [("key 1", None)], InputError, "fragment"),
        (DID_WEB, [("", None)], InputError, "fragment"),
        (DID_WEB, [("key-1", "A"), ("key-1", "B")], InputError, "used twice"),
    ],
)
def test_build_did_web_document_rejects(
    did: str, keys: list[tuple[str, Any]], error: type[Exception], text: str, ed_a: PublicKey, ed_b: PublicKey
) -> None:
    pubs = {None: ed_a, "A": ed_a, "B": ed_b}
    with pytest.raises(error, match=text):
        build_did_web_document(did, [(fragment, pubs[key]) for fragment, key in keys])


def test_resolve_did_web(ed_a: PublicKey) -> None:
    doc = build_did_web_document(DID_WEB, [("key-1", ed_a)])
    assert resolve_did_web(DID_WEB, _fetcher(doc)) == doc


def test_resolve_did_web_checks_the_document(ed_a: PublicKey) -> None:
    doc = build_did_web_document(DID_WEB, [("key-1", ed_a)])
    with pytest.raises(InputError, match=r"expected did:web:example\.com:issuers:ctq"):
        resolve_did_web(DID_WEB, _fetcher({**doc, "id": "did:web:evil.example"}))
    with pytest.raises(InputError, match="not a JSON object"):
        resolve_did_web(DID_WEB, _fetcher([doc]))
    with pytest.raises(InputError, match="not valid UTF-8 JSON"):
        resolve_did_web(DID_WEB, MapFetcher({DID_WEB_URL: b"{nope"}))
    with pytest.raises(FetchError, match="larger than"):
        resolve_did_web(DID_WEB, MapFetcher({DID_WEB_URL: b" " * (MAX_DID_DOCUMENT_BYTES + 1)}))
    with pytest.raises(FetchError, match="not available offline"):
        resolve_did_web(DID_WEB, OFFLINE)


# -- verification methods --------------------------------------------------------------------------------


def _doc_with(method: dict[str, Any], **relationships: Any) -> dict[str, Any]:
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": DID_WEB,
        "verificationMethod": [method],
        **relationships,
    }


def test_find_verification_method_relative_ids(ed_a: PublicKey) -> None:
    mb = public_key_to_multibase(ed_a)
    method = {"id": "#key-1", "type": "Multikey", "controller": DID_WEB, "publicKeyMultibase": mb}
    doc = _doc_with(method, assertionMethod=["#key-1"])
    for ref in ("#key-1", f"{DID_WEB}#key-1"):
        found, key = find_verification_method(doc, ref)
        assert found["id"] == f"{DID_WEB}#key-1"
        assert _spki(key) == _spki(ed_a)
    doc_full = _doc_with(method, assertionMethod=[f"{DID_WEB}#key-1"])
    assert find_verification_method(doc_full, "#key-1")[0]["controller"] == DID_WEB


def test_find_verification_method_embedded(ed_a: PublicKey) -> None:
    jwk = public_key_to_jwk(ed_a)
    embedded = {"id": f"{DID_WEB}#key-2", "type": "JsonWebKey", "controller": DID_WEB, "publicKeyJwk": jwk}
    doc = {"id": DID_WEB, "assertionMethod": [embedded]}
    found, key = find_verification_method(doc, "#key-2")
    assert found["publicKeyJwk"] == jwk
    assert _spki(key) == _spki(ed_a)


@pytest.mark.parametrize(
    ("method", "relationships", "vm", "purpose", "error", "text"),
    [
        (
            {},
            {"assertionMethod": ["#key-1"]},
            "#key-9",
            "assertionMethod",
            KeyMaterialError,
            "is not in the DID",
        ),
        ({}, {}, "#key-1", "assertionMethod", KeyMaterialError, "not authorised for assertionMethod"),
        ({}, {"authentication": ["#key-1"]}, "#key-1", "assertionMethod", KeyMaterialError, "not authorised"),
        (
            {},
            {"assertionMethod": ["#key-1"]},
            "did:web:other.example#key-1",
            "assertionMethod",
            KeyMaterialError,
            "does not belong",
        ),
        (
            {"controller": "did:web:other.example"},
            {"assertionMethod": ["#key-1"]},
            "#key-1",
            "assertionMethod",
            KeyMaterialError,
            "has controller did:web:other.example",
        ),
        (
            {"publicKeyMultibase": None},
            {"assertionMethod": ["#key-1"]},
            "#key-1",
            "assertionMethod",
            KeyMaterialError,
            "exactly one of",
        ),
        (
            {"publicKeyJwk": {"kty": "OKP"}},
            {"assertionMethod": ["#key-1"]},
            "#key-1",
            "assertionMethod",
            KeyMaterialError,
            "exactly one of",
        ),
        (
            {"publicKeyMultibase": "zBad"},
            {"assertionMethod": ["#key-1"]},
            "#key-1",
            "assertionMethod",
            InputError,
            r"verification method did:web:example.com:issuers:ctq#key-1: ",
        ),
        ({}, {"assertionMethod": "#key-1"}, "#key-1", "assertionMethod", InputError, "must be a list"),
        ({}, {"assertionMethod": ["#key-1"]}, "#key-1", "signing", InputError, "unknown proof purpose"),
        ({}, {"assertionMethod": ["#key-1"]}, "", "assertionMethod", InputError, "non-empty"),
    ],
)
def test_find_verification_method_rejects(
    ed_a: PublicKey,
    method: dict[str, Any],
    relationships: dict[str, Any],
    vm: str,
    purpose: str,
    error: type[Exception],
    text: str,
) -> None:
    base = {
        "id": "#key-1",
        "type": "Multikey",
        "controller": DID_WEB,
        "publicKeyMultibase": public_key_to_multibase(ed_a),
    }
    merged = {**base, **method}
    if merged.get("publicKeyMultibase") is None:
        merged.pop("publicKeyMultibase")
    if "publicKeyJwk" in method:
        merged["publicKeyJwk"] = method["publicKeyJwk"]
    with pytest.raises(error, match=text) as info:
        find_verification_method(_doc_with(merged, **relationships), vm, purpose=purpose)
    assert "\n" not in str(info.value)


def test_find_verification_method_rejects_jwk_with_private_member(ed_a: PublicKey) -> None:
    jwk = {**public_key_to_jwk(ed_a), "d": "AAAA"}
    method = {"id": "#k", "type": "JsonWebKey", "controller": DID_WEB, "publicKeyJwk": jwk}
    with pytest.raises(KeyMaterialError, match=r"#k: the JWK contains private key member"):
        find_verification_method(_doc_with(method, assertionMethod=["#k"]), "#k")


def test_find_verification_method_needs_a_document_id() -> None:
    with pytest.raises(InputError, match="no string 'id'"):
        find_verification_method({"verificationMethod": []}, "#k")


# -- resolve_verification_method -------------------------------------------------------------------------


def test_resolve_did_key_verification_methods(vectors: Path) -> None:
    vector = json.loads((vectors / "test-vectors/ob-v3p0-impl-guide/obv3p0/vector.json").read_text("utf-8"))
    for vm in (f"{DID_KEY}#{MB}", DID_KEY):
        controller, key = resolve_verification_method(vm, OFFLINE)
        assert controller == DID_KEY
        assert key.public_bytes_raw().hex() == vector["publicKeyHex"]  # type: ignore[union-attr]


def test_resolve_did_web_verification_method(ed_a: PublicKey, ed_b: PublicKey) -> None:
    doc = build_did_web_document(DID_WEB, [("key-b", ed_b)], retired=[("key-a", ed_a)])
    fetcher = _fetcher(doc)
    controller, key = resolve_verification_method(f"{DID_WEB}#key-a", fetcher)
    assert controller == DID_WEB
    assert _spki(key) == _spki(ed_a)
    with pytest.raises(KeyMaterialError, match="not authorised for authentication"):
        resolve_verification_method(f"{DID_WEB}#key-a", fetcher, purpose="authentication")
    with pytest.raises(KeyMaterialError, match=f"{DID_WEB}#key-z is not in the DID document"):
        resolve_verification_method(f"{DID_WEB}#key-z", fetcher)


@pytest.mark.parametrize(
    ("vm", "error", "text"),
    [
        (DID_WEB, InputError, "names no key"),
        (DID_WEB + "#", InputError, "names no key"),
        ("did:example:123#key-1", UnsupportedError, "DID method 'example'"),
        ("https://example.edu/issuers/565049#" + MB, UnsupportedError, "not a DID"),
        (f"{DID_KEY}#z6Mkother", InputError, "must equal its key"),
    ],
)
def test_resolve_verification_method_rejects(vm: str, error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text):
        resolve_verification_method(vm, OFFLINE)
