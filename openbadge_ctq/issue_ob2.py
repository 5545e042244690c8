"""Use cases for Open Badges 2.0: issue (hosted or signed), revoke, and migrate an OB 2.0 badge to OB 3.0.

Issuing returns the assertion and every document a verifier will fetch, as ``files`` (path relative to the
issuer's ``baseUrl`` → bytes), ready to publish as static files: the issuer profile, the BadgeClass, the key
document(s), the revocation list, the hosted assertion and the images. Nothing is written here.

* ``ob2-hosted``: the assertion is served at its id (``<base>ob2/assertions/<uuid>.json``); no key is needed. It
  is never wrapped in a JWS (the 1EdTech validator rejects hosted badges baked as a JWS).
* ``ob2-signed``: a compact JWS, ``{"alg": "RS256", "typ": "JWT"}`` over the assertion JSON, with
  ``verification: {"type": "SignedBadge", "creator": "<base>ob2/keys/<key-id>.json"}``. RSA keys only: the
  1EdTech reference validator verifies RS256 and nothing else.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from .errors import CatalogError, InputError, KeyMaterialError
from .identity import Recipient, new_salt
from .interfaces import JSONObject
from .issue import Issued, SigningKey, issuer_identity, new_credential_id
from .jsonld import DEFAULT_LOADER, ContextLoader
from .keys import PublicKey, key_type_of, public_key_to_pem
from .model import Catalog, Image, Organization
from .ob2 import (
    Ob2Urls,
    add_revocation,
    build_assertion,
    build_badge_class,
    build_cryptographic_key,
    build_evidence,
    build_issuer_profile,
    build_revocation_list,
    build_revoked_assertion,
    ob2_urls,
    upgrade,
    verification_type,
)
from .ob3 import (
    ACHIEVEMENT_SCHEMA_URL,
    CONTEXT_OB3,
    CONTEXT_OB3_EXTENSIONS,
    CONTEXT_VC2,
    Evidence,
    build_achievement,
    build_profile,
)
from .proofs import data_integrity, vc_jwt
from .proofs.jws import encode_compact
from .timefmt import format_datetime, parse_datetime

__all__ = [
    "FORMATS",
    "JWS_HEADER",
    "ORIGINAL_EVIDENCE_NAME",
    "IssuedOB2",
    "RevokedOB2",
    "find_catalog_issuer",
    "issue_ob2",
    "merge_published",
    "migrate_ob2_to_ob3",
    "revoke_ob2",
    "site_base_url",
]

FORMATS = ("ob2-hosted", "ob2-signed")
JWS_HEADER: Mapping[str, str] = {"alg": "RS256", "typ": "JWT"}
ORIGINAL_EVIDENCE_NAME = "Original Open Badges 2.0 assertion"
_ISSUER_FILE = "ob2/issuer.json"
_REVOCATIONS_FILE = "ob2/revocations.json"
_MIGRATION_NAMESPACE = uuid.UUID("0b2d3c4e-5f60-5a7b-8c9d-0e1f2a3b4c5d")


def _json_bytes(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class IssuedOB2:
    """An OB 2.0 assertion and the files to publish under ``base_url`` (relative path → bytes)."""

    id: str
    format: str
    assertion: JSONObject
    document: str
    """The pretty JSON of the assertion (hosted) or its compact JWS (signed)."""
    base_url: str
    files: Mapping[str, bytes]

    @property
    def media_type(self) -> str:
        return "application/ld+json" if self.format == "ob2-hosted" else "application/jwt"

    @property
    def suffix(self) -> str:
        return ".json" if self.format == "ob2-hosted" else ".jws"


@dataclass(frozen=True, slots=True)
class RevokedOB2:
    """The files a revocation changes: the revocation list, and for a hosted assertion its revoked stub."""

    id: str
    hosted: bool
    reason: str | None
    files: Mapping[str, bytes]


def _evidence(items: Sequence[Evidence]) -> list[JSONObject]:
    return [
        build_evidence(
            url=ev.url,
            name=ev.name,
            narrative=ev.narrative,
            description=ev.description,
            genre=ev.genre,
            audience=ev.audience,
        )
        for ev in items
    ]


def _image_file(catalog: Catalog, urls: Ob2Urls, image: Image, owner_id: str) -> tuple[str, bytes]:
    path = catalog.image_path(image, owner_id)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"the image {image.path!r} of {owner_id!r} cannot be read ({exc.strerror})") from None
    return urls.path_of(urls.image(image)), data


def _rsa_keys(keys: Sequence[tuple[str, PublicKey]]) -> list[tuple[str, RSAPublicKey]]:
    out: dict[str, RSAPublicKey] = {}
    for key_id, public in keys:
        if isinstance(public, RSAPublicKey):
            out.setdefault(key_id, public)
    return list(out.items())


def issue_ob2(
    catalog: Catalog,
    achievement_id: str,
    recipient: Recipient,
    *,
    fmt: str,
    now: datetime,
    key: SigningKey | None = None,
    issuer_id: str | None = None,
    assertion_id: str | None = None,
    expires: datetime | None = None,
    evidence: Sequence[Evidence] = (),
    narrative: str | None = None,
    published_keys: Sequence[tuple[str, PublicKey]] = (),
    revoked: Sequence[tuple[str, str | None]] = (),
) -> IssuedOB2:
    """Issue ``achievement_id`` to ``recipient`` as an Open Badges 2.0 assertion.

    Args:
        fmt: ``ob2-hosted`` or ``ob2-signed``.
        key: the issuer's RSA key: required for ``ob2-signed`` (RS256). For ``ob2-hosted`` it is optional; an RSA
            key given there is still published (so the issuer profile stays the same for both formats).
        issuer_id: the issuer the caller acts for; must be the achievement's issuer (default: that issuer).
        assertion_id: default ``<base>ob2/assertions/<uuid4>.json`` (hosted) or ``urn:uuid:<uuid4>`` (signed).
        published_keys: further ``(key id, public key)`` pairs to publish and list in the issuer's ``publicKey``
            (e.g. retired keys that signed earlier badges). Only RSA keys are published.
        revoked: ``(assertion id, reason)`` pairs for the revocation list (default: an empty list).

    Raises:
        CatalogError: the issuer has no ``baseUrl`` or ``email``, or the achievement has no image.
        KeyMaterialError: ``ob2-signed`` without an RSA key.
        InputError: a bad format, recipient or date.
    """
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    entry = catalog.achievement(achievement_id)
    org = catalog.organization(entry.issuer)
    if issuer_id is not None and issuer_id != org.id:
        raise InputError(
            f"{entry.id!r} is issued by {org.id!r}, not {issuer_id!r}",
            hint=f"badge issue --issuer {org.id} --achievement {entry.id} ...",
        )
    if getattr(entry, "status", "active") != "active":
        raise InputError(f"{entry.id!r} is {getattr(entry, 'status', '')} and cannot be issued yet")
    urls = ob2_urls(org)
    signing: RSAPrivateKey | None = None
    if fmt == "ob2-signed":
        if key is None or not isinstance(key.private_key, RSAPrivateKey):
            found = "no key" if key is None else f"a {key_type_of(key.private_key).value} key"
            raise KeyMaterialError(
                f"issuer {org.id!r}: signed Open Badges 2.0 assertions need an RSA key (RS256), found {found}",
                hint=f"badge keys generate --issuer {org.id} --type rsa",
            )
        signing = key.private_key
    if recipient.email and recipient.hashed and not recipient.salt:
        recipient = Recipient(
            email=recipient.email, name=recipient.name, did=recipient.did, hashed=True, salt=new_salt()
        )
    keys = list(published_keys)
    if key is not None:
        keys.insert(0, (key.key_id, key.private_key.public_key()))
    rsa_keys = _rsa_keys(keys)
    key_urls = [urls.key(key_id) for key_id, _ in rsa_keys]
    profile = build_issuer_profile(org, public_key_ids=key_urls)
    badge = build_badge_class(entry, catalog, org)
    unique = str(uuid.uuid4())
    if assertion_id is None:
        assertion_id = urls.assertion(unique) if fmt == "ob2-hosted" else f"urn:uuid:{unique}"
    assertion = build_assertion(
        entry,
        recipient,
        org,
        assertion_id=assertion_id,
        issued_on=now,
        expires=expires,
        evidence=_evidence(evidence),
        narrative=narrative,
        verification="hosted" if fmt == "ob2-hosted" else "signed",
        key_id=urls.key(key.key_id) if signing is not None and key is not None else None,
    )
    files: dict[str, bytes] = {
        urls.path_of(profile["id"]): _json_bytes(profile),
        urls.path_of(badge["id"]): _json_bytes(badge),
    }
    for (_, public), key_url in zip(rsa_keys, key_urls, strict=True):
        files[urls.path_of(key_url)] = _json_bytes(
            build_cryptographic_key(key_url, urls.issuer, public_key_to_pem(public))
        )
    files[urls.path_of(urls.revocation_list)] = _json_bytes(
        build_revocation_list(urls.revocation_list, urls.issuer, revoked)
    )
    if entry.image is not None:
        path, data = _image_file(catalog, urls, entry.image, entry.id)
        files[path] = data
    if org.image is not None:
        path, data = _image_file(catalog, urls, org.image, org.id)
        files[path] = data
    if fmt == "ob2-hosted":
        document = json.dumps(assertion, indent=2, ensure_ascii=False) + "\n"
        files[urls.path_of(assertion_id)] = document.encode("utf-8")
    else:
        assert signing is not None
        document = encode_compact(JWS_HEADER, assertion, signing)
    return IssuedOB2(
        id=assertion_id, format=fmt, assertion=assertion, document=document, base_url=urls.base, files=files
    )


def site_base_url(issuer_profile: Mapping[str, Any]) -> str:
    """The ``baseUrl`` of a published OB 2.0 site, read from its issuer profile (``<base>ob2/issuer.json``)."""
    issuer_id = issuer_profile.get("id")
    if not isinstance(issuer_id, str) or not issuer_id.startswith("https://") or not issuer_id.endswith(_ISSUER_FILE):
        raise InputError(
            f"the issuer profile id {issuer_id!r} is not <baseUrl>{_ISSUER_FILE}; this is not a site published by "
            "badge issue --format ob2-hosted|ob2-signed"
        )
    return issuer_id[: -len(_ISSUER_FILE)]


def revoke_ob2(
    issuer_profile: Mapping[str, Any],
    assertion_id: str,
    *,
    reason: str | None = None,
    revocation_list: Mapping[str, Any] | None = None,
) -> RevokedOB2:
    """Revoke an assertion of a published OB 2.0 site.

    Returns the updated revocation list, and for a hosted assertion (an id under ``<base>ob2/assertions/``) the
    document its URL must now serve: ``{"@context", "id", "revoked": true, "revocationReason"}``.

    Raises:
        InputError: the profile is not one of ours, or the id is an https URL outside the issuer's site.
    """
    urls = Ob2Urls(site_base_url(issuer_profile))
    if not assertion_id or any(c.isspace() for c in assertion_id):
        raise InputError(f"assertion id {assertion_id!r} is not an IRI")
    hosted = assertion_id.startswith(urls.base + "ob2/assertions/")
    if assertion_id.startswith(("https://", "http://")) and not hosted:
        raise InputError(
            f"{assertion_id} is not an assertion of this site (hosted assertions live under {urls.base}ob2/assertions/)"
        )
    if reason is not None and not reason.strip():
        reason = None
    current = dict(revocation_list) if revocation_list is not None else None
    if current is None or "RevocationList" not in _list(current.get("type")):
        current = build_revocation_list(urls.revocation_list, urls.issuer)
    files = {urls.path_of(urls.revocation_list): _json_bytes(add_revocation(current, assertion_id, reason))}
    if hosted:
        files[urls.path_of(assertion_id)] = _json_bytes(build_revoked_assertion(assertion_id, reason))
    return RevokedOB2(id=assertion_id, hosted=hosted, reason=reason, files=files)


def merge_published(files: Mapping[str, bytes], existing: Mapping[str, bytes]) -> dict[str, bytes]:
    """Merge freshly issued ``files`` with what a site already publishes, so issuing never loses state.

    The revocation list keeps every entry it had (new entries are added), and the issuer profile keeps listing every
    key it listed before. Other files are replaced by the new ones. Unreadable existing files are replaced.
    """
    out = dict(files)
    for path, new_bytes in files.items():
        old_bytes = existing.get(path)
        if old_bytes is None or path not in (_ISSUER_FILE, _REVOCATIONS_FILE):
            continue
        try:
            old = json.loads(old_bytes)
            new = json.loads(new_bytes)
        except (ValueError, UnicodeDecodeError):
            continue
        if not isinstance(old, dict) or not isinstance(new, dict):
            continue
        if path == _REVOCATIONS_FILE:
            kept = _list(old.get("revokedAssertions"))
            merged = dict(new)
            for entry in _list(new.get("revokedAssertions")):
                if entry not in kept:
                    kept.append(entry)
            merged["revokedAssertions"] = kept
        else:
            keys = [k for k in _list(old.get("publicKey")) if isinstance(k, str)]
            for k in _list(new.get("publicKey")):
                if isinstance(k, str) and k not in keys:
                    keys.append(k)
            merged = dict(new)
            if keys:
                merged["publicKey"] = keys[0] if len(keys) == 1 else keys
        out[path] = _json_bytes(merged)
    return out


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# ----------------------------------------------------------------------------------------------------------
# Migration to Open Badges 3.0


def find_catalog_issuer(catalog: Catalog, issuer_doc_id: Any) -> Organization | None:
    """The catalog issuer whose OB 2.0 profile id (``<base>ob2/issuer.json``) is ``issuer_doc_id``, or None."""
    for org in catalog.organizations.values():
        if org.base_url and issuer_doc_id == ob2_urls(org).issuer:
            return org
    return None


def _catalog_entry_id(catalog: Catalog, org: Organization, badge_id: str | None) -> str | None:
    if not org.base_url or not badge_id:
        return None
    urls = ob2_urls(org)
    for entry in catalog.achievements():
        if entry.issuer == org.id and urls.badge_class(entry.id) == badge_id:
            return entry.id
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _achievement_from_badge_class(badge: Mapping[str, Any]) -> JSONObject:
    badge_id = _text(badge.get("id")) or json.dumps(badge, sort_keys=True)
    achievement: JSONObject = {
        "id": "urn:uuid:" + str(uuid.uuid5(_MIGRATION_NAMESPACE, badge_id)),
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": _text(badge.get("name")) or "Open Badge",
        "description": _text(badge.get("description")) or _text(badge.get("name")) or "Open Badge",
    }
    criteria = badge.get("criteria")
    if isinstance(criteria, str):
        achievement["criteria"] = {"id": criteria}
    elif isinstance(criteria, Mapping) and (_text(criteria.get("id")) or _text(criteria.get("narrative"))):
        achievement["criteria"] = {k: criteria[k] for k in ("id", "narrative") if _text(criteria.get(k))}
    else:
        achievement["criteria"] = {"narrative": achievement["description"]}
    image = badge.get("image")
    image_id = image if isinstance(image, str) else _text(image.get("id")) if isinstance(image, Mapping) else None
    if image_id:
        achievement["image"] = {"id": image_id, "type": "Image"}
        if isinstance(image, Mapping) and _text(image.get("caption")):
            achievement["image"]["caption"] = image["caption"]
    alignment = []
    for item in _list(badge.get("alignment")):
        if isinstance(item, Mapping) and _text(item.get("targetName")) and _text(item.get("targetUrl")):
            out: JSONObject = {"type": ["Alignment"], "targetName": item["targetName"], "targetUrl": item["targetUrl"]}
            for key in ("targetDescription", "targetFramework", "targetCode"):
                if _text(item.get(key)):
                    out[key] = item[key]
            alignment.append(out)
    if alignment:
        achievement["alignment"] = alignment
    tags = [t for t in _list(badge.get("tags")) if _text(t)]
    if tags:
        achievement["tag"] = tags
    return achievement


def _identifier(recipient: Any) -> JSONObject:
    if not isinstance(recipient, Mapping) or not _text(recipient.get("identity")):
        raise InputError("the OB 2.0 assertion has no recipient identity to carry over")
    kind = recipient.get("type") if isinstance(recipient.get("type"), str) else "email"
    identity_type = "emailAddress" if kind == "email" else f"ext:ob2-{kind}"
    identifier: JSONObject = {
        "type": "IdentityObject",
        "identityHash": recipient["identity"],
        "identityType": identity_type,
        "hashed": bool(recipient.get("hashed")),
    }
    if identifier["hashed"] and _text(recipient.get("salt")):
        identifier["salt"] = recipient["salt"]
    return identifier


def _ob3_evidence(assertion: Mapping[str, Any]) -> list[JSONObject]:
    original: JSONObject = {"id": assertion["id"], "type": ["Evidence"], "name": ORIGINAL_EVIDENCE_NAME}
    out = [original]
    for item in _list(assertion.get("evidence")):
        if isinstance(item, str) and item.strip():
            out.append({"id": item, "type": ["Evidence"]})
        elif isinstance(item, Mapping):
            ev: JSONObject = {"type": ["Evidence"]}
            for key in ("id", "name", "narrative", "description", "genre", "audience"):
                if _text(item.get(key)):
                    ev[key] = item[key]
            if len(ev) > 1:
                out.append(ev)
    return out


def _normalized_date(value: Any, what: str) -> datetime:
    return parse_datetime(value, what=f"the OB 2.0 {what}")


def migrate_ob2_to_ob3(
    assertion_json: Mapping[str, Any],
    badge_class_json: Mapping[str, Any] | None,
    issuer_json: Mapping[str, Any] | None,
    *,
    key: SigningKey,
    now: datetime,
    catalog: Catalog | None = None,
    issuer: Organization | None = None,
    fmt: str = "ob3-di",
    credential_id: str | None = None,
    loader: ContextLoader = DEFAULT_LOADER,
) -> Issued:
    """Re-issue a (verified) Open Badges 2.0 assertion as a signed OB 3.0 OpenBadgeCredential.

    The OB 2.0 files are not changed: the new credential points back to the original assertion as its first
    ``evidence`` (``name`` = "Original Open Badges 2.0 assertion") and to the OB 2.0 BadgeClass in the
    achievement's ``related``. The recipient's identity (hashed email and salt) is carried over as it is;
    ``validFrom``/``awardedDate`` keep the original ``issuedOn`` and ``validUntil`` its ``expires``.

    Args:
        assertion_json: the OB 2.0 assertion (legacy 0.5/1.x are upgraded first).
        badge_class_json, issuer_json: its BadgeClass and issuer Profile (default: embedded in the assertion).
        key: the signing key of the OB 3.0 issuer (Ed25519 for ``ob3-di``).
        catalog: when the OB 2.0 issuer/badge are ours (``<base>ob2/...`` of a catalog issuer), the catalog
            achievement is used for the OB 3.0 achievement (rubric and all).
        issuer: the catalog organisation that re-issues the badge (default: the catalog issuer whose OB 2.0 profile
            this is).

    Raises:
        InputError: no issuer could be determined, or the assertion lacks what OB 3.0 needs.
    """
    assertion, _ = upgrade(assertion_json, "Assertion")
    if not _text(assertion.get("id")):
        raise InputError("the OB 2.0 assertion has no id to point back to")
    embedded_badge = assertion.get("badge") if isinstance(assertion.get("badge"), Mapping) else None
    badge = dict(badge_class_json) if badge_class_json is not None else dict(embedded_badge or {})
    if not badge:
        raise InputError("the OB 2.0 BadgeClass is needed to migrate the assertion (pass badge_class_json)")
    badge_issuer = badge.get("issuer")
    profile = (
        dict(issuer_json)
        if issuer_json is not None
        else dict(badge_issuer)
        if isinstance(badge_issuer, Mapping)
        else {}
    )
    ob2_issuer_id = _text(profile.get("id")) or (badge_issuer if isinstance(badge_issuer, str) else None)
    if issuer is None and catalog is not None:
        issuer = find_catalog_issuer(catalog, ob2_issuer_id)
    if issuer is None:
        raise InputError(
            f"the OB 2.0 issuer {ob2_issuer_id or '(unknown)'} is not one of the catalog's issuers; choose which "
            "of your issuers re-issues it",
            hint="badge migrate SOURCE --issuer ID",
        )
    if fmt not in ("ob3-di", "ob3-jwt"):
        raise InputError(f"format {fmt!r} is not one of ob3-di, ob3-jwt")
    identity = issuer_identity(issuer, key)
    entry_id = _catalog_entry_id(catalog, issuer, _text(badge.get("id"))) if catalog is not None else None
    if catalog is not None and entry_id is not None:
        achievement = build_achievement(catalog.achievement(entry_id), catalog, issuer=issuer)
    else:
        achievement = _achievement_from_badge_class(badge)
    if _text(badge.get("id")):
        related = {"id": badge["id"], "type": ["Related"]}
        achievement["related"] = [*_list(achievement.get("related")), related]
    subject: JSONObject = {
        "type": ["AchievementSubject"],
        "identifier": [_identifier(assertion.get("recipient"))],
        "achievement": achievement,
    }
    if _text(assertion.get("narrative")):
        subject["narrative"] = assertion["narrative"]
    issued_on = _normalized_date(assertion.get("issuedOn"), "issuedOn")
    credential: JSONObject = {
        "@context": [CONTEXT_VC2, CONTEXT_OB3, CONTEXT_OB3_EXTENSIONS],
        "id": credential_id or new_credential_id(issuer),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "description": achievement["description"],
        "issuer": build_profile(issuer, profile_id=identity.id),
        "validFrom": format_datetime(issued_on),
    }
    if "expires" in assertion:
        credential["validUntil"] = format_datetime(_normalized_date(assertion.get("expires"), "expires"))
    credential["awardedDate"] = format_datetime(issued_on)
    credential["credentialSubject"] = subject
    credential["evidence"] = _ob3_evidence(assertion)
    credential["credentialSchema"] = [{"id": ACHIEVEMENT_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}]
    if verification_type(assertion.get("verification")) is None:
        raise InputError("the OB 2.0 assertion has no verification (HostedBadge or SignedBadge)")
    if fmt == "ob3-di":
        if not isinstance(key.private_key, Ed25519PrivateKey):
            raise KeyMaterialError(
                f"issuer {issuer.id!r}: eddsa-rdfc-2022 needs an Ed25519 key, not {key_type_of(key.private_key).value}",
                hint=f"badge keys generate --issuer {issuer.id} --type ed25519",
            )
        signed = data_integrity.sign(
            credential, key.private_key, verification_method=identity.verification_method, created=now, loader=loader
        )
        document = json.dumps(signed, indent=2, ensure_ascii=False) + "\n"
        return Issued(id=credential["id"], format=fmt, credential=signed, document=document)
    token = vc_jwt.sign_jwt(credential, key.private_key, kid=identity.verification_method)
    return Issued(id=credential["id"], format=fmt, credential=credential, document=token)
