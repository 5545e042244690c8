"""Keys and key codecs: generate keys, and convert public keys between Multikey, JWK, PEM and did:key.

Pure code: no disk, no network, no logging. Three key types are supported (:class:`KeyType`): Ed25519 (for
``eddsa-rdfc-2022`` Data Integrity proofs), RSA of at least 2048 bits (for VC-JWT ``RS256`` and OB 2.0 signed
assertions) and ECDSA P-256 (``ES256``).

Codecs (standards-notes 3.1 and 3.3):

* Multikey ``publicKeyMultibase``: ``"z" + base58btc(multicodec varint ‖ key bytes)``. Ed25519 uses the
  prefix ``0xed 0x01`` and 32 raw bytes (``z6Mk…``); P-256 uses ``0x80 0x24`` and the 33-byte compressed point
  (``zDn…``). RSA has no Multikey form here.
* JWK (RFC 7517/7518/8037) for public keys only; RFC 7638 thumbprints.
* PEM: SubjectPublicKeyInfo for public keys; encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256 with
  :data:`PBKDF2_ROUNDS` rounds, AES-256-CBC) for private keys, readable by OpenSSL and ``cryptography``.
* ``did:key``: ``"did:key:" + publicKeyMultibase``.

Error messages never contain key bytes, passphrases or secret encodings.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final, TypeAlias

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from .errors import InputError, KeyMaterialError, UnsupportedError

__all__ = [
    "MAX_RSA_BITS",
    "MIN_PBKDF2_ROUNDS",
    "MIN_RSA_BITS",
    "PBKDF2_ROUNDS",
    "KeyType",
    "PrivateKey",
    "PublicKey",
    "base58btc_decode",
    "base58btc_encode",
    "decrypt_private_key",
    "did_key_from_public_key",
    "ed25519_private_key_from_secret_multibase",
    "ed25519_secret_multibase",
    "encrypt_private_key",
    "generate_private_key",
    "jwk_thumbprint",
    "jwk_to_public_key",
    "key_type_of",
    "multibase_to_public_key",
    "private_key_from_unencrypted_pem",
    "private_key_to_unencrypted_pem",
    "public_key_from_pem",
    "public_key_to_jwk",
    "public_key_to_multibase",
    "public_key_to_pem",
]


class KeyType(StrEnum):
    """The key types this toolkit generates, stores and verifies with."""

    ED25519 = "ed25519"
    RSA = "rsa"
    P256 = "p256"


PrivateKey: TypeAlias = Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey: TypeAlias = Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey

MIN_RSA_BITS: Final = 2048
"""RSA keys (generated, or read from a JWK or PEM) smaller than this are refused."""
MAX_RSA_BITS: Final = 16384
"""RSA keys larger than this are refused (they only cost verification time)."""
PBKDF2_ROUNDS: Final = 600_000
"""PBKDF2-HMAC-SHA256 rounds used by :func:`encrypt_private_key` (OWASP 2023 recommendation)."""
MIN_PBKDF2_ROUNDS: Final = 1_000

# ----------------------------------------------------------------------------------------------------------
# Generation and type checks


def generate_private_key(kind: KeyType, *, rsa_bits: int = MIN_RSA_BITS) -> PrivateKey:
    """Generate a new private key of type ``kind``.

    Args:
        kind: the key type.
        rsa_bits: modulus size for RSA keys; at least :data:`MIN_RSA_BITS`. Ignored for other types.

    Raises:
        KeyMaterialError: ``rsa_bits`` is out of range.
        UnsupportedError: ``kind`` is not a :class:`KeyType`.
    """
    if kind == KeyType.ED25519:
        return Ed25519PrivateKey.generate()
    if kind == KeyType.P256:
        return ec.generate_private_key(ec.SECP256R1())
    if kind == KeyType.RSA:
        if rsa_bits < MIN_RSA_BITS or rsa_bits > MAX_RSA_BITS:
            raise KeyMaterialError(
                f"an RSA key of {rsa_bits} bits is refused: use {MIN_RSA_BITS} to {MAX_RSA_BITS} bits",
                hint=f"use --rsa-bits {MIN_RSA_BITS} or more",
            )
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    raise UnsupportedError(f"key type {kind!r} is not supported (use one of {', '.join(KeyType)})")


def key_type_of(key: PrivateKey | PublicKey) -> KeyType:
    """Return the :class:`KeyType` of a private or public key.

    Raises:
        UnsupportedError: an elliptic-curve key on a curve other than P-256, or any other key class.
    """
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return KeyType.ED25519
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return KeyType.RSA
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return KeyType.P256
        raise UnsupportedError(f"elliptic curve {key.curve.name} is not supported (only P-256)")
    raise UnsupportedError(f"{type(key).__name__} keys are not supported (use Ed25519, RSA or P-256)")


def _check_public(pub: object) -> PublicKey:
    """Return ``pub`` if it is a supported public key (RSA within the size limits), else raise."""
    if isinstance(pub, Ed25519PublicKey):
        return pub
    if isinstance(pub, rsa.RSAPublicKey):
        _check_rsa_size(pub.key_size)
        return pub
    if isinstance(pub, ec.EllipticCurvePublicKey):
        key_type_of(pub)
        return pub
    raise UnsupportedError(f"{type(pub).__name__} keys are not supported (use Ed25519, RSA or P-256)")


def _check_private(priv: object) -> PrivateKey:
    if isinstance(priv, Ed25519PrivateKey):
        return priv
    if isinstance(priv, rsa.RSAPrivateKey):
        _check_rsa_size(priv.key_size)
        return priv
    if isinstance(priv, ec.EllipticCurvePrivateKey):
        key_type_of(priv)
        return priv
    raise UnsupportedError(f"{type(priv).__name__} keys are not supported (use Ed25519, RSA or P-256)")


def _check_rsa_size(bits: int) -> None:
    if bits < MIN_RSA_BITS:
        raise KeyMaterialError(f"an RSA key of {bits} bits is refused: at least {MIN_RSA_BITS} bits are needed")
    if bits > MAX_RSA_BITS:
        raise KeyMaterialError(f"an RSA key of {bits} bits is refused: at most {MAX_RSA_BITS} bits are accepted")


# ----------------------------------------------------------------------------------------------------------
# base58btc (Bitcoin alphabet)

_B58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX: Final = {c: i for i, c in enumerate(_B58_ALPHABET)}


def base58btc_encode(data: bytes) -> str:
    """Encode bytes as base58btc; each leading zero byte becomes a leading ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    digits: list[str] = []
    while n:
        n, r = divmod(n, 58)
        digits.append(_B58_ALPHABET[r])
    return "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """Decode base58btc text.

    Raises:
        InputError: a character outside the Bitcoin base58 alphabet (the message gives its position only).
    """
    n = 0
    for position, char in enumerate(text):
        value = _B58_INDEX.get(char)
        if value is None:
            raise InputError(f"the character at position {position} is not in the base58btc alphabet")
        n = n * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + n.to_bytes((n.bit_length() + 7) // 8, "big")


# ----------------------------------------------------------------------------------------------------------
# Multikey / multibase

_ED25519_PUB: Final = b"\xed\x01"
_P256_PUB: Final = b"\x80\x24"
_ED25519_PRIV: Final = b"\x80\x26"
_MAX_MULTIBASE_CHARS: Final = 200
_KNOWN_UNSUPPORTED_PREFIXES: Final = {
    b"\x81\x24": "P-384",
    b"\x82\x24": "P-521",
    b"\xe7\x01": "secp256k1",
    b"\xec\x01": "X25519",
    b"\x85\x24": "RSA",
    b"\xeb\x01": "BLS12-381 G2",
    b"\x80\x26": "Ed25519 private",
}


def public_key_to_multibase(pub: PublicKey) -> str:
    """Encode an Ed25519 or P-256 public key as a Multikey ``publicKeyMultibase`` (``z6Mk…`` / ``zDn…``).

    Raises:
        UnsupportedError: RSA keys (no Multikey form) and other curves.
    """
    kind = key_type_of(pub)
    if isinstance(pub, Ed25519PublicKey):
        return "z" + base58btc_encode(_ED25519_PUB + pub.public_bytes_raw())
    if isinstance(pub, ec.EllipticCurvePublicKey):
        point = pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        return "z" + base58btc_encode(_P256_PUB + point)
    raise UnsupportedError(f"{kind.value} keys have no Multikey encoding here (use a JWK)")


def multibase_to_public_key(mb: str) -> PublicKey:
    """Decode a Multikey ``publicKeyMultibase`` into an Ed25519 or P-256 public key.

    Strict: the value must be base58btc (``z`` prefix), carry the Ed25519 or P-256 multicodec prefix, have
    exactly the right length, and encode a valid curve point.

    Raises:
        InputError: not a base58btc multibase value, unknown prefix, or wrong length.
        UnsupportedError: a recognised but unsupported key type (P-384, secp256k1, ...).
        KeyMaterialError: the bytes are not a valid point on the curve.
    """
    if not isinstance(mb, str) or not mb.startswith("z"):
        raise InputError("a publicKeyMultibase must be a base58btc multibase string starting with 'z'")
    if len(mb) > _MAX_MULTIBASE_CHARS:
        raise InputError(f"a publicKeyMultibase of {len(mb)} characters is too long for an Ed25519 or P-256 key")
    data = base58btc_decode(mb[1:])
    prefix, body = data[:2], data[2:]
    if prefix == _ED25519_PUB:
        if len(body) != 32:
            raise InputError(f"an Ed25519 publicKeyMultibase must hold 32 key bytes, found {len(body)}")
        if not _is_ed25519_point(body):
            raise KeyMaterialError(f"publicKeyMultibase {mb} is not a valid Ed25519 point")
        return Ed25519PublicKey.from_public_bytes(body)
    if prefix == _P256_PUB:
        if len(body) != 33 or body[0] not in (2, 3):
            raise InputError(
                f"a P-256 publicKeyMultibase must hold a 33-byte compressed point, found {len(body)} bytes"
            )
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), body)
        except ValueError:
            raise KeyMaterialError(f"publicKeyMultibase {mb} is not a valid P-256 point") from None
    name = _KNOWN_UNSUPPORTED_PREFIXES.get(prefix)
    if name is not None:
        raise UnsupportedError(f"{name} multikeys are not supported (only Ed25519 and P-256 public keys)")
    raise InputError("the publicKeyMultibase does not start with the Ed25519 or P-256 multicodec prefix")


def ed25519_secret_multibase(priv: Ed25519PrivateKey) -> str:
    """Encode an Ed25519 private key as a Multikey ``secretKeyMultibase`` (``z3u2…``). Handle with care."""
    if not isinstance(priv, Ed25519PrivateKey):
        raise UnsupportedError("only Ed25519 private keys have a secretKeyMultibase encoding here")
    return "z" + base58btc_encode(_ED25519_PRIV + priv.private_bytes_raw())


def ed25519_private_key_from_secret_multibase(mb: str) -> Ed25519PrivateKey:
    """Decode a Multikey ``secretKeyMultibase`` (``z3u2…``) into an Ed25519 private key.

    Raises:
        InputError: not a base58btc value with the ``ed25519-priv`` prefix and a 32-byte seed. The message
            never repeats the value.
    """
    if not isinstance(mb, str) or not mb.startswith("z") or len(mb) > _MAX_MULTIBASE_CHARS:
        raise InputError("a secretKeyMultibase must be a base58btc multibase string starting with 'z'")
    data = base58btc_decode(mb[1:])
    if data[:2] != _ED25519_PRIV or len(data) != 34:
        raise InputError("the secretKeyMultibase is not an Ed25519 private key (prefix 0x8026 and 32 bytes)")
    return Ed25519PrivateKey.from_private_bytes(data[2:])


_ED_P: Final = 2**255 - 19
_ED_D: Final = (-121665 * pow(121666, -1, 2**255 - 19)) % (2**255 - 19)


def _is_ed25519_point(raw: bytes) -> bool:
    """RFC 8032 §5.1.3: ``raw`` is a canonical encoding of a point on edwards25519."""
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    sign = raw[31] >> 7
    if y >= _ED_P:
        return False
    u = (y * y - 1) % _ED_P
    v = (_ED_D * y * y + 1) % _ED_P
    x2 = u * pow(v, -1, _ED_P) % _ED_P
    if x2 == 0:
        return sign == 0
    return pow(x2, (_ED_P - 1) // 2, _ED_P) == 1


def did_key_from_public_key(pub: PublicKey) -> str:
    """Return the ``did:key`` DID of an Ed25519 or P-256 public key (``did:key:`` + publicKeyMultibase).

    Raises:
        UnsupportedError: RSA keys.
    """
    return "did:key:" + public_key_to_multibase(pub)


# ----------------------------------------------------------------------------------------------------------
# JWK

_PRIVATE_JWK_MEMBERS: Final = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_B64URL_RE: Final = re.compile(r"[A-Za-z0-9_-]*")
_THUMBPRINT_MEMBERS: Final = {
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "RSA": ("e", "kty", "n"),
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(value: object, member: str) -> bytes:
    """Strict unpadded base64url, as JWK requires; ``member`` names the JWK member in the error."""
    if not isinstance(value, str) or not value or _B64URL_RE.fullmatch(value) is None or len(value) % 4 == 1:
        raise InputError(f"JWK member {member!r} must be a non-empty unpadded base64url string")
    data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if _b64url(data) != value:
        raise InputError(f"JWK member {member!r} is not canonical base64url")
    return data


def _uint_bytes(n: int, length: int | None = None) -> bytes:
    return n.to_bytes(length if length is not None else max(1, (n.bit_length() + 7) // 8), "big")


def public_key_to_jwk(pub: PublicKey) -> dict[str, str]:
    """Return the public JWK of a key: OKP ``{kty, crv, x}``, RSA ``{kty, n, e}``, EC ``{kty, crv, x, y}``.

    Never contains private members. Raises UnsupportedError for unsupported keys.
    """
    _check_public(pub)
    if isinstance(pub, Ed25519PublicKey):
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(pub.public_bytes_raw())}
    if isinstance(pub, rsa.RSAPublicKey):
        numbers = pub.public_numbers()
        return {"kty": "RSA", "n": _b64url(_uint_bytes(numbers.n)), "e": _b64url(_uint_bytes(numbers.e))}
    point = pub.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(_uint_bytes(point.x, 32)),
        "y": _b64url(_uint_bytes(point.y, 32)),
    }


def jwk_to_public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """Read a public JWK (OKP/Ed25519, RSA ≥ 2048 bits, EC/P-256); ``kid``, ``alg``, ``use`` are ignored.

    Raises:
        KeyMaterialError: the JWK carries private members (``d``, ``p``, ``q``, ...), is an RSA key under 2048
            bits, or is not a valid point.
        InputError: not a JSON object, or a required member is missing or not base64url.
        UnsupportedError: another ``kty`` or ``crv``.
    """
    if not isinstance(jwk, Mapping):
        raise InputError("a JWK must be a JSON object")
    private = [m for m in _PRIVATE_JWK_MEMBERS if m in jwk]
    if private:
        raise KeyMaterialError(
            f"the JWK contains private key member(s) {', '.join(repr(m) for m in private)}; "
            "only public JWKs are accepted"
        )
    kty = jwk.get("kty")
    if kty == "OKP":
        if jwk.get("crv") != "Ed25519":
            raise UnsupportedError(f"OKP JWK curve {jwk.get('crv')!r} is not supported (only Ed25519)")
        x = _b64url_decode(jwk.get("x"), "x")
        if len(x) != 32:
            raise InputError(f"an Ed25519 JWK 'x' must be 32 bytes, found {len(x)}")
        if not _is_ed25519_point(x):
            raise KeyMaterialError("the Ed25519 JWK 'x' is not a valid Ed25519 point")
        return Ed25519PublicKey.from_public_bytes(x)
    if kty == "EC":
        if jwk.get("crv") != "P-256":
            raise UnsupportedError(f"EC JWK curve {jwk.get('crv')!r} is not supported (only P-256)")
        x, y = _b64url_decode(jwk.get("x"), "x"), _b64url_decode(jwk.get("y"), "y")
        if len(x) != 32 or len(y) != 32:
            raise InputError("a P-256 JWK 'x' and 'y' must be 32 bytes each")
        numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1())
        try:
            return numbers.public_key()
        except ValueError:
            raise KeyMaterialError("the P-256 JWK 'x'/'y' is not a valid point on the curve") from None
    if kty == "RSA":
        n = int.from_bytes(_b64url_decode(jwk.get("n"), "n"), "big")
        e = int.from_bytes(_b64url_decode(jwk.get("e"), "e"), "big")
        _check_rsa_size(n.bit_length())
        try:
            return rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError:
            raise KeyMaterialError("the RSA JWK has an invalid modulus or exponent") from None
    if isinstance(kty, str):
        raise UnsupportedError(f"JWK key type {kty!r} is not supported (use OKP, EC or RSA)")
    raise InputError("a JWK needs a string 'kty' member")


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, unpadded base64url) over the required members of an OKP/EC/RSA key.

    Raises:
        InputError: unknown ``kty`` or a required member is missing or not a string.
    """
    kty = jwk.get("kty") if isinstance(jwk, Mapping) else None
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None:
        raise InputError(f"a JWK thumbprint needs kty EC, OKP or RSA, found {kty!r}")
    required: dict[str, str] = {}
    for member in members:
        value = jwk.get(member)
        if not isinstance(value, str):
            raise InputError(f"a {kty} JWK needs a string {member!r} member for its thumbprint")
        required[member] = value
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


