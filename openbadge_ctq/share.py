"""Sharing a credential: what it says in plain words, its verification URL, and a LinkedIn "Add to profile" link.

:func:`describe_credential` reads the facts a person shares (and a certificate prints) from an Open Badges 3.0
credential, or from an Open Badges 2.0 assertion whose badge and issuer are embedded. It reads; it does not
verify: verify the credential first (:func:`openbadge_ctq.verify`).

LinkedIn's "Add to profile" link for certifications (``https://www.linkedin.com/profile/add``) takes
``startTask=CERTIFICATION_NAME``, ``name``, ``organizationId`` (the issuer's LinkedIn company id) or
``organizationName``, ``issueYear``/``issueMonth``, ``expirationYear``/``expirationMonth``, ``certUrl`` and
``certId``. It pre-fills the form; the member still confirms it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final
from urllib.parse import quote, urlencode

from .bake import sniff_image, unbake_image
from .errors import InputError
from .interfaces import JSONObject
from .proofs.jws import decode_compact, looks_like_compact_jws
from .qr import check_url
from .timefmt import parse_datetime

__all__ = [
    "LINKEDIN_ADD_TO_PROFILE",
    "CredentialFacts",
    "describe_credential",
    "format_date",
    "linkedin_add_to_profile_url",
    "read_credential",
    "share_links",
    "verification_url_for",
]

LINKEDIN_ADD_TO_PROFILE: Final = "https://www.linkedin.com/profile/add"
MAX_CREDENTIAL_BYTES: Final = 8 * 1024 * 1024
_JWT_CLAIMS: Final = frozenset({"iss", "jti", "sub", "nbf", "exp", "iat", "aud"})
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_BULLET: Final = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.+?)\s*$")
_MARKDOWN_EMPHASIS: Final = re.compile(r"(\*\*|__|\*|_|`)(.+?)\1")
_KIND_WORDS: Final[Mapping[str, str]] = {
    "MicroCredential": "micro-credential",
    "CertificateOfCompletion": "certificate of completion",
    "Certificate": "certificate",
    "Badge": "badge",
    "Course": "course",
    "Certification": "certification",
    "LearningProgram": "learning program",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialFacts:
    """What a credential says, in the words a person reads.

    Attributes:
        id: the credential's id (``urn:uuid:…`` or a URL).
        name: the achievement's name (the credential's when the achievement has none).
        description: the achievement's description.
        achievement_type: OB 3.0 ``achievementType`` (``MicroCredential``, ``CertificateOfCompletion``, …).
        issuer_name: the issuer profile's name; ``issuer_id`` its id.
        issued: ``validFrom`` (or ``awardedDate``, VC 1.1 ``issuanceDate``, OB 2.0 ``issuedOn``).
        expires: ``validUntil`` (VC 1.1 ``expirationDate``, OB 2.0 ``expires``).
        recipient_name: the plaintext ``name`` IdentityObject of the subject, when there is one.
        levels: (rubric criterion, achieved level) pairs from ``result``/``resultDescription``.
        credits: ``credentialSubject.creditsEarned`` (hours, for a certificate of completion).
        workshops: the bullet items of ``credentialSubject.narrative`` (the workshops a certificate lists).
    """

    id: str | None
    name: str
    description: str | None = None
    achievement_type: str | None = None
    issuer_name: str | None = None
    issuer_id: str | None = None
    issued: datetime | None = None
    expires: datetime | None = None
    recipient_name: str | None = None
    levels: tuple[tuple[str, str], ...] = ()
    credits: float | None = None
    workshops: tuple[str, ...] = ()

    @property
    def kind_words(self) -> str:
        """``"micro-credential"``, ``"certificate of completion"``, … (``"badge"`` when unknown)."""
        return _KIND_WORDS.get(self.achievement_type or "", "badge")


def _text(value: Any) -> str | None:
    """A plain string, or the first value of an OB 3.0 language map (``{"en": "…"}``)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        for item in value.values():
            if isinstance(item, str) and item.strip():
                return item.strip()
    return None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _date(value: Any) -> datetime | None:
    """A date-time from an ISO 8601 string (a bare date is midnight UTC) or a Unix time (OB 2.0)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except InputError:
        pass
    try:
        return datetime.combine(date.fromisoformat(value.strip()), datetime.min.time(), UTC)
    except ValueError:
        return None


def _recipient_name(subject: Mapping[str, Any]) -> str | None:
    for identity in _list(subject.get("identifier")):
        if (
            isinstance(identity, Mapping)
            and identity.get("identityType") == "name"
            and identity.get("hashed") is not True
        ):
            name = _text(identity.get("identityHash"))
            if name:
                return name
    return _text(subject.get("name"))


def _levels(achievement: Mapping[str, Any], subject: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    criteria: dict[str, str] = {}
    level_names: dict[str, tuple[str, str]] = {}
    for description in _list(achievement.get("resultDescription")):
        if not isinstance(description, Mapping):
            continue
        criterion = _text(description.get("name")) or "Result"
        if isinstance(description.get("id"), str):
            criteria[description["id"]] = criterion
        for level in _list(description.get("rubricCriterionLevel")):
            if isinstance(level, Mapping) and isinstance(level.get("id"), str):
                level_names[level["id"]] = (criterion, _text(level.get("name")) or level["id"])
    out: list[tuple[str, str]] = []
    for result in _list(subject.get("result")):
        if not isinstance(result, Mapping):
            continue
        achieved = result.get("achievedLevel")
        if isinstance(achieved, str) and achieved in level_names:
            out.append(level_names[achieved])
        elif _text(result.get("value")):
            ref = result.get("resultDescription")
            out.append((criteria.get(ref, "Result") if isinstance(ref, str) else "Result", str(result["value"])))
    return tuple(out)


def _workshops(narrative: str | None) -> tuple[str, ...]:
    if not narrative:
        return ()
    items = []
    for line in narrative.splitlines():
        match = _BULLET.match(line)
        if match:
            items.append(_MARKDOWN_EMPHASIS.sub(r"\2", match.group(1)))
    return tuple(items)


def _credits(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _describe_ob2(doc: Mapping[str, Any]) -> CredentialFacts:
    raw_badge = doc.get("badge")
    badge: Mapping[str, Any] = raw_badge if isinstance(raw_badge, Mapping) else {}
    raw_issuer = badge.get("issuer")
    issuer: Mapping[str, Any] = raw_issuer if isinstance(raw_issuer, Mapping) else {}
    issuer_id = issuer.get("id") if isinstance(issuer.get("id"), str) else badge.get("issuer")
    return CredentialFacts(
        id=doc.get("id") if isinstance(doc.get("id"), str) else None,
        name=_text(badge.get("name")) or "Open Badge",
        description=_text(badge.get("description")),
        achievement_type="Badge",
        issuer_name=_text(issuer.get("name")),
        issuer_id=issuer_id if isinstance(issuer_id, str) else None,
        issued=_date(doc.get("issuedOn")),
        expires=_date(doc.get("expires")),
        workshops=_workshops(_text(doc.get("narrative"))),
    )


def describe_credential(credential: Mapping[str, Any]) -> CredentialFacts:
    """The facts of an Open Badges 3.0 credential (or an OB 2.0 assertion with its badge embedded).

    Tolerant: a missing or malformed field is None (or empty), never an error. It does not verify.
    """
    if not isinstance(credential, Mapping):
        raise TypeError(f"credential must be a mapping, not {type(credential).__name__}")
    if "badge" in credential and "credentialSubject" not in credential:
        return _describe_ob2(credential)
    subjects = _list(credential.get("credentialSubject"))
    subject: Mapping[str, Any] = subjects[0] if subjects and isinstance(subjects[0], Mapping) else {}
    raw_achievement = subject.get("achievement")
    achievement: Mapping[str, Any] = raw_achievement if isinstance(raw_achievement, Mapping) else {}
    issuer = credential.get("issuer")
    issuer_map: Mapping[str, Any] = issuer if isinstance(issuer, Mapping) else {}
    issuer_id = issuer_map.get("id") if issuer_map else issuer
    achievement_type = achievement.get("achievementType")
    return CredentialFacts(
        id=credential.get("id") if isinstance(credential.get("id"), str) else None,
        name=_text(achievement.get("name")) or _text(credential.get("name")) or "Open Badge",
        description=_text(achievement.get("description")) or _text(credential.get("description")),
        achievement_type=achievement_type if isinstance(achievement_type, str) else None,
        issuer_name=_text(issuer_map.get("name")),
        issuer_id=issuer_id if isinstance(issuer_id, str) else None,
        issued=_date(credential.get("validFrom"))
        or _date(credential.get("awardedDate"))
        or _date(credential.get("issuanceDate")),
        expires=_date(credential.get("validUntil")) or _date(credential.get("expirationDate")),
        recipient_name=_recipient_name(subject),
        levels=_levels(achievement, subject),
        credits=_credits(subject.get("creditsEarned")),
        workshops=_workshops(_text(subject.get("narrative"))),
    )


def read_credential(document: str | bytes) -> JSONObject:
    """The credential in a document: JSON, the payload of a compact JWS/VC-JWT (a ``vc`` claim is unwrapped, else
    the registered JWT claims are dropped), or a PNG/SVG image baked with either.

    The signature is NOT checked: this is for display and sharing; verify before you trust it.

    Raises:
        InputError: the document is none of these (an OB 2.0 image baked with a hosted URL holds no credential).
    """
    if isinstance(document, bytes | bytearray) and sniff_image(bytes(document)) is not None:
        document = unbake_image(bytes(document)).payload
    if isinstance(document, bytes | bytearray):
        try:
            document = bytes(document).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("the credential is not UTF-8 text") from None
    if not isinstance(document, str):
        raise TypeError(f"document must be str or bytes, not {type(document).__name__}")
    if len(document) > MAX_CREDENTIAL_BYTES:
        raise InputError(f"the credential is larger than {MAX_CREDENTIAL_BYTES} bytes")
    text = document.strip()
    if looks_like_compact_jws(text):
        value = decode_compact(text).payload_json()
        if isinstance(value, dict) and isinstance(value.get("vc"), dict):
            value = value["vc"]
        elif isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _JWT_CLAIMS}
    else:
        try:
            value = json.loads(text)
        except RecursionError:
            raise InputError("the credential is JSON nested too deeply") from None
        except ValueError as exc:
            raise InputError(f"the credential is neither JSON nor a compact JWS: {exc}") from None
    if not isinstance(value, dict):
        raise InputError("the credential must be a JSON object")
    return value


def verification_url_for(credential: Mapping[str, Any], url: str | None = None) -> str:
    """The URL where ``credential`` can be verified: ``url`` if given, else the credential's id if it is https.

    Raises:
        InputError: no URL was given and the id is not an https URL (``urn:uuid:…`` for a did:key issuer).
    """
    if url is not None:
        return check_url(url)
    credential_id = credential.get("id")
    if isinstance(credential_id, str) and credential_id.startswith("https://"):
        return check_url(credential_id)
    shown = credential_id if isinstance(credential_id, str) else "none"
    raise InputError(
        f"the credential's id ({shown[:60]}) is not an https URL, so it gives no verification page",
        hint="pass the page where the credential can be verified: --url https://…",
    )


def format_date(value: datetime) -> str:
    """``January 2, 2026`` (the date in UTC)."""
    day = value.astimezone(UTC)
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def linkedin_add_to_profile_url(
    credential: Mapping[str, Any],
    *,
    verification_url: str,
    organization_id: str | None = None,
) -> str:
    """LinkedIn's "Add to profile" URL that pre-fills a certification from ``credential``.

    Args:
        verification_url: the ``certUrl`` LinkedIn links to ("Show credential").
        organization_id: the issuer's numeric LinkedIn company id; without it LinkedIn gets ``organizationName``.

    Raises:
        InputError: ``verification_url`` is not an http(s) URL, or ``organization_id`` is not a number.
    """
    facts = describe_credential(credential)
    params: list[tuple[str, str]] = [("startTask", "CERTIFICATION_NAME"), ("name", facts.name)]
    if organization_id is not None:
        if not organization_id.isascii() or not organization_id.isdigit():
            raise InputError(f"LinkedIn organization id must be a number, not {organization_id[:40]!r}")
        params.append(("organizationId", organization_id))
    elif facts.issuer_name:
        params.append(("organizationName", facts.issuer_name))
    if facts.issued is not None:
        issued = facts.issued.astimezone(UTC)
        params += [("issueYear", str(issued.year)), ("issueMonth", str(issued.month))]
    if facts.expires is not None:
        expires = facts.expires.astimezone(UTC)
        params += [("expirationYear", str(expires.year)), ("expirationMonth", str(expires.month))]
    params.append(("certUrl", check_url(verification_url)))
    if facts.id:
        params.append(("certId", facts.id))
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params, quote_via=quote)}"


def _summary(facts: CredentialFacts, verification_url: str) -> str:
    who = facts.recipient_name or "The holder of this credential"
    issuer = f" from {facts.issuer_name}" if facts.issuer_name else ""
    when = f" on {format_date(facts.issued)}" if facts.issued else ""
    return f"{who} earned the {facts.kind_words} “{facts.name}”{issuer}{when}. Verify it at {verification_url}"


def share_links(
    credential: Mapping[str, Any],
    verification_url: str,
    *,
    organization_id: str | None = None,
) -> dict[str, str]:
    """What to share: ``{"verificationUrl", "linkedin", "summary"}`` (``summary`` is one plain-text line).

    Raises:
        InputError: ``verification_url`` is not an http(s) URL.
    """
    url = check_url(verification_url)
    facts = describe_credential(credential)
    return {
        "verificationUrl": url,
        "linkedin": linkedin_add_to_profile_url(credential, verification_url=url, organization_id=organization_id),
        "summary": _summary(facts, url),
    }
