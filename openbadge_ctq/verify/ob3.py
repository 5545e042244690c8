"""The Open Badges 3.0 / CLR 2.0 verification pipeline (1EdTech verification order).

One small function per check, run in order over a :class:`Ctx`. A failed gate (parse, proof) turns the checks that
depend on it into SKIP with a reason.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import BadgeError, JsonLdError
from ..identity import identity_matches
from ..interfaces import Fetcher, JSONObject
from ..jsonld import ContextLoader
from ..keys import did_key_from_public_key
from ..proofs import data_integrity, vc_jwt
from ..proofs.jws import verify_signature
from ..timefmt import parse_datetime
from .report import Check, Status
from .resolve import ResolvedKey, resolve_jwt_key, resolve_proof_key

__all__ = ["Options", "run_di", "run_jwt", "summarize"]

VC1 = "https://www.w3.org/2018/credentials/v1"
VC2 = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = re.compile(r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$")
CLR2_CONTEXT = re.compile(r"^https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d\.\d)*\.json$")
OB_TYPES = {"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential", "ClrCredential"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    fetcher: Fetcher
    now: datetime
    loader: ContextLoader
    recipient: str | None = None
    strict_binding: bool = False
    max_clock_skew: timedelta = timedelta(0)
    depth: int = 0
    validate_schema: Callable[[Mapping[str, Any]], list[tuple[str, str]] | None] | None = None
    check_status: Callable[[JSONObject, Options], Iterable[Check]] | None = None


@dataclass
class Ctx:
    credential: JSONObject
    options: Options
    checks: list[Check] = field(default_factory=list)
    key: ResolvedKey | None = None
    proof_ok: bool = False

    def add(self, check_id: str, status: Status, message: str, pointer: str = "") -> None:
        self.checks.append(Check(id=check_id, status=status, message=message, pointer=pointer))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _types(doc: Mapping[str, Any]) -> list[str]:
    return [t for t in _as_list(doc.get("type")) if isinstance(t, str)]


def issuer_id(doc: Mapping[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def is_legacy_vc1(doc: Mapping[str, Any]) -> bool:
    ctx = _as_list(doc.get("@context"))
    return bool(ctx) and ctx[0] == VC1


def check_context(ctx: Ctx) -> None:
    contexts = _as_list(ctx.credential.get("@context"))
    if not contexts or not isinstance(contexts[0], str) or contexts[0] not in (VC1, VC2):
        ctx.add("context", Status.FAIL, f"@context must start with {VC2}", "/@context/0")
        return
    types = _types(ctx.credential)
    strings = [c for c in contexts if isinstance(c, str)]
    if "ClrCredential" in types:
        ok = len(strings) >= 3 and bool(CLR2_CONTEXT.match(strings[1]) and OB3_CONTEXT.match(strings[2]))
        if contexts[0] == VC1:
            ok = any(CLR2_CONTEXT.match(c) for c in strings)
        expected = "the VC context, then the CLR 2.0 context, then the OB 3.0 context"
    else:
        ok = len(strings) >= 2 and bool(OB3_CONTEXT.match(strings[1]))
        if contexts[0] == VC1:
            ok = any(OB3_CONTEXT.match(c) for c in strings)
        expected = "the VC context, then the Open Badges 3.0 context"
    if ok:
        ctx.add("context", Status.PASS, "@context lists the VC and Open Badges contexts in order")
    else:
        ctx.add("context", Status.FAIL, f"@context must list {expected}", "/@context")
    if contexts[0] == VC1:
        ctx.add(
            "legacy",
            Status.WARN,
            "VC Data Model 1.1 credential (issuanceDate/expirationDate); read as legacy",
        )


def check_type(ctx: Ctx) -> None:
    types = _types(ctx.credential)
    if "VerifiableCredential" in types and OB_TYPES & set(types):
        ctx.add("type", Status.PASS, f"type is {', '.join(types)}")
    else:
        ctx.add(
            "type",
            Status.FAIL,
            "type must list VerifiableCredential and OpenBadgeCredential (or AchievementCredential, "
            f"EndorsementCredential, ClrCredential); found {types or 'nothing'}",
            "/type",
        )


def check_schema(ctx: Ctx) -> None:
    validator = ctx.options.validate_schema
    if validator is None:
        ctx.add("schema", Status.SKIP, "no JSON Schema validator configured")
        return
    if is_legacy_vc1(ctx.credential):
        ctx.add("schema", Status.SKIP, "the OB 3.0 JSON Schema does not apply to VC 1.1 credentials")
        return
    problems = validator(ctx.credential)
    if problems is None:
        ctx.add("schema", Status.SKIP, "no JSON Schema for this credential type")
    elif problems:
        pointer, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        ctx.add("schema", Status.FAIL, f"{pointer or '/'}: {message}{more}", pointer)
    else:
        ctx.add("schema", Status.PASS, "matches the JSON Schema")


def check_subject(ctx: Ctx) -> None:
    types = _types(ctx.credential)
    subjects = _as_list(ctx.credential.get("credentialSubject"))
    if not subjects or not all(isinstance(s, Mapping) for s in subjects):
        ctx.add("subject", Status.FAIL, "credentialSubject is missing or not an object", "/credentialSubject")
        return
    subject = subjects[0]
    if "EndorsementCredential" in types:
        ok = isinstance(subject.get("id"), str)
        message = "credentialSubject.id names what is endorsed" if ok else "EndorsementSubject must have an id"
    else:
        ok = isinstance(subject.get("id"), str) or bool(_as_list(subject.get("identifier")))
        message = (
            "credentialSubject identifies the recipient"
            if ok
            else "credentialSubject has neither an id nor an identifier"
        )
    ctx.add("subject", Status.PASS if ok else Status.FAIL, message, "" if ok else "/credentialSubject")


def _binding(ctx: Ctx, key: ResolvedKey, iss: str | None) -> None:
    if key.binding == "self-asserted" and iss is not None and iss.startswith("did:"):
        # a DID issuer's keys are defined by its DID: a key carried in the credential (a JWT jwk header) counts
        # only when it is the key of that DID (did:key); anything else is somebody else's key
        try:
            own = iss.startswith("did:key:") and did_key_from_public_key(key.key) == iss.split("#")[0]
        except BadgeError:
            own = False
        if not own:
            ctx.add(
                "issuer.binding", Status.FAIL, f"the key in the credential is not a key of the issuer {iss}", "/issuer"
            )
            return
        ctx.add("issuer.binding", Status.PASS, f"the key in the credential is the key of the issuer {iss}")
        return
    if key.binding == "self-asserted":
        status = Status.FAIL if ctx.options.strict_binding else Status.WARN
        ctx.add(
            "issuer.binding",
            status,
            f"the key comes from {key.source}; nothing published by the issuer {iss} confirms it",
        )
        return
    if iss is None or key.controller != iss:
        ctx.add(
            "issuer.binding",
            Status.FAIL,
            f"the signing key belongs to {key.controller}, not to the issuer {iss}",
            "/issuer",
        )
        return
    ctx.add("issuer.binding", Status.PASS, f"the signing key is published by the issuer ({key.source})")


def check_di_proof(ctx: Ctx) -> None:
    proofs = _as_list(ctx.credential.get("proof"))
    if not proofs:
        ctx.add("proof", Status.FAIL, "the credential has no proof", "/proof")
        return
    unsecured = {k: v for k, v in ctx.credential.items() if k != "proof"}
    iss = issuer_id(ctx.credential)
    failures: list[tuple[str, str]] = []
    for i, proof in enumerate(proofs):
        pointer = f"/proof/{i}" if isinstance(ctx.credential.get("proof"), list) else "/proof"
        if not isinstance(proof, Mapping):
            failures.append(("proof must be an object", pointer))
            continue
        try:
            suite = data_integrity.proof_suite_name(proof)
            key = resolve_proof_key(str(proof.get("verificationMethod", "")), iss, ctx.options.fetcher)
            if not isinstance(key.key, Ed25519PublicKey):
                failures.append((f"{suite} needs an Ed25519 key", pointer + "/verificationMethod"))
                continue
            result = data_integrity.verify_proof(unsecured, proof, key.key, loader=ctx.options.loader)
        except JsonLdError as exc:
            failures.append((exc.message, exc.pointer or pointer))
            continue
        except BadgeError as exc:
            failures.append((exc.message, pointer))
            continue
        if result.valid:
            duplicate = _first_duplicate(ctx.credential)
            if duplicate:
                # RDF graphs are sets: a repeated array item changes the JSON but not the signed graph
                failures.append(
                    (
                        f"the signature is valid, but the array at {duplicate} repeats an item the "
                        "signature cannot see; the JSON is not exactly what was signed",
                        duplicate,
                    )
                )
                break
            ctx.proof_ok = True
            ctx.key = key
            ctx.add("proof", Status.PASS, result.message, pointer)
            if suite != data_integrity.ISSUED_CRYPTOSUITE:
                ctx.add(
                    "legacy",
                    Status.WARN,
                    f"proof suite {suite} is a legacy suite; eddsa-rdfc-2022 is current",
                )
            _binding(ctx, key, iss)
            return
        failures.append((result.message, pointer))
    message, pointer = failures[0]
    ctx.add("proof", Status.FAIL, message, pointer)


def _first_duplicate(node: Any, pointer: str = "") -> str:
    """The pointer of the first array that repeats an item (compared as canonical JSON), or ""."""
    if isinstance(node, dict):
        for key, value in node.items():
            found = _first_duplicate(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
            if found:
                return found
    elif isinstance(node, list):
        seen: set[str] = set()
        for i, value in enumerate(node):
            marker = json.dumps(value, sort_keys=True, separators=(",", ":"))
            if marker in seen:
                return f"{pointer}/{i}"
            seen.add(marker)
            found = _first_duplicate(value, f"{pointer}/{i}")
            if found:
                return found
    return ""


def _numeric_date(value: Any) -> float | None:
    """A JWT NumericDate (seconds since the epoch), or None for anything else (``jwt.claims`` reports those)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _show_numeric_date(value: float) -> str:
    try:
        return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return str(value)


