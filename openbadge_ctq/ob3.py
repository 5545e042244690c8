"""Open Badges 3.0 documents built from the catalog: Profile, Achievement, OpenBadgeCredential, EndorsementCredential.

Pure functions: every id, date and salt is a parameter. Output follows the OB 3.0 serialisation rules: contexts in
the spec's order, arrays for every multi-valued property, no nulls, no empty arrays.
"""

from __future__ import annotations

import base64
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import InputError
from .identity import Recipient, identity_hash
from .interfaces import JSONObject
from .model import Catalog, Certificate, Image, MicroCredential, Organization, RubricCriterion, Stack
from .timefmt import format_datetime

__all__ = [
    "ACHIEVEMENT_SCHEMA_URL",
    "CONTEXT_OB3",
    "CONTEXT_OB3_EXTENSIONS",
    "CONTEXT_VC2",
    "ENDORSEMENT_SCHEMA_URL",
    "Evidence",
    "IssuerIdentity",
    "achievement_id",
    "build_achievement",
    "build_credential",
    "build_endorsement",
    "build_profile",
    "resolve_levels",
]

CONTEXT_VC2 = "https://www.w3.org/ns/credentials/v2"
CONTEXT_OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_OB3_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
"""Defines 1EdTechJsonSchemaValidator2019 (credentialSchema), 1EdTechRevocationList and 1EdTechCredentialRefresh."""
ACHIEVEMENT_SCHEMA_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
ENDORSEMENT_SCHEMA_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
_ID_NAMESPACE = uuid.UUID("6f1f0f2e-3d0c-5b8e-9a57-0c8b1d4e2a10")

Entry = MicroCredential | Stack | Certificate


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerIdentity:
    """An issuer as it signs: its catalog profile, its id (a DID or https URL) and its verification method."""

    organization: Organization
    id: str
    verification_method: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """The teacher's artifact: a URL, with what a reviewer or district needs to read it."""

    url: str | None = None
    name: str | None = None
    narrative: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.url is not None and not self.url.startswith(("https://", "http://", "data:")):
            raise InputError(f"evidence URL {self.url!r} must start with https:// (or be a data: URI)")
        if self.url is None and not (self.narrative or self.name):
            raise InputError("evidence needs a URL, a name or a narrative")


@functools.lru_cache(maxsize=4096)
def _stable_urn(*parts: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_ID_NAMESPACE, "\x1f".join(parts)))


def _base(org: Organization) -> str | None:
    return org.base_url.rstrip("/") if org.base_url else None


def achievement_id(entry: Entry, issuer: Organization) -> str:
    """A stable id for a catalog entry: ``<base_url>/achievements/<id>``, or a name-based ``urn:uuid``."""
    base = _base(issuer)
    if base:
        return f"{base}/achievements/{entry.id}"
    return _stable_urn("achievement", issuer.id, entry.id)


def _child_id(parent: str, *parts: str) -> str:
    if parent.startswith(("https://", "http://")):
        return parent + "#" + "-".join(parts)
    return _stable_urn(parent, *parts)


def _image(catalog: Catalog, image: Image | None, owner: Organization) -> JSONObject | None:
    if image is None:
        return None
    base = _base(owner)
    if base:
        image_id = f"{base}/images/{Path(image.path).name}"
    else:
        folder = catalog.origins.get(owner.id)
        path = folder / image.path if folder is not None else catalog.image_path(image, owner.id)  # that one raises
        stat = path.stat()
        image_id = _svg_data_uri(str(path), stat.st_mtime_ns, stat.st_size)
    return {"id": image_id, "type": "Image", "caption": image.caption}


@functools.lru_cache(maxsize=64)
def _svg_data_uri(path: str, mtime_ns: int, size: int) -> str:
    """The badge art as a data URI, read once per version of the file (bulk issuing embeds it in every credential)."""
    data = Path(path).read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")


def _org_id(org: Organization, issuer: Organization) -> str:
    base = _base(issuer)
    if base:
        return f"{base}/organizations/{org.id}"
    return _stable_urn("organization", org.id)


