"""The W3C VC API operations behind ``/credentials/issue``, ``/credentials/verify`` and ``/presentations/verify``.

Plain functions over parsed JSON bodies; the routes in :mod:`openbadge_ctq.web.app` only parse, authorise and pick
the status code. Response bodies follow the VC API: ``verified``, ``checks``, ``warnings``, ``errors`` (we add
``problemDetails`` from the newer drafts, and our full ``report``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..did import resolve_verification_method
from ..errors import BadgeError
from ..interfaces import Fetcher, JSONObject
from ..issue import SigningKey
from ..jsonld import ContextLoader
from ..proofs import data_integrity
from ..timefmt import format_datetime
from ..validate import schema_kind_for, validate_document
from ..verify import VerificationReport, verify

__all__ = ["ApiError", "IssuerConfig", "issue_from_template", "verification_result", "verify_presentation"]


class ApiError(Exception):
    """A request the VC API refuses: HTTP ``status`` and a problem-details body."""

    def __init__(self, status: int, title: str, detail: str, *, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.problems = problems or []

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail}
        if self.problems:
            out["problems"] = self.problems
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerConfig:
    """The one issuer this server signs for: its id (a DID), key and verification method."""

    issuer_id: str
    key: SigningKey
    verification_method: str


def _problem_details(report: VerificationReport) -> list[dict[str, str]]:
    return [
        {"type": f"https://ctq.example/problems/{c.id}", "title": c.id, "detail": c.message, "pointer": c.pointer}
        for c in report.errors
    ]


def verification_result(report: VerificationReport) -> dict[str, Any]:
    """The VC API verification result for one credential: checks that ran, warnings, errors, and our report."""
    doc = report.to_json()
    return {
        "verified": report.verified,
        "checks": [c.id for c in report.checks if c.status.value in ("pass", "warn")],
        "warnings": doc["warnings"],
        "errors": doc["errors"],
        "problemDetails": _problem_details(report),
        "report": doc,
    }


def _issuer_of(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def issue_from_template(body: Any, issuer: IssuerConfig, *, now: datetime) -> JSONObject:
    """Check a credential template (our schema, our issuer id) and sign it with ``eddsa-rdfc-2022``.

    Raises:
        ApiError: 400 for a malformed request, 422 for a credential that fails the schema or names another issuer.
    """
    if not isinstance(body, Mapping):
        raise ApiError(400, "Bad Request", "the body must be a JSON object with a 'credential' member")
    credential = body.get("credential")
    options = body.get("options", {})
    if not isinstance(credential, Mapping):
        raise ApiError(400, "Bad Request", "'credential' must be a JSON object")
    if not isinstance(options, Mapping):
        raise ApiError(400, "Bad Request", "'options' must be a JSON object")
    if "proof" in credential:
        raise ApiError(400, "Bad Request", "the credential already has a proof; send an unsigned credential")
    wanted = options.get("credentialId")
    if "credentialId" in options and not (isinstance(wanted, str) and wanted):
        raise ApiError(400, "Bad Request", "'options.credentialId' must be a non-empty string")
    issuer_id = _issuer_of(credential)
    if issuer_id != issuer.issuer_id:
        raise ApiError(
            422,
            "Unprocessable Content",
            f"this server issues only for {issuer.issuer_id}; the credential's issuer is {str(issuer_id)[:200]}",
        )
    doc: JSONObject = dict(credential)
    if "id" not in doc:
        doc["id"] = wanted if isinstance(wanted, str) else f"urn:uuid:{uuid.uuid4()}"
    doc.setdefault("validFrom", format_datetime(now))
    kind = schema_kind_for(doc)
    if kind is None:
        raise ApiError(
            422, "Unprocessable Content", "the credential's type must include OpenBadgeCredential or an OB 3.0 type"
        )
    problems = validate_document(doc, kind)
    if problems:
        pointer, message = problems[0]
        raise ApiError(
            422,
            "Unprocessable Content",
            f"the credential does not match the {kind} schema at {pointer or '/'}: {message}",
            problems=[{"pointer": p, "detail": m} for p, m in problems],
        )
    try:
        private = issuer.key.private_key
        if not isinstance(private, Ed25519PrivateKey):
            raise ApiError(500, "Internal Server Error", "the issuer's key is not an Ed25519 key")
        return data_integrity.sign(doc, private, verification_method=issuer.verification_method, created=now)
    except BadgeError as exc:
        raise ApiError(422, "Unprocessable Content", f"the credential could not be signed: {exc.message}") from exc


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def verify_presentation(body: Any, *, fetcher: Fetcher, now: datetime) -> dict[str, Any]:
    """Verify a Data Integrity signed VerifiablePresentation (purpose ``authentication``, challenge and domain)
    and every credential in it. Returns the VC API result; ``verified`` is true only when all of it verified.

    Raises:
        ApiError: 400 for a malformed request.
    """
    if not isinstance(body, Mapping):
        raise ApiError(400, "Bad Request", "the body must be a JSON object with a 'verifiablePresentation' member")
    vp = body.get("verifiablePresentation")
    options = body.get("options", {})
    if not isinstance(vp, Mapping):
        raise ApiError(400, "Bad Request", "'verifiablePresentation' must be a JSON object")
    if not isinstance(options, Mapping):
        raise ApiError(400, "Bad Request", "'options' must be a JSON object")
    if "VerifiablePresentation" not in _as_list(vp.get("type")):
        raise ApiError(400, "Bad Request", "the presentation's type must include VerifiablePresentation")
    challenge, domain = options.get("challenge"), options.get("domain")
    for name in ("challenge", "domain"):
        if name in options and not isinstance(options[name], str):
            raise ApiError(400, "Bad Request", f"'options.{name}' must be a string")
    errors: list[dict[str, str]] = []
    checks: list[str] = []
    proofs = [p for p in _as_list(vp.get("proof")) if isinstance(p, Mapping)]
    auth = [p for p in proofs if p.get("proofPurpose") == "authentication"]
    holder = vp.get("holder")
    holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
    unsecured = {k: v for k, v in vp.items() if k != "proof"}
    loader = ContextLoader(fetcher=fetcher)
    proof_ok = False
    if not auth:
        errors.append({"id": "proof", "message": "the presentation has no proof with proofPurpose authentication"})
    for proof in auth:
        if challenge is not None and proof.get("challenge") != challenge:
            errors.append({"id": "challenge", "message": "the proof's challenge does not match the expected one"})
            continue
        if domain is not None and domain not in _as_list(proof.get("domain")):
            errors.append({"id": "domain", "message": "the proof's domain does not match the expected one"})
            continue
        vm = proof.get("verificationMethod")
        try:
            controller, key = resolve_verification_method(str(vm), fetcher, purpose="authentication")
            if not isinstance(key, Ed25519PublicKey):
                raise ApiError(400, "Bad Request", "only Ed25519 presentation proofs are supported")
            result = data_integrity.verify_proof(
                unsecured, proof, key, loader=loader, expected_purpose="authentication"
            )
        except BadgeError as exc:
            errors.append({"id": "proof", "message": exc.message})
            continue
        if not result.valid:
            errors.append({"id": "proof", "message": result.message})
            continue
        if isinstance(holder_id, str) and holder_id and controller != holder_id:
            errors.append({"id": "holder", "message": f"the proof was made by {controller}, not the holder"})
            continue
        proof_ok = True
    if proof_ok:
        checks.append("proof")
        if challenge is not None:
            checks.append("challenge")
        if domain is not None:
            checks.append("domain")
    credentials = []
    for index, item in enumerate(_as_list(vp.get("verifiableCredential"))):
        report = verify(item, fetcher=fetcher, now=now)
        credentials.append(verification_result(report))
        if not report.verified:
            first = report.errors[0].message if report.errors else "no proof was verified"
            errors.append({"id": "credential", "message": f"credential {index + 1} did not verify: {first}"})
    if credentials:
        checks.append("credentials")
    verified = proof_ok and not errors
    return {
        "verified": verified,
        "checks": checks,
        "warnings": [],
        "errors": errors,
        "problemDetails": [
            {"type": f"https://ctq.example/problems/{e['id']}", "title": e["id"], "detail": e["message"]}
            for e in errors
        ],
        "credentialResults": credentials,
    }