def _jwt_window(claims: Mapping[str, Any] | None, now: datetime, skew: timedelta) -> str | None:
    """Why the JWT's own ``nbf``/``exp`` claims (RFC 7519) refuse ``now``, or None. They bind even when the
    credential has no validFrom/validUntil (an ``exp`` without ``validUntil`` must still expire the JWT)."""
    if not claims:
        return None
    moment, slack = now.timestamp(), skew.total_seconds()
    nbf, exp = _numeric_date(claims.get("nbf")), _numeric_date(claims.get("exp"))
    if nbf is not None and moment + slack < nbf:
        return f"not yet valid: the JWT 'nbf' claim is {_show_numeric_date(nbf)}"
    if exp is not None and moment - slack > exp:
        return f"expired: the JWT 'exp' claim is {_show_numeric_date(exp)}"
    return None


def _dates(ctx: Ctx, jwt_claims: Mapping[str, Any] | None = None) -> None:
    doc = ctx.credential
    now = ctx.options.now
    skew = ctx.options.max_clock_skew
    start_name = "validFrom" if "validFrom" in doc else "issuanceDate"
    end_name = "validUntil" if "validUntil" in doc else "expirationDate"
    try:
        start = parse_datetime(doc.get(start_name), what=start_name) if start_name in doc else None
        end = parse_datetime(doc.get(end_name), what=end_name) if end_name in doc else None
    except BadgeError as exc:
        ctx.add("dates", Status.FAIL, exc.message, f"/{start_name}")
        return
    if start is None:
        ctx.add("dates", Status.FAIL, "the credential has no validFrom", "/validFrom")
    elif now + skew < start:
        ctx.add("dates", Status.FAIL, f"not yet valid: valid from {doc[start_name]}", f"/{start_name}")
    elif end is not None and now - skew > end:
        ctx.add("dates", Status.FAIL, f"expired on {doc[end_name]}", f"/{end_name}")
    elif (refused := _jwt_window(jwt_claims, now, skew)) is not None:
        ctx.add("dates", Status.FAIL, refused)
    else:
        until = f" until {doc[end_name]}" if end is not None else ""
        ctx.add("dates", Status.PASS, f"valid from {doc[start_name]}{until}")