def build_profile(
    org: Organization, *, profile_id: str, catalog: Catalog | None = None, include_image: bool = True
) -> JSONObject:
    """An OB 3.0 Profile for ``org`` with the given id (the issuer's DID or URL)."""
    profile: JSONObject = {"id": profile_id, "type": ["Profile"], "name": org.name}
    if org.url:
        profile["url"] = org.url
    if org.email:
        profile["email"] = org.email
    if org.description:
        profile["description"] = org.description
    if include_image and catalog is not None and org.image is not None:
        profile["image"] = _image(catalog, org.image, org)
    return profile


def _alignment(entry: Entry) -> list[JSONObject]:
    out = []
    for a in getattr(entry, "alignment", ()):
        item: JSONObject = {"type": ["Alignment"], "targetName": a.target_name, "targetUrl": a.target_url}
        for key, value in (
            ("targetDescription", a.target_description),
            ("targetFramework", a.target_framework),
            ("targetCode", a.target_code),
            ("targetType", a.target_type),
        ):
            if value:
                item[key] = value
        out.append(item)
    return out


def _result_description(ach_id: str, criterion: RubricCriterion) -> JSONObject:
    rd_id = _child_id(ach_id, "rubric", criterion.id)
    levels = []
    for level in criterion.levels:
        item: JSONObject = {
            "id": _child_id(ach_id, "rubric", criterion.id, level.id),
            "type": ["RubricCriterionLevel"],
            "name": level.name,
        }
        if level.description:
            item["description"] = level.description
        if level.points:
            item["points"] = level.points
        levels.append(item)
    return {
        "id": rd_id,
        "type": ["ResultDescription"],
        "name": criterion.name,
        "resultType": "RubricCriterionLevel",
        "requiredLevel": _child_id(ach_id, "rubric", criterion.id, criterion.required_level),
        "rubricCriterionLevel": levels,
    }


def build_achievement(entry: Entry, catalog: Catalog, *, issuer: Organization) -> JSONObject:
    """The OB 3.0 Achievement for a micro-credential, stack or certificate of the catalog."""
    ach_id = achievement_id(entry, issuer)
    achievement: JSONObject = {
        "id": ach_id,
        "type": ["Achievement"],
        "achievementType": entry.achievement_type,
        "name": entry.name,
        "description": entry.description,
    }
    achievement["criteria"] = {"narrative": entry.criteria_narrative}
    image = _image(catalog, entry.image, catalog.organization(entry.issuer))
    if image is not None:
        achievement["image"] = image
    creator_id = getattr(entry, "creator", None)
    if creator_id:
        creator = catalog.organization(creator_id)
        achievement["creator"] = build_profile(creator, profile_id=_org_id(creator, issuer), include_image=False)
    alignment = _alignment(entry)
    if alignment:
        achievement["alignment"] = alignment
    if isinstance(entry, MicroCredential):
        if entry.language:
            achievement["inLanguage"] = entry.language
        if entry.version:
            achievement["version"] = entry.version
        achievement["resultDescription"] = [_result_description(ach_id, c) for c in entry.rubric.criteria]
    if entry.tags:
        achievement["tag"] = list(entry.tags)
    return achievement


def resolve_levels(entry: Entry, levels: Mapping[str, str] | str | None) -> dict[str, str]:
    """Map each rubric criterion id to an achieved level id; refuse a level below the required one.

    ``levels`` is one level name/id for every criterion, a mapping criterion → level, or None (each criterion's
    required level).
    """
    if not isinstance(entry, MicroCredential):
        if levels:
            raise InputError(f"{entry.id!r} has no rubric; a level cannot be given")
        return {}
    out: dict[str, str] = {}
    criteria = {c.id: c for c in entry.rubric.criteria}
    if isinstance(levels, Mapping):
        unknown = sorted(set(levels) - set(criteria))
        if unknown:
            raise InputError(
                f"rubric criterion {unknown[0]!r} is not in {entry.id!r} (expected one of {', '.join(criteria)})"
            )
    for cid, criterion in criteria.items():
        given = levels.get(cid) if isinstance(levels, Mapping) else levels
        level = criterion.level(given) if given else criterion.level(criterion.required_level)
        if not criterion.meets_required(level.id):
            required = criterion.level(criterion.required_level).name
            raise InputError(
                f"level {level.name!r} for {criterion.name!r} is below the required level {required!r}; "
                f"{entry.name!r} is not earned"
            )
        out[cid] = level.id
    return out


