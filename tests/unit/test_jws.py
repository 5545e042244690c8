"""Compact JWS hardening: algorithm allow-list bound to key type, strict base64url, header limits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from openbadge_ctq.errors import InputError, UnsupportedError
from openbadge_ctq.proofs.jws import (
    b64url_decode,
    b64url_encode,
    decode_compact,
    encode_compact,
    verify_signature,
)


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", "PS256", None])
def test_disallowed_algorithms_are_refused(alg: str | None) -> None:
    token = f"{_b64({'alg': alg})}.{_b64({'a': 1})}.sig"
    with pytest.raises(UnsupportedError, match="not allowed"):
        decode_compact(token)


def test_rs256_public_key_as_hmac_secret_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = rsa_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_b64({'alg': 'HS256'})}.{_b64({'iss': 'x'})}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(UnsupportedError):
        decode_compact(signing_input + "." + b64url_encode(mac))


@pytest.mark.parametrize("kind", ["rsa", "p256", "ed25519"])
def test_sign_and_verify_each_algorithm(kind: str, rsa_key: rsa.RSAPrivateKey) -> None:
    key = {
        "rsa": rsa_key,
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "ed25519": Ed25519PrivateKey.generate(),
    }[kind]
    alg = {"rsa": "RS256", "p256": "ES256", "ed25519": "EdDSA"}[kind]
    token = encode_compact({"alg": alg}, {"hello": "world"}, key)  # type: ignore[arg-type]
    decoded = decode_compact(token)
    assert verify_signature(decoded, key.public_key())  # type: ignore[arg-type]
    other = Ed25519PrivateKey.generate().public_key()
    assert not verify_signature(decoded, other)


def test_alg_must_match_key_type(rsa_key: rsa.RSAPrivateKey) -> None:
    token = encode_compact({"alg": "EdDSA"}, {"a": 1}, Ed25519PrivateKey.generate())
    assert not verify_signature(decode_compact(token), rsa_key.public_key())


def test_non_canonical_base64url_is_refused() -> None:
    # "QQ" decodes to b"A"; "QR" decodes to the same byte with non-zero padding bits
    assert b64url_decode("QQ") == b"A"
    with pytest.raises(InputError, match="canonical"):
        b64url_decode("QR")
    with pytest.raises(InputError):
        b64url_decode("Q===")


@pytest.mark.parametrize(
    "token,message",
    [
        ("a.b", "3 dot-separated parts"),
        ("a.b.c.d", "3 dot-separated parts"),
        ("!!!.e30.sig", "base64url"),
        (f"{_b64([1])}.e30.c2ln", "JSON object"),
        (f"{_b64({'alg': 'EdDSA', 'crit': ['x']})}.e30.c2ln", "crit"),
    ],
)
def test_malformed_tokens_give_one_line_errors(token: str, message: str) -> None:
    with pytest.raises((InputError, UnsupportedError), match=message) as info:
        decode_compact(token)
    assert "\n" not in str(info.value)


def test_header_parameters_are_allow_listed() -> None:
    token = f"{_b64({'alg': 'EdDSA', 'x5u': 'https://evil.example/'})}.e30.c2ln"
    with pytest.raises(InputError, match="x5u"):
        decode_compact(token, allowed_header_params={"alg", "kid", "jwk", "typ"})


def test_oversized_token_is_refused() -> None:
    with pytest.raises(InputError, match="larger"):
        decode_compact("a" * (3 * 1024 * 1024))
