"""Recipients and identity hashes (OB 2.0 IdentityHash and OB 3.0 IdentityObject).

``identityHash = "sha256$" + hex(sha256(UTF-8(identity + salt)))`` (``md5$`` is read, never written). Emails are
normalised (trimmed, lower-cased) before hashing when issuing; when verifying, the given email is tried as typed
and normalised, and hex digits compare case-insensitively.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from .errors import InputError

__all__ = ["Recipient", "identity_hash", "identity_matches", "new_salt", "normalize_email"]

_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MAX_EMAIL = 254


def normalize_email(email: str) -> str:
    """Trim and lower-case; raise InputError when it is not an email address."""
    value = email.strip()
    if len(value) > MAX_EMAIL or not _EMAIL.match(value):
        raise InputError(f"recipient email {email!r} is not a valid email address (expected name@example.org)")
    return value.lower()


def new_salt() -> str:
    """A random salt (128 bits, hex)."""
    return secrets.token_hex(16)


def identity_hash(identity: str, salt: str | None, *, algorithm: str = "sha256") -> str:
    data = (identity + (salt or "")).encode("utf-8")
    if algorithm == "sha256":
        return "sha256$" + hashlib.sha256(data).hexdigest()
    if algorithm == "md5":
        return "md5$" + hashlib.md5(data, usedforsecurity=False).hexdigest()
    raise InputError(f"identity hash algorithm {algorithm!r} is not supported (expected sha256 or md5)")


def identity_matches(candidate: str, stored: str, *, hashed: bool, salt: str | None, email: bool) -> bool:
    """Does ``candidate`` (a known identity, e.g. an email) match the ``stored`` identity (hash or plaintext)?"""
    variants = {candidate, candidate.strip()}
    if email:
        variants.add(candidate.strip().lower())
    if not hashed:
        if email:
            return stored.strip().lower() in {v.lower() for v in variants}
        return stored in variants
    algorithm, sep, digest = stored.partition("$")
    if not sep or algorithm.lower() not in {"sha256", "md5"}:
        return False
    for variant in variants:
        expected = identity_hash(variant, salt, algorithm=algorithm.lower()).partition("$")[2]
        if hmac.compare_digest(expected, digest.lower()):
            return True
    return False


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipient:
    """Who a credential is issued to.

    By default the email is stored only as a salted hash. ``hashed=False`` stores it in plaintext; ``did`` makes
    the DID the subject id. ``name`` is included (in plaintext) only when given.
    """

    email: str | None = None
    name: str | None = None
    did: str | None = None
    hashed: bool = True
    salt: str | None = None

    def __post_init__(self) -> None:
        if self.email is None and self.did is None:
            raise InputError("a recipient needs an email or a DID")
        if self.email is not None:
            object.__setattr__(self, "email", normalize_email(self.email))
        if self.did is not None and not re.match(r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$", self.did):
            raise InputError(f"recipient DID {self.did!r} is not a DID (expected did:method:identifier)")
        if self.name is not None:
            name = self.name.strip()
            if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
                raise InputError("recipient name must be 1 to 200 printable characters")
            object.__setattr__(self, "name", name)