def _status(ctx: Ctx) -> None:
    if not ctx.proof_ok:
        ctx.add("status", Status.SKIP, "not checked because the proof did not verify")
        return
    if "credentialStatus" not in ctx.credential:
        ctx.add("status", Status.SKIP, "the credential has no credentialStatus")
        return
    if ctx.options.check_status is None:
        ctx.add(
            "status",
            Status.FAIL,
            "the credential has a credentialStatus but status checking is off",
            "/credentialStatus",
        )
        return
    ctx.checks.extend(ctx.options.check_status(ctx.credential, ctx.options))


def _recipient(ctx: Ctx) -> None:
    wanted = ctx.options.recipient
    if wanted is None:
        return
    subjects = _as_list(ctx.credential.get("credentialSubject"))
    subject = subjects[0] if subjects and isinstance(subjects[0], Mapping) else {}
    if wanted.startswith("did:"):
        ok = subject.get("id") == wanted
    else:
        ok = False
        for ident in _as_list(subject.get("identifier")):
            if not isinstance(ident, Mapping) or ident.get("identityType") != "emailAddress":
                continue
            if identity_matches(
                wanted,
                str(ident.get("identityHash", "")),
                hashed=bool(ident.get("hashed")),
                salt=ident.get("salt") if isinstance(ident.get("salt"), str) else None,
                email=True,
            ):
                ok = True
                break
        if not ok and isinstance(subject.get("id"), str) and subject["id"].lower() == f"mailto:{wanted.lower()}":
            ok = True
    if ok:
        ctx.add("recipient", Status.PASS, f"issued to {wanted}")
    else:
        ctx.add("recipient", Status.FAIL, f"not issued to {wanted}", "/credentialSubject")


