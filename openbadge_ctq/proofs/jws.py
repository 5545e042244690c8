"""Compact JWS (RFC 7515) with an algorithm allow-list bound to the key type, strict base64url and size caps.

Algorithms: ``RS256`` (RSA ≥ 2048), ``ES256`` (P-256, raw r‖s signatures), ``EdDSA`` (Ed25519). Anything else —
``none``, ``HS256`` and the rest — is refused, and the algorithm must match the key's type, so an RSA public key
can never be used as an HMAC secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ..errors import InputError, KeyMaterialError, UnsupportedError
from ..keys import PrivateKey, PublicKey

__all__ = [
    "ALGORITHMS",
    "MAX_JWS_BYTES",
    "DecodedJws",
    "alg_for_key",
    "b64url_decode",
    "b64url_encode",
    "decode_compact",
    "encode_compact",
    "looks_like_compact_jws",
    "verify_signature",
]

ALGORITHMS = ("RS256", "ES256", "EdDSA")
MAX_JWS_BYTES = 2 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_B64URL_INDEX = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, what: str = "JWS part") -> bytes:
    """Strict base64url without padding: a non-canonical encoding (e.g. set padding bits) is refused."""
    if _B64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise InputError(f"{what} is not valid base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InputError(f"{what} is not valid base64url") from None
    # canonical: the unused low bits of the last character must be zero (otherwise two texts decode alike)
    tail = len(text) % 4
    if tail and _B64URL_INDEX[text[-1]] & (0x0F if tail == 2 else 0x03):
        raise InputError(f"{what} is not canonical base64url")
    return data


def looks_like_compact_jws(text: str) -> bool:
    parts = text.strip().split(".")
    return len(parts) == 3 and all(_B64URL.fullmatch(p) is not None for p in parts) and bool(parts[0])


def alg_for_key(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, RSAPrivateKey | RSAPublicKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise UnsupportedError(f"elliptic curve {key.curve.name} is not supported (expected P-256)")
        return "ES256"
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return "EdDSA"
    raise UnsupportedError(f"key type {type(key).__name__} cannot sign a JWS")


def _sign(key: PrivateKey, alg: str, data: bytes) -> bytes:
    if alg == "RS256" and isinstance(key, RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "EdDSA" and isinstance(key, Ed25519PrivateKey):
        return key.sign(data)
    raise KeyMaterialError(f"a {type(key).__name__} cannot sign with {alg}")


def encode_compact(header: Mapping[str, Any], payload: Mapping[str, Any] | bytes, key: PrivateKey) -> str:
    """Sign and serialise. ``header['alg']`` must be the algorithm of ``key``."""
    alg = header.get("alg")
    if alg != alg_for_key(key):
        raise KeyMaterialError(f"JWS alg {alg!r} does not match the key type (expected {alg_for_key(key)})")
    body = (
        payload
        if isinstance(payload, bytes)
        else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    )
    signing_input = b64url_encode(json.dumps(dict(header), separators=(",", ":")).encode()) + "." + b64url_encode(body)
    return signing_input + "." + b64url_encode(_sign(key, str(alg), signing_input.encode("ascii")))


@dataclass(frozen=True, slots=True)
class DecodedJws:
    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes

    def payload_json(self) -> Any:
        try:
            return json.loads(self.payload)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
            raise InputError("JWS payload is not valid JSON") from None


def decode_compact(token: str, *, allowed_header_params: Collection[str] | None = None) -> DecodedJws:
    """Parse a compact JWS without verifying it. Raises InputError/UnsupportedError for malformed input."""
    token = token.strip()
    if len(token) > MAX_JWS_BYTES:
        raise InputError(f"JWS is larger than {MAX_JWS_BYTES} bytes")
    parts = token.split(".")
    if len(parts) != 3:
        raise InputError(f"compact JWS must have 3 dot-separated parts, found {len(parts)}")
    h64, p64, s64 = parts
    if len(h64) > MAX_HEADER_BYTES:
        raise InputError(f"JWS header is larger than {MAX_HEADER_BYTES} bytes")
    header_bytes = b64url_decode(h64, what="JWS header")
    try:
        header = json.loads(header_bytes)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
        raise InputError("JWS header is not valid JSON") from None
    if not isinstance(header, dict):
        raise InputError("JWS header must be a JSON object")
    if header.get("alg") not in ALGORITHMS:
        raise UnsupportedError(f"JWS alg {header.get('alg')!r} is not allowed (allowed: {', '.join(ALGORITHMS)})")
    if "crit" in header:
        raise UnsupportedError("JWS header has 'crit' parameters, which are not supported")
    if allowed_header_params is not None:
        extra = sorted(set(header) - set(allowed_header_params))
        if extra:
            raise InputError(
                f"JWS header has parameters {', '.join(extra)}; only "
                f"{', '.join(sorted(allowed_header_params))} are allowed"
            )
    return DecodedJws(
        header=header,
        payload=b64url_decode(p64, what="JWS payload"),
        signing_input=f"{h64}.{p64}".encode("ascii"),
        signature=b64url_decode(s64, what="JWS signature"),
    )


def verify_signature(jws: DecodedJws, key: PublicKey) -> bool:
    """True when the signature is valid for ``key`` with the header's alg, which must fit the key type."""
    alg = jws.header.get("alg")
    if alg != alg_for_key(key):
        return False
    try:
        if isinstance(key, RSAPublicKey):
            if key.key_size < 2048:
                return False
            key.verify(jws.signature, jws.signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if len(jws.signature) != 64:
                return False
            r = int.from_bytes(jws.signature[:32], "big")
            s = int.from_bytes(jws.signature[32:], "big")
            key.verify(encode_dss_signature(r, s), jws.signing_input, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(jws.signature, jws.signing_input)
    except InvalidSignature:
        return False
    return True
