"""The verification report: one :class:`Check` per step, a verdict, and a JSON shape shared by the CLI and the web.

Check ids are public API (documented in ``docs/verifying.md``)::

    parse           the input could be read as a credential (JSON, compact JWS, baked image, URL)
    context         @context has the VC and Open Badges contexts in the required order
    type            type lists VerifiableCredential and an Open Badges / CLR credential type
    schema          the credential matches the JSON Schema (ours, agreeing with 1EdTech's)
    subject         credentialSubject has an id or at least one identifier
    proof           a proof (Data Integrity or VC-JWT) verifies; JSON-LD safe mode is part of it
    issuer.binding  the signing key belongs to the issuer
    jwt.claims      VC-JWT registered claims (iss, jti, sub, nbf, exp) agree with the credential
    dates           the credential is valid now (not before validFrom, not after validUntil)
    status          not revoked or suspended (Bitstring Status List, 1EdTech Revocation List)
    recipient       the credential was issued to the expected recipient (when one is given)
    endorsement     embedded endorsements verify
    clr.credential  each credential bundled in a CLR verifies on its own (one check per bundled credential)
    legacy          the credential uses a legacy form (VC 1.1, old suites); verified with a warning
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import VerificationFailed

__all__ = ["CHECK_IDS", "Check", "Status", "VerificationReport"]

CHECK_IDS: tuple[str, ...] = (
    "parse",
    "context",
    "type",
    "schema",
    "subject",
    "proof",
    "issuer.binding",
    "jwt.claims",
    "dates",
    "status",
    "recipient",
    "endorsement",
    "clr.credential",
    "legacy",
)


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One step of verification. ``pointer`` is an RFC 6901 pointer into the credential, when it applies."""

    id: str
    status: Status
    message: str
    pointer: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "status": self.status.value, "message": self.message, "pointer": self.pointer}


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationReport:
    """What :func:`openbadge_ctq.verify` found.

    ``verified`` is true when no check failed and both ``parse`` and ``proof`` passed.
    """

    format: str
    checks: tuple[Check, ...]
    credential: Mapping[str, Any] | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)
    image: Mapping[str, Any] | None = None
    """Set when the credential was baked into an image: container (png/svg), element or chunk, payload size."""

    @property
    def verified(self) -> bool:
        passed = {c.id for c in self.checks if c.status is Status.PASS}
        return "parse" in passed and "proof" in passed and not any(c.status is Status.FAIL for c in self.checks)

    @property
    def errors(self) -> list[Check]:
        return [c for c in self.checks if c.status is Status.FAIL]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status is Status.WARN]

    def check(self, check_id: str) -> Check | None:
        """The first check with this id, or None."""
        return next((c for c in self.checks if c.id == check_id), None)

    def raise_for_status(self) -> VerificationReport:
        """Return self when verified; raise :class:`VerificationFailed` otherwise."""
        if not self.verified:
            first = self.errors[0].message if self.errors else "no proof was verified"
            raise VerificationFailed(f"credential did not verify: {first}", report=self)
        return self

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": self.verified,
            "format": self.format,
            "summary": dict(self.summary),
            "checks": [c.to_json() for c in self.checks],
            "errors": [{"id": c.id, "message": c.message, "pointer": c.pointer} for c in self.errors],
            "warnings": [{"id": c.id, "message": c.message, "pointer": c.pointer} for c in self.warnings],
        }
        if self.image is not None:
            out["image"] = dict(self.image)
        return out
