"""openbadge_ctq.keys: generation, base58btc, Multikey, JWK, PEM and did:key codecs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from openbadge_ctq.errors import InputError, KeyMaterialError, UnsupportedError
from openbadge_ctq.keys import (
    MIN_PBKDF2_ROUNDS,
    KeyType,
    PrivateKey,
    PublicKey,
    base58btc_decode,
    base58btc_encode,
    decrypt_private_key,
    did_key_from_public_key,
    ed25519_private_key_from_secret_multibase,
    ed25519_secret_multibase,
    encrypt_private_key,
    generate_private_key,
    jwk_thumbprint,
    jwk_to_public_key,
    key_type_of,
    multibase_to_public_key,
    private_key_from_unencrypted_pem,
    private_key_to_unencrypted_pem,
    public_key_from_pem,
    public_key_to_jwk,
    public_key_to_multibase,
    public_key_to_pem,
)

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
FAST_ROUNDS = MIN_PBKDF2_ROUNDS

# RFC 7638 §3.1
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXj"
        "BZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqz"
        "s8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G"
        "_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    key = generate_private_key(KeyType.RSA)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.fixture(scope="session")
def all_keys(rsa_key: rsa.RSAPrivateKey) -> list[PrivateKey]:
    return [generate_private_key(KeyType.ED25519), rsa_key, generate_private_key(KeyType.P256)]


def _raw(pub: PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# -- vectors ---------------------------------------------------------------------------------------------


def test_vc_di_eddsa_key_pair(vectors: Path) -> None:
    pair = _load(vectors / "test-vectors/vc-di-eddsa/keyPair.json")
    private = ed25519_private_key_from_secret_multibase(pair["privateKeyMultibase"])
    assert ed25519_secret_multibase(private) == pair["privateKeyMultibase"]
    public = private.public_key()
    assert public_key_to_multibase(public) == pair["publicKeyMultibase"]
    decoded = multibase_to_public_key(pair["publicKeyMultibase"])
    assert isinstance(decoded, Ed25519PublicKey)
    assert decoded.public_bytes_raw() == public.public_bytes_raw()
    assert did_key_from_public_key(public) == "did:key:" + pair["publicKeyMultibase"]


def test_ob3_impl_guide_vector(vectors: Path) -> None:
    vector = _load(vectors / "test-vectors/ob-v3p0-impl-guide/obv3p0/vector.json")
    expected = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    assert vector["publicKeyMultibase"] == expected
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(vector["publicKeyHex"]))
    assert public_key_to_multibase(public) == expected
    decoded = multibase_to_public_key(expected)
    assert isinstance(decoded, Ed25519PublicKey)
    assert decoded.public_bytes_raw().hex() == vector["publicKeyHex"]
    seed = bytes.fromhex(vector["privateKeyHex_64byte_seed_plus_public"])[:32]
    private = Ed25519PrivateKey.from_private_bytes(seed)
    assert public_key_to_multibase(private.public_key()) == expected
    assert ed25519_private_key_from_secret_multibase(ed25519_secret_multibase(private)).private_bytes_raw() == seed


def test_rfc7638_thumbprint() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT
    required_only = {k: RFC7638_JWK[k] for k in ("kty", "n", "e")}
    assert jwk_thumbprint(required_only) == RFC7638_THUMBPRINT
    key = jwk_to_public_key(RFC7638_JWK)  # alg and kid are ignored
    assert isinstance(key, rsa.RSAPublicKey)
    assert public_key_to_jwk(key) == required_only


# -- base58btc -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"\0", "1"),
        (b"\0\0\x01", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
    ],
)
def test_base58btc_known_values(data: bytes, text: str) -> None:
    assert base58btc_encode(data) == text
    assert base58btc_decode(text) == data


@given(st.binary(max_size=80))
def test_base58btc_round_trip(data: bytes) -> None:
    assert base58btc_decode(base58btc_encode(data)) == data


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc+", "z z"])
def test_base58btc_rejects_other_characters(bad: str) -> None:
    with pytest.raises(InputError, match="base58btc alphabet"):
        base58btc_decode(bad)


# -- Multikey --------------------------------------------------------------------------------------------


@settings(max_examples=50)
@given(st.binary(min_size=32, max_size=32))
def test_ed25519_multibase_round_trip(seed: bytes) -> None:
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    mb = public_key_to_multibase(public)
    assert mb.startswith("z6Mk")
    decoded = multibase_to_public_key(mb)
    assert isinstance(decoded, Ed25519PublicKey)
    assert decoded.public_bytes_raw() == public.public_bytes_raw()


@settings(max_examples=30)
@given(st.integers(min_value=1, max_value=P256_ORDER - 1))
def test_p256_multibase_round_trip(secret: int) -> None:
    public = ec.derive_private_key(secret, ec.SECP256R1()).public_key()
    mb = public_key_to_multibase(public)
    assert mb.startswith("zDn")
    assert _raw(multibase_to_public_key(mb)) == _raw(public)
    assert did_key_from_public_key(public) == "did:key:" + mb


def test_rsa_has_no_multibase(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(UnsupportedError, match="no Multikey"):
        public_key_to_multibase(rsa_key.public_key())
    with pytest.raises(UnsupportedError):
        did_key_from_public_key(rsa_key.public_key())


def _mb(prefix: bytes, body: bytes) -> str:
    return "z" + base58btc_encode(prefix + body)


@pytest.mark.parametrize(
    ("value", "error", "text"),
    [
        ("", InputError, "starting with 'z'"),
        ("u7QE", InputError, "starting with 'z'"),
        ("6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi", InputError, "starting with 'z'"),
        (_mb(b"\xed\x01", b"\x01" * 33), InputError, "32 key bytes, found 33"),
        ("z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hw0", InputError, "base58btc alphabet"),
        (_mb(b"\xed\x01", b"\x01" * 31), InputError, "found 31"),
        (_mb(b"\x80\x24", b"\x02" + b"\x01" * 31), InputError, "33-byte compressed point"),
        (_mb(b"\x80\x24", b"\x04" + b"\x01" * 32), InputError, "33-byte compressed point"),
        (_mb(b"\x12\x34", b"\x01" * 32), InputError, "multicodec prefix"),
        (_mb(b"\x81\x24", b"\x02" + b"\x01" * 48), UnsupportedError, "P-384"),
        (_mb(b"\xe7\x01", b"\x02" + b"\x01" * 32), UnsupportedError, "secp256k1"),
        (_mb(b"\x80\x26", b"\x01" * 32), UnsupportedError, "private"),
        (_mb(b"\xed\x01", b"\xff" * 32), KeyMaterialError, "not a valid Ed25519 point"),
        ("z" + "2" * 300, InputError, "too long"),
    ],
)
def test_multibase_rejects_bad_values(value: str, error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text) as info:
        multibase_to_public_key(value)
    assert "\n" not in str(info.value)


def test_multibase_rejects_a_p256_x_not_on_the_curve() -> None:
    for x in range(2, 200):
        body = b"\x02" + x.to_bytes(32, "big")
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), body)
        except ValueError:
            break
    else:  # pragma: no cover - about half of all x values are not on the curve
        pytest.fail("no invalid x found")
    with pytest.raises(KeyMaterialError, match="not a valid P-256 point"):
        multibase_to_public_key(_mb(b"\x80\x24", body))


def test_ed25519_non_square_point_is_rejected() -> None:
    # y = 2 has no x on edwards25519 (u/v is not a square mod p)
    with pytest.raises(KeyMaterialError, match="not a valid Ed25519 point"):
        multibase_to_public_key(_mb(b"\xed\x01", (2).to_bytes(32, "little")))


def test_secret_multibase_rejects_public_values_without_echoing_them() -> None:
    public_mb = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    with pytest.raises(InputError) as info:
        ed25519_private_key_from_secret_multibase(public_mb)
    assert public_mb not in str(info.value)
    with pytest.raises(UnsupportedError):
        ed25519_secret_multibase(generate_private_key(KeyType.P256))  # type: ignore[arg-type]


# -- JWK -------------------------------------------------------------------------------------------------


@settings(max_examples=50)
@given(st.binary(min_size=32, max_size=32))
def test_ed25519_jwk_round_trip(seed: bytes) -> None:
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    jwk = public_key_to_jwk(public)
    assert set(jwk) == {"kty", "crv", "x"}
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert _raw(jwk_to_public_key(jwk)) == _raw(public)


@settings(max_examples=30)
@given(st.integers(min_value=1, max_value=P256_ORDER - 1))
def test_p256_jwk_round_trip(secret: int) -> None:
    public = ec.derive_private_key(secret, ec.SECP256R1()).public_key()
    jwk = public_key_to_jwk(public)
    assert set(jwk) == {"kty", "crv", "x", "y"}
    assert len(jwk["x"]) == len(jwk["y"]) == 43
    assert _raw(jwk_to_public_key(jwk)) == _raw(public)
    assert len(jwk_thumbprint(jwk)) == 43


def test_rsa_jwk_round_trip(rsa_key: rsa.RSAPrivateKey) -> None:
    jwk = public_key_to_jwk(rsa_key.public_key())
    assert set(jwk) == {"kty", "n", "e"}
    assert jwk["e"] == "AQAB"
    assert _raw(jwk_to_public_key(jwk)) == _raw(rsa_key.public_key())


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi"])
def test_jwk_with_private_members_is_rejected(member: str) -> None:
    jwk = {**public_key_to_jwk(generate_private_key(KeyType.ED25519).public_key()), member: "AAAA"}
    with pytest.raises(KeyMaterialError, match=f"private key member.*'{member}'"):
        jwk_to_public_key(jwk)


def test_rsa_jwk_under_2048_bits_is_rejected() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    numbers = small.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "n": base64url(numbers.n.to_bytes(128, "big")),
        "e": "AQAB",
    }
    with pytest.raises(KeyMaterialError, match="1024 bits is refused"):
        jwk_to_public_key(jwk)
    with pytest.raises(KeyMaterialError, match="1024 bits is refused"):
        public_key_from_pem(
            small.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("jwk", "error", "text"),
    [
        ({"kty": "OKP", "crv": "Ed448", "x": "AAAA"}, UnsupportedError, "Ed448"),
        ({"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"}, UnsupportedError, "P-384"),
        ({"kty": "foo"}, UnsupportedError, "'foo'"),
        ({}, InputError, "'kty'"),
        ({"kty": "OKP", "crv": "Ed25519"}, InputError, "'x'"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, InputError, "32 bytes"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "a" * 42 + "A="}, InputError, "base64url"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "a" * 42 + "B"}, InputError, "canonical"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "a+" * 21 + "A"}, InputError, "base64url"),
        ({"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}, KeyMaterialError, "not a valid point"),
        ({"kty": "EC", "crv": "P-256", "x": "A" * 43}, InputError, "'y'"),
    ],
)
def test_jwk_rejects_bad_values(jwk: dict[str, str], error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text):
        jwk_to_public_key(jwk)


def test_jwk_to_public_key_needs_a_mapping() -> None:
    with pytest.raises(InputError, match="JSON object"):
        jwk_to_public_key(["kty"])  # type: ignore[arg-type]


def test_thumbprint_rejects_incomplete_jwks() -> None:
    with pytest.raises(InputError, match="kty EC, OKP or RSA"):
        jwk_thumbprint({"kty": "oct", "k": "AAAA"})
    with pytest.raises(InputError, match="'n'"):
        jwk_thumbprint({"kty": "RSA", "e": "AQAB"})


# -- types, generation -----------------------------------------------------------------------------------


def test_generate_and_key_type_of(all_keys: list[PrivateKey]) -> None:
    assert [key_type_of(k) for k in all_keys] == [KeyType.ED25519, KeyType.RSA, KeyType.P256]
    assert [key_type_of(k.public_key()) for k in all_keys] == [KeyType.ED25519, KeyType.RSA, KeyType.P256]
    p256 = all_keys[2]
    assert isinstance(p256, ec.EllipticCurvePrivateKey)
    assert isinstance(p256.curve, ec.SECP256R1)


def test_rsa_below_2048_bits_is_refused() -> None:
    with pytest.raises(KeyMaterialError, match="1024 bits is refused") as info:
        generate_private_key(KeyType.RSA, rsa_bits=1024)
    assert info.value.hint == "use --rsa-bits 2048 or more"


def test_other_curves_are_unsupported() -> None:
    with pytest.raises(UnsupportedError, match="secp384r1"):
        key_type_of(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(UnsupportedError, match="Ed448"):
        key_type_of(ed448.Ed448PrivateKey.generate())  # type: ignore[arg-type]
    with pytest.raises(UnsupportedError):
        generate_private_key("dsa")  # type: ignore[arg-type]


# -- PEM -------------------------------------------------------------------------------------------------


def test_public_pem_round_trip(all_keys: list[PrivateKey]) -> None:
    for key in all_keys:
        pem = public_key_to_pem(key.public_key())
        assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
        assert _raw(public_key_from_pem(pem)) == _raw(key.public_key())
        assert _raw(public_key_from_pem(pem.encode())) == _raw(key.public_key())


def test_public_key_from_pem_rejects_other_input() -> None:
    with pytest.raises(InputError, match="not a PEM public key"):
        public_key_from_pem("hello")
    ed448_pem = (
        ed448.Ed448PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(UnsupportedError, match="Ed448"):
        public_key_from_pem(ed448_pem)


def test_encrypted_pem_round_trip(all_keys: list[PrivateKey]) -> None:
    for key in all_keys:
        pem = encrypt_private_key(key, b"correct horse", rounds=FAST_ROUNDS)
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
        loaded = decrypt_private_key(pem, b"correct horse")
        assert _raw(loaded.public_key()) == _raw(key.public_key())
        # the standard loader reads our PKCS#8 too
        standard = serialization.load_pem_private_key(pem, password=b"correct horse")
        assert _raw(standard.public_key()) == _raw(key.public_key())  # type: ignore[arg-type]


def test_default_encryption_uses_600000_pbkdf2_rounds() -> None:
    key = generate_private_key(KeyType.ED25519)
    pem = encrypt_private_key(key, b"pw")
    raw = base64.b64decode(b"".join(pem.splitlines()[1:-1]))
    assert (600_000).to_bytes(3, "big") in raw
    assert decrypt_private_key(pem, b"pw").private_bytes_raw() == key.private_bytes_raw()  # type: ignore[union-attr]


def test_wrong_passphrase_is_one_line_without_key_material() -> None:
    key = generate_private_key(KeyType.ED25519)
    pem = encrypt_private_key(key, b"right passphrase", rounds=FAST_ROUNDS)
    with pytest.raises(KeyMaterialError) as info:
        decrypt_private_key(pem, b"wrong passphrase", label="ctq/key-abc")
    message = str(info.value)
    assert message == "the passphrase does not decrypt key ctq/key-abc"
    assert "\n" not in message
    assert "passphrase" in message and "wrong passphrase" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_empty_passphrase_and_too_few_rounds_are_refused() -> None:
    key = generate_private_key(KeyType.ED25519)
    with pytest.raises(KeyMaterialError, match="empty passphrase"):
        encrypt_private_key(key, b"")
    with pytest.raises(KeyMaterialError, match="too few"):
        encrypt_private_key(key, b"pw", rounds=10)
    with pytest.raises(KeyMaterialError, match="no passphrase"):
        decrypt_private_key(encrypt_private_key(key, b"pw", rounds=FAST_ROUNDS), b"")


def test_unencrypted_pem_only_on_request() -> None:
    key = generate_private_key(KeyType.P256)
    pem = private_key_to_unencrypted_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert _raw(private_key_from_unencrypted_pem(pem).public_key()) == _raw(key.public_key())
    with pytest.raises(KeyMaterialError, match="not an encrypted PKCS#8 PEM"):
        decrypt_private_key(pem, b"pw", label="x")
    encrypted = encrypt_private_key(key, b"pw", rounds=FAST_ROUNDS)
    with pytest.raises(KeyMaterialError, match="is encrypted"):
        private_key_from_unencrypted_pem(encrypted, label="x")
    with pytest.raises(KeyMaterialError, match="not a PEM private key"):
        private_key_from_unencrypted_pem(b"nonsense", label="x")