# ----------------------------------------------------------------------------------------------------------
# PEM


def _as_bytes(pem: str | bytes) -> bytes:
    return pem.encode("ascii", errors="replace") if isinstance(pem, str) else bytes(pem)


def public_key_to_pem(pub: PublicKey) -> str:
    """Return the SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``) of a public key."""
    _check_public(pub)
    der = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return der.decode("ascii")


def public_key_from_pem(pem: str | bytes) -> PublicKey:
    """Read a SubjectPublicKeyInfo PEM public key.

    Raises:
        InputError: not a PEM public key.
        UnsupportedError / KeyMaterialError: an unsupported key type, or RSA under 2048 bits.
    """
    try:
        pub = serialization.load_pem_public_key(_as_bytes(pem))
    except (ValueError, TypeError):
        raise InputError("the text is not a PEM public key (expected -----BEGIN PUBLIC KEY-----)") from None
    return _check_public(pub)


# PKCS#8 EncryptedPrivateKeyInfo with PBES2 (RFC 8018), built here so the PBKDF2 round count can be set:
# cryptography's BestAvailableEncryption uses only 2048 rounds for PKCS#8.
_OID_PBES2: Final = "1.2.840.113549.1.5.13"
_OID_PBKDF2: Final = "1.2.840.113549.1.5.12"
_OID_HMAC_SHA256: Final = "1.2.840.113549.2.9"
_OID_AES256_CBC: Final = "2.16.840.1.101.3.4.1.42"


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = _uint_bytes(length)
    return bytes([tag, 0x80 | len(size)]) + size + content