def _endorsements(ctx: Ctx, nested: Callable[[Any, Options], Any]) -> None:
    """Verify every embedded endorsement (in the credential, its achievement and its issuer)."""
    if ctx.options.depth >= 2:
        return
    found: list[tuple[str, Any]] = []
    doc = ctx.credential
    places: list[tuple[str, Any]] = [("", doc), ("/issuer", doc.get("issuer"))]
    subject = _as_list(doc.get("credentialSubject"))
    if subject and isinstance(subject[0], Mapping):
        places.append(("/credentialSubject/achievement", subject[0].get("achievement")))
    for base, node in places:
        if not isinstance(node, Mapping):
            continue
        for i, item in enumerate(_as_list(node.get("endorsement"))):
            found.append((f"{base}/endorsement/{i}", item))
        for i, item in enumerate(_as_list(node.get("endorsementJwt"))):
            found.append((f"{base}/endorsementJwt/{i}", item))
    if not found:
        return
    if not ctx.proof_ok:
        ctx.add("endorsement", Status.SKIP, "not checked because the credential's proof did not verify")
        return
    child_options = Options(**{**_options_dict(ctx.options), "depth": ctx.options.depth + 1, "recipient": None})
    failed = []
    for pointer, item in found:
        report = nested(item, child_options)
        if not report.verified:
            first = report.errors[0].message if report.errors else "did not verify"
            failed.append(f"{pointer}: {first}")
    if failed:
        # an endorsement is a third party's claim embedded in (and signed over by) the credential: its failure
        # makes the endorsement worthless, not the issuer's credential, so it is a warning
        ctx.add(
            "endorsement",
            Status.WARN,
            f"{len(failed)} of {len(found)} endorsements did not verify: {failed[0]}",
            failed[0].split(":")[0],
        )
    else:
        ctx.add("endorsement", Status.PASS, f"{len(found)} endorsement(s) verified")


def _options_dict(options: Options) -> dict[str, Any]:
    return {name: getattr(options, name) for name in Options.__dataclass_fields__}


def _conformance(ctx: Ctx) -> None:
    check_context(ctx)
    check_type(ctx)
    check_schema(ctx)
    check_subject(ctx)


def run_di(credential: JSONObject, options: Options, nested: Callable[[Any, Options], Any]) -> list[Check]:
    ctx = Ctx(credential, options)
    ctx.add("parse", Status.PASS, "read a JSON credential with an embedded proof")
    _conformance(ctx)
    check_di_proof(ctx)
    if not ctx.proof_ok:
        ctx.add("issuer.binding", Status.SKIP, "not checked because the proof did not verify")
    _dates(ctx)
    _status(ctx)
    _recipient(ctx)
    _endorsements(ctx, nested)
    return ctx.checks