def _evidence(items: Sequence[Evidence]) -> list[JSONObject]:
    out = []
    for ev in items:
        item: JSONObject = {"type": ["Evidence"]}
        if ev.url:
            item["id"] = ev.url
        for key, value in (
            ("name", ev.name),
            ("narrative", ev.narrative),
            ("description", ev.description),
            ("genre", ev.genre),
            ("audience", ev.audience),
        ):
            if value:
                item[key] = value
        item.update(ev.extra)
        out.append(item)
    return out


def build_credential(
    entry: Entry,
    catalog: Catalog,
    recipient: Recipient,
    issuer: IssuerIdentity,
    *,
    credential_id: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    awarded_date: datetime | None = None,
    levels: Mapping[str, str] | None = None,
    evidence: Sequence[Evidence] = (),
    narrative: str | None = None,
    credits_earned: float | None = None,
    credential_status: Sequence[JSONObject] = (),
    extra_subject: Mapping[str, Any] | None = None,
) -> JSONObject:
    """An unsigned OpenBadgeCredential for ``recipient`` earning ``entry``.

    ``levels`` maps rubric criterion ids to achieved level ids (see :func:`resolve_levels`).
    """
    if valid_until is not None and valid_until <= valid_from:
        raise InputError("validUntil must be later than validFrom")
    achievement = build_achievement(entry, catalog, issuer=issuer.organization)
    subject: JSONObject = {"type": ["AchievementSubject"]}
    if recipient.did:
        subject["id"] = recipient.did
    identifiers: list[JSONObject] = []
    if recipient.email:
        if recipient.hashed:
            if not recipient.salt:
                raise InputError("a hashed recipient needs a salt")
            identifiers.append(
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(recipient.email, recipient.salt),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": recipient.salt,
                }
            )
        else:
            identifiers.append(
                {
                    "type": "IdentityObject",
                    "identityHash": recipient.email,
                    "identityType": "emailAddress",
                    "hashed": False,
                }
            )
    if recipient.name:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityHash": recipient.name,
                "identityType": "name",
                "hashed": False,
            }
        )
    if identifiers:
        subject["identifier"] = identifiers
    subject["achievement"] = achievement
    if levels:
        results = []
        for rd in achievement.get("resultDescription", []):
            criterion_id = next(cid for cid in levels if _child_id(achievement["id"], "rubric", cid) == rd["id"])
            results.append(
                {
                    "type": ["Result"],
                    "resultDescription": rd["id"],
                    "achievedLevel": _child_id(achievement["id"], "rubric", criterion_id, levels[criterion_id]),
                }
            )
        subject["result"] = results
    if credits_earned is not None:
        subject["creditsEarned"] = float(credits_earned)
    if narrative:
        subject["narrative"] = narrative
    if extra_subject:
        subject.update(extra_subject)
    credential: JSONObject = {
        "@context": [CONTEXT_VC2, CONTEXT_OB3, CONTEXT_OB3_EXTENSIONS],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": entry.name,
        "description": entry.description,
        "issuer": build_profile(issuer.organization, profile_id=issuer.id),
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    if awarded_date is not None:
        credential["awardedDate"] = format_datetime(awarded_date)
    # no credential-level image: it would describe the achievement's image node a second time, and JSON-LD merges
    # nodes by id, so one copy could be edited away without changing the signed graph
    credential["credentialSubject"] = subject
    ev = _evidence(evidence)
    if ev:
        credential["evidence"] = ev
    if credential_status:
        credential["credentialStatus"] = (
            dict(credential_status[0]) if len(credential_status) == 1 else [dict(s) for s in credential_status]
        )
    credential["credentialSchema"] = [{"id": ACHIEVEMENT_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}]
    return credential


def build_endorsement(
    endorser: IssuerIdentity,
    *,
    subject_id: str,
    comment: str,
    name: str,
    credential_id: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> JSONObject:
    """An unsigned EndorsementCredential: ``endorser`` endorses the thing identified by ``subject_id``."""
    if not comment.strip():
        raise InputError("an endorsement needs a comment")
    credential: JSONObject = {
        "@context": [CONTEXT_VC2, CONTEXT_OB3, CONTEXT_OB3_EXTENSIONS],
        "id": credential_id,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": name,
        "issuer": build_profile(endorser.organization, profile_id=endorser.id),
        "validFrom": format_datetime(valid_from),
        "credentialSubject": {
            "id": subject_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
        "credentialSchema": [{"id": ENDORSEMENT_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    return credential