def _der_seq(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _der_int(n: int) -> bytes:
    return _der(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big"))


def _der_oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        out.extend(reversed(chunk))
    return _der(0x06, bytes(out))


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n").encode("ascii")


def encrypt_private_key(priv: PrivateKey, passphrase: bytes, *, rounds: int = PBKDF2_ROUNDS) -> bytes:
    """Return ``priv`` as an encrypted PKCS#8 PEM (``-----BEGIN ENCRYPTED PRIVATE KEY-----``).

    PBES2 with PBKDF2-HMAC-SHA256 (``rounds`` rounds, 16-byte random salt) and AES-256-CBC; OpenSSL
    (``openssl pkey``) and ``cryptography`` read it.

    Raises:
        KeyMaterialError: empty passphrase, or ``rounds`` below :data:`MIN_PBKDF2_ROUNDS`.
    """
    _check_private(priv)
    if not isinstance(passphrase, bytes) or not passphrase:
        raise KeyMaterialError("an empty passphrase is refused", hint="set BADGE_PASSPHRASE to a long passphrase")
    if rounds < MIN_PBKDF2_ROUNDS:
        raise KeyMaterialError(f"{rounds} PBKDF2 rounds are too few (at least {MIN_PBKDF2_ROUNDS})")
    plain = priv.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, iv = os.urandom(16), os.urandom(16)
    key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=rounds).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    kdf = _der_seq(
        _der_oid(_OID_PBKDF2),
        _der_seq(_der(0x04, salt), _der_int(rounds), _der_seq(_der_oid(_OID_HMAC_SHA256), b"\x05\x00")),
    )
    scheme = _der_seq(_der_oid(_OID_AES256_CBC), _der(0x04, iv))
    algorithm = _der_seq(_der_oid(_OID_PBES2), _der_seq(kdf, scheme))
    return _pem("ENCRYPTED PRIVATE KEY", _der_seq(algorithm, _der(0x04, ciphertext)))


def decrypt_private_key(pem: bytes | str, passphrase: bytes, *, label: str = "(unnamed)") -> PrivateKey:
    """Decrypt an encrypted PKCS#8 PEM private key.

    Args:
        pem: the ``-----BEGIN ENCRYPTED PRIVATE KEY-----`` text.
        passphrase: the passphrase it was encrypted with.
        label: names the key in error messages, e.g. ``ctq/key-1a2b3c4d``.

    Raises:
        KeyMaterialError: wrong passphrase (``the passphrase does not decrypt key <label>``), not an encrypted
            PKCS#8 PEM, or an unencrypted key. Messages never contain key material.
        UnsupportedError: a key type other than Ed25519, RSA or P-256.
    """
    data = _as_bytes(pem)
    if b"-----BEGIN ENCRYPTED PRIVATE KEY-----" not in data:
        raise KeyMaterialError(f"key {label} is not an encrypted PKCS#8 PEM")
    if not isinstance(passphrase, bytes) or not passphrase:
        raise KeyMaterialError(f"key {label} is encrypted and no passphrase was given")
    try:
        priv = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError):
        raise KeyMaterialError(f"the passphrase does not decrypt key {label}") from None
    return _check_private(priv)


def private_key_to_unencrypted_pem(priv: PrivateKey) -> bytes:
    """Return ``priv`` as an UNENCRYPTED PKCS#8 PEM. Only for an explicit user request (``--unencrypted``)."""
    _check_private(priv)
    return priv.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_key_from_unencrypted_pem(pem: bytes | str, *, label: str = "(unnamed)") -> PrivateKey:
    """Read an unencrypted PKCS#8 (or traditional) PEM private key.

    Raises:
        KeyMaterialError: the PEM is encrypted, or is not a private key.
    """
    data = _as_bytes(pem)
    try:
        priv = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyMaterialError(f"key {label} is encrypted: a passphrase is needed") from None
    except ValueError:
        raise KeyMaterialError(f"key {label} is not a PEM private key") from None
    return _check_private(priv)