def run_jwt(token: str, options: Options, nested: Callable[[Any, Options], Any]) -> tuple[list[Check], JSONObject]:
    try:
        parsed = vc_jwt.parse_jwt(token)
    except BadgeError as exc:
        return [Check(id="parse", status=Status.FAIL, message=exc.message)], {}
    ctx = Ctx(parsed.credential, options)
    ctx.add("parse", Status.PASS, f"read a VC-JWT signed with {parsed.jws.header.get('alg')}")
    if parsed.vc_claim:
        ctx.add("legacy", Status.WARN, "the JWT wraps the credential in a 'vc' claim (VC 1.1 form)")
    _conformance(ctx)
    iss = issuer_id(parsed.credential)
    try:
        key = resolve_jwt_key(parsed.jws.header, options.fetcher)
    except BadgeError as exc:
        ctx.add("proof", Status.FAIL, f"the JWT key cannot be found: {exc.message}")
        key = None
    if key is not None:
        if verify_signature(parsed.jws, key.key):
            ctx.proof_ok = True
            ctx.key = key
            ctx.add("proof", Status.PASS, f"JWT signature verified ({parsed.jws.header.get('alg')}, {key.source})")
            _binding(ctx, key, iss)
        else:
            ctx.add("proof", Status.FAIL, "signature does not match")
    if not ctx.proof_ok:
        ctx.add("issuer.binding", Status.SKIP, "not checked because the proof did not verify")
    errors, warnings = vc_jwt.claim_problems(parsed)
    for message in errors:
        ctx.add("jwt.claims", Status.FAIL, message)
    for message in warnings:
        ctx.add("jwt.claims", Status.WARN, message)
    if not errors and not warnings:
        ctx.add("jwt.claims", Status.PASS, "iss, jti, sub, nbf and exp agree with the credential")
    _dates(ctx, parsed.payload)
    _status(ctx)
    _recipient(ctx)
    _endorsements(ctx, nested)
    return ctx.checks, parsed.credential


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):  # language maps
        for v in value.values():
            if isinstance(v, str):
                return v
    return None


def summarize(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What a person wants to see: name, achievement, issuer, recipient, dates, levels, evidence, image."""
    out: dict[str, Any] = {}
    issuer = doc.get("issuer")
    out["issuer"] = {
        "id": issuer_id(doc),
        "name": _text(issuer.get("name")) if isinstance(issuer, Mapping) else None,
    }
    subjects = _as_list(doc.get("credentialSubject"))
    subject: Mapping[str, Any] = subjects[0] if subjects and isinstance(subjects[0], Mapping) else {}
    raw_achievement = subject.get("achievement")
    achievement: Mapping[str, Any] = raw_achievement if isinstance(raw_achievement, Mapping) else {}
    out["name"] = _text(doc.get("name")) or _text(achievement.get("name"))
    out["achievement"] = {
        "id": achievement.get("id"),
        "name": _text(achievement.get("name")),
        "type": achievement.get("achievementType"),
        "description": _text(achievement.get("description")),
    }
    out["validFrom"] = doc.get("validFrom", doc.get("issuanceDate"))
    out["validUntil"] = doc.get("validUntil", doc.get("expirationDate"))
    out["awardedDate"] = doc.get("awardedDate")
    names = [
        i.get("identityHash")
        for i in _as_list(subject.get("identifier"))
        if isinstance(i, Mapping) and i.get("identityType") == "name" and not i.get("hashed")
    ]
    out["recipient"] = {"id": subject.get("id"), "name": names[0] if names else None}
    levels: dict[str, tuple[str | None, str | None]] = {}
    for rd in _as_list(achievement.get("resultDescription")):
        if isinstance(rd, Mapping):
            for level in _as_list(rd.get("rubricCriterionLevel")):
                if isinstance(level, Mapping) and isinstance(level.get("id"), str):
                    levels[level["id"]] = (_text(rd.get("name")), _text(level.get("name")))
    results = []
    for result in _as_list(subject.get("result")):
        achieved = result.get("achievedLevel") if isinstance(result, Mapping) else None
        if isinstance(achieved, str) and achieved in levels:
            criterion, level_name = levels[achieved]
            results.append({"criterion": criterion, "level": level_name})
    out["results"] = results
    out["evidence"] = [e.get("id") for e in _as_list(doc.get("evidence")) if isinstance(e, Mapping) and e.get("id")]
    image = doc.get("image") or achievement.get("image")
    if isinstance(image, Mapping):
        out["image"] = {"id": image.get("id"), "caption": image.get("caption")}
    elif isinstance(image, str):
        out["image"] = {"id": image, "caption": None}
    if isinstance(subject.get("creditsEarned"), int | float):
        out["creditsEarned"] = subject["creditsEarned"]
    return out
