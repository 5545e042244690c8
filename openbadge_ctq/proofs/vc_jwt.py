"""VC-JWT as Open Badges 3.0 specifies it: the credential itself is the JWT payload, plus registered claims.

Issued payload: the credential JSON + ``iss`` (issuer id), ``jti`` (credential id), ``sub`` (credentialSubject.id,
when the subject has one), ``nbf`` (validFrom), ``exp`` (validUntil, when present). Header: ``alg``, ``typ: JWT``
and ``kid`` (a verification method URL) and/or ``jwk`` (public key only). No other header parameters.

Read as well: the VC 1.1 form whose payload wraps the credential in a ``vc`` claim (reported as legacy).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..errors import InputError
from ..interfaces import JSONObject
from ..keys import PrivateKey, public_key_to_jwk
from ..timefmt import parse_datetime
from .jws import DecodedJws, alg_for_key, decode_compact, encode_compact

__all__ = ["HEADER_PARAMS", "ParsedJwt", "claim_problems", "parse_jwt", "registered_claims", "sign_jwt"]

HEADER_PARAMS = frozenset({"alg", "kid", "jwk", "typ"})
_CLAIMS = ("iss", "jti", "sub", "nbf", "exp", "iat", "aud")


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _subject_id(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    if isinstance(subject, Mapping) and isinstance(subject.get("id"), str):
        return str(subject["id"])
    return None


def _numeric_date(value: Any, what: str) -> int:
    return int(parse_datetime(value, what=what).timestamp())


def registered_claims(credential: Mapping[str, Any]) -> JSONObject:
    """The OB 3.0 registered claims for ``credential``."""
    claims: JSONObject = {}
    iss = _issuer_id(credential)
    if iss is None:
        raise InputError("the credential has no issuer id, which the JWT 'iss' claim needs")
    claims["iss"] = iss
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    sub = _subject_id(credential)
    if sub is not None:
        claims["sub"] = sub
    valid_from = credential.get("validFrom", credential.get("issuanceDate"))
    if valid_from is not None:
        claims["nbf"] = _numeric_date(valid_from, "validFrom")
    valid_until = credential.get("validUntil", credential.get("expirationDate"))
    if valid_until is not None:
        claims["exp"] = _numeric_date(valid_until, "validUntil")
    return claims


def sign_jwt(
    credential: Mapping[str, Any],
    private_key: PrivateKey,
    *,
    kid: str | None = None,
    embed_jwk: bool = False,
) -> str:
    """Return the compact JWS of ``credential`` as an OB 3.0 VC-JWT."""
    if kid is None and not embed_jwk:
        raise InputError("a VC-JWT needs a 'kid' or an embedded 'jwk' so verifiers can find the key")
    header: JSONObject = {"alg": alg_for_key(private_key), "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    if embed_jwk:
        header["jwk"] = public_key_to_jwk(private_key.public_key())
    payload = {**dict(credential), **registered_claims(credential)}
    return encode_compact(header, payload, private_key)


@dataclass(frozen=True, slots=True)
class ParsedJwt:
    """A decoded (not yet verified) VC-JWT."""

    jws: DecodedJws
    payload: JSONObject
    credential: JSONObject
    vc_claim: bool
    """True for the VC 1.1 form (credential inside a ``vc`` claim)."""


def parse_jwt(token: str) -> ParsedJwt:
    """Decode a VC-JWT. Raises InputError/UnsupportedError for malformed tokens or header parameters."""
    jws = decode_compact(token, allowed_header_params=HEADER_PARAMS)
    if "typ" in jws.header and jws.header["typ"] not in ("JWT", "vc+jwt", "vc+ld+jwt"):
        raise InputError(f"JWS typ {jws.header['typ']!r} is not a JWT")
    if "jwk" in jws.header:
        jwk = jws.header["jwk"]
        if not isinstance(jwk, dict) or any(k in jwk for k in ("d", "p", "q", "dp", "dq", "qi", "k")):
            raise InputError("the JWT header 'jwk' must be a public JWK (it contains private members)")
    payload = jws.payload_json()
    if not isinstance(payload, dict):
        raise InputError("the JWT payload must be a JSON object")
    vc = payload.get("vc")
    if isinstance(vc, dict):
        return ParsedJwt(jws, payload, dict(vc), True)
    credential = {k: v for k, v in payload.items() if k not in _CLAIMS}
    return ParsedJwt(jws, payload, credential, False)


def claim_problems(parsed: ParsedJwt) -> tuple[list[str], list[str]]:
    """Compare the registered claims with the credential. Returns (errors, warnings)."""
    errors: list[str] = []
    warnings: list[str] = []
    payload, credential = parsed.payload, parsed.credential
    iss = _issuer_id(credential)
    if "iss" not in payload:
        errors.append("the JWT has no 'iss' claim")
    elif payload["iss"] != iss:
        errors.append(f"JWT 'iss' {payload['iss']!r} differs from the credential issuer {iss!r}")
    if "jti" in payload and payload["jti"] != credential.get("id"):
        errors.append(f"JWT 'jti' {payload['jti']!r} differs from the credential id {credential.get('id')!r}")
    sub = _subject_id(credential)
    if "sub" in payload and sub is not None and payload["sub"] != sub:
        errors.append(f"JWT 'sub' {payload['sub']!r} differs from credentialSubject.id {sub!r}")
    for claim, names in (("nbf", ("validFrom", "issuanceDate")), ("exp", ("validUntil", "expirationDate"))):
        field = next((n for n in names if n in credential), None)
        if claim not in payload:
            if claim == "nbf":
                warnings.append("the JWT has no 'nbf' claim (OB 3.0 requires it); validFrom is used instead")
            elif field is not None:
                warnings.append(f"the credential has {field} but the JWT has no 'exp' claim; {field} is used")
            continue
        value = payload[claim]
        if not isinstance(value, int | float) or isinstance(value, bool):
            errors.append(f"JWT '{claim}' must be a NumericDate, found {type(value).__name__}")
            continue
        if field is not None:
            try:
                expected = parse_datetime(credential[field], what=field)
            except InputError as exc:
                errors.append(exc.message)
                continue
            if int(value) != int(expected.timestamp()):
                when = datetime.fromtimestamp(int(value), UTC).isoformat().replace("+00:00", "Z")
                errors.append(f"JWT '{claim}' ({when}) differs from the credential's {field}")
    return errors, warnings
