"""Open Badges 2.0 documents built from the catalog, revocation lists, and the upgrade of legacy (0.5/1.0/1.1) JSON.

Pure functions: every id, date and salt is a parameter; nothing is fetched or written here.

Every OB 2.0 id is a stable https URL under the issuer's ``baseUrl`` (the files are published there as static files):

==============================  ====================================================
``<base>ob2/issuer.json``        the issuer Profile (``publicKey``, ``revocationList``, ``verification`` policy)
``<base>ob2/badges/<id>.json``   one BadgeClass per catalog achievement
``<base>ob2/assertions/<u>.json`` a hosted Assertion (signed ones use ``urn:uuid:<u>``)
``<base>ob2/keys/<key-id>.json`` a CryptographicKey (RSA public key, ``owner`` = the issuer)
``<base>ob2/revocations.json``   the RevocationList
``<base>images/<file>``          badge and issuer images (the same URLs as the OB 3.0 documents)
==============================  ====================================================

An issuer without a ``baseUrl`` cannot issue OB 2.0 (hosted ids must be URLs it serves; the 1EdTech validator wants
https key and issuer URLs for signed badges too). OB 2.0 requires an issuer ``email``; an issuer without one is refused
rather than given an invented address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from .errors import CatalogError, InputError
from .identity import Recipient, identity_hash
from .interfaces import JSONObject
from .model import Catalog, Certificate, Image, MicroCredential, Organization, Stack
from .timefmt import format_datetime

__all__ = [
    "CONTEXT_OB1",
    "CONTEXT_OB2",
    "LEGACY_VERSIONS",
    "Ob2Urls",
    "add_revocation",
    "build_assertion",
    "build_badge_class",
    "build_cryptographic_key",
    "build_evidence",
    "build_issuer_profile",
    "build_revocation_list",
    "build_revoked_assertion",
    "detect_version",
    "find_revocation",
    "ob2_urls",
    "revoked_ids",
    "upgrade",
    "verification_type",
]

CONTEXT_OB2 = "https://w3id.org/openbadges/v2"
CONTEXT_OB1 = "https://w3id.org/openbadges/v1"
_OB2_CONTEXTS = frozenset({CONTEXT_OB2, "https://openbadgespec.org/v2/context.json"})
_OB1_CONTEXTS = frozenset({CONTEXT_OB1, "https://openbadgespec.org/v1/context.json"})
LEGACY_VERSIONS = ("0.5", "1.0", "1.1")
"""Versions read (upgraded to 2.0 in memory, with a warning) but never written."""

_VERIFICATION_ALIASES = {"hosted": "HostedBadge", "signed": "SignedBadge"}
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Entry = MicroCredential | Stack | Certificate


# ----------------------------------------------------------------------------------------------------------
# Ids


@dataclass(frozen=True, slots=True)
class Ob2Urls:
    """Where an issuer's OB 2.0 documents live: every id is ``base`` + a relative path (see :meth:`path_of`)."""

    base: str

    @property
    def issuer(self) -> str:
        return self.base + "ob2/issuer.json"

    @property
    def revocation_list(self) -> str:
        return self.base + "ob2/revocations.json"

    def badge_class(self, achievement_id: str) -> str:
        return self.base + f"ob2/badges/{_segment(achievement_id, 'achievement id')}.json"

    def assertion(self, uuid_text: str) -> str:
        return self.base + f"ob2/assertions/{_segment(uuid_text, 'assertion id')}.json"

    def key(self, key_id: str) -> str:
        return self.base + f"ob2/keys/{_segment(key_id, 'key id')}.json"

    def image(self, image: Image) -> str:
        return self.base + f"images/{_segment(PurePosixPath(image.path).name, 'image file name')}"

    def path_of(self, url: str) -> str:
        """The path of ``url`` relative to the base (the file to publish), e.g. ``ob2/issuer.json``."""
        if not url.startswith(self.base) or len(url) == len(self.base):
            raise InputError(f"{url} is not a document under {self.base}")
        rest = url[len(self.base) :]
        parts = rest.split("/")
        if any(p in ("", ".", "..") for p in parts) or "?" in rest or "#" in rest or "\\" in rest:
            raise InputError(f"{url} is not a plain file path under {self.base}")
        return rest


def _segment(value: str, what: str) -> str:
    if not _SAFE_SEGMENT.match(value):
        raise InputError(f"{what} {value!r} cannot be used in a URL path (expected letters, digits, '.', '-', '_')")
    return value


def ob2_urls(org: Organization) -> Ob2Urls:
    """The OB 2.0 URLs of ``org``. Raises CatalogError when the issuer has no ``baseUrl``."""
    if not org.base_url:
        raise CatalogError(
            f"issuer {org.id!r} has no baseUrl; Open Badges 2.0 documents need https URLs that the issuer publishes",
            hint=f'add "baseUrl": "https://…/" to issuers/{org.id}/profile.json and publish the files there, '
            "or issue Open Badges 3.0 (--format ob3-di)",
        )
    return Ob2Urls(org.base_url)


# ----------------------------------------------------------------------------------------------------------
# Builders


def _image_object(urls: Ob2Urls, image: Image) -> JSONObject:
    return {"id": urls.image(image), "caption": image.caption}


def build_issuer_profile(
    org: Organization,
    *,
    public_key_ids: Sequence[str] = (),
    include_image: bool = True,
) -> JSONObject:
    """The issuer Profile (``type: Issuer``) with its keys, revocation list and hosted verification policy.

    The policy only accepts hosted assertions under ``<base>ob2/assertions/`` (``startsWith``); the allowed origin is
    the default, the issuer id's host, which is the base URL's.

    Raises:
        CatalogError: the issuer has no ``baseUrl`` or no ``email`` (OB 2.0 requires one).
    """
    urls = ob2_urls(org)
    if not org.email:
        raise CatalogError(
            f"issuer {org.id!r} has no email; Open Badges 2.0 requires an email address for every issuer",
            hint=f'add "email": "badges@…" to issuers/{org.id}/profile.json',
        )
    profile: JSONObject = {
        "@context": CONTEXT_OB2,
        "type": "Issuer",
        "id": urls.issuer,
        "name": org.name,
        "url": org.url,
        "email": org.email,
    }
    if org.description:
        profile["description"] = org.description
    if include_image and org.image is not None:
        profile["image"] = _image_object(urls, org.image)
    keys = list(dict.fromkeys(public_key_ids))
    if keys:
        profile["publicKey"] = keys[0] if len(keys) == 1 else keys
    profile["revocationList"] = urls.revocation_list
    # allowedOrigins is left to its default, the host (and port) of the issuer id, which is the base URL's: the 1EdTech
    # validator refuses an explicit allowedOrigins with a port or without a dot (e.g. localhost:8443)
    profile["verification"] = {
        "type": "VerificationObject",
        "verificationProperty": "id",
        "startsWith": urls.base + "ob2/assertions/",
    }
    return profile


def build_badge_class(entry: Entry, catalog: Catalog, issuer_org: Organization) -> JSONObject:
    """The BadgeClass of a catalog micro-credential, stack or certificate.

    Raises:
        CatalogError: no ``baseUrl``, or the entry has no image (OB 2.0 requires a badge image).
    """
    urls = ob2_urls(issuer_org)
    if entry.image is None:
        raise CatalogError(
            f"{entry.id!r} has no image; an Open Badges 2.0 BadgeClass requires one (PNG or SVG)",
            hint=f"add an image (path and caption) to {entry.id!r} in the catalog",
        )
    criteria: JSONObject = {"narrative": entry.criteria_narrative}
    if isinstance(entry, MicroCredential):
        levels = [f"* {c.name}: at least {c.required.name}" for c in entry.rubric.criteria]
        if levels:
            criteria["narrative"] = (
                entry.criteria_narrative.rstrip() + "\n\nRubric (required levels):\n\n" + ("\n".join(levels))
            )
    badge: JSONObject = {
        "@context": CONTEXT_OB2,
        "type": "BadgeClass",
        "id": urls.badge_class(entry.id),
        "name": entry.name,
        "description": entry.description,
        "image": _image_object(urls, entry.image),
        "criteria": criteria,
        "issuer": urls.issuer,
    }
    alignment = []
    for a in getattr(entry, "alignment", ()):
        item: JSONObject = {"targetName": a.target_name, "targetUrl": a.target_url}
        for key, value in (
            ("targetDescription", a.target_description),
            ("targetFramework", a.target_framework),
            ("targetCode", a.target_code),
        ):
            if value:
                item[key] = value
        alignment.append(item)
    if alignment:
        badge["alignment"] = alignment
    if entry.tags:
        badge["tags"] = list(entry.tags)
    if isinstance(entry, MicroCredential) and entry.version:
        badge["version"] = entry.version
    catalog.organization(entry.issuer)  # the entry's issuer is in the catalog (raises CatalogError otherwise)
    return badge


def build_evidence(
    *,
    url: str | None = None,
    name: str | None = None,
    narrative: str | None = None,
    description: str | None = None,
    genre: str | None = None,
    audience: str | None = None,
) -> JSONObject:
    """An OB 2.0 Evidence object; ``url`` becomes its ``id``."""
    if url is None and not (name or narrative):
        raise InputError("evidence needs a URL, a name or a narrative")
    if url is not None and not url.startswith(("https://", "http://")):
        raise InputError(f"evidence URL {url!r} must start with https://")
    item: JSONObject = {"type": "Evidence"}
    if url is not None:
        item["id"] = url
    for key, value in (
        ("name", name),
        ("narrative", narrative),
        ("description", description),
        ("genre", genre),
        ("audience", audience),
    ):
        if value:
            item[key] = value
    return item


def build_assertion(
    entry: Entry,
    recipient: Recipient,
    issuer_org: Organization,
    *,
    assertion_id: str,
    issued_on: datetime,
    expires: datetime | None = None,
    evidence: Sequence[Mapping[str, Any]] = (),
    narrative: str | None = None,
    verification: str = "hosted",
    key_id: str | None = None,
) -> JSONObject:
    """An OB 2.0 Assertion of ``entry`` for ``recipient`` (a salted sha256 email hash unless ``hashed=False``).

    Args:
        assertion_id: the hosted URL (``Ob2Urls.assertion``) for ``hosted``; for ``signed`` a ``urn:uuid`` is usual.
        verification: ``hosted`` (HostedBadge: the assertion is served at its id) or ``signed`` (SignedBadge: a
            compact JWS; ``key_id`` is the URL of the CryptographicKey, also listed in the issuer's publicKey).
        evidence: OB 2.0 Evidence objects (see :func:`build_evidence`).
    """
    urls = ob2_urls(issuer_org)
    if recipient.email is None:
        raise InputError(
            "an Open Badges 2.0 recipient is identified by email here; this recipient has only a DID",
            hint="give --recipient EMAIL, or issue Open Badges 3.0 for a DID recipient",
        )
    if expires is not None and expires <= issued_on:
        raise InputError("expires must be later than issuedOn")
    identity: JSONObject
    if recipient.hashed:
        if not recipient.salt:
            raise InputError("a hashed recipient needs a salt")
        identity = {
            "type": "email",
            "hashed": True,
            "salt": recipient.salt,
            "identity": identity_hash(recipient.email, recipient.salt),
        }
    else:
        identity = {"type": "email", "hashed": False, "identity": recipient.email}
    if verification == "hosted":
        if not assertion_id.startswith(urls.base + "ob2/assertions/"):
            raise InputError(
                f"a hosted assertion id must be its URL under {urls.base}ob2/assertions/, found {assertion_id!r}"
            )
        verification_object: JSONObject = {"type": "HostedBadge"}
    elif verification == "signed":
        if not key_id or not key_id.startswith(urls.base):
            raise InputError(f"a signed assertion needs the https URL of its key under {urls.base} (key_id)")
        verification_object = {"type": "SignedBadge", "creator": key_id}
    else:
        raise InputError(f"verification {verification!r} is not one of hosted, signed")
    assertion: JSONObject = {
        "@context": CONTEXT_OB2,
        "type": "Assertion",
        "id": assertion_id,
        "recipient": identity,
        "badge": urls.badge_class(entry.id),
        "verification": verification_object,
        "issuedOn": format_datetime(issued_on),
    }
    if expires is not None:
        assertion["expires"] = format_datetime(expires)
    if evidence:
        assertion["evidence"] = [dict(e) for e in evidence]
    if narrative:
        assertion["narrative"] = narrative
    return assertion


def build_cryptographic_key(key_id: str, owner_id: str, public_pem: str) -> JSONObject:
    """A CryptographicKey document: ``key_id`` is its URL, ``owner_id`` the issuer Profile id."""
    if "-----BEGIN PUBLIC KEY-----" not in public_pem:
        raise InputError("publicKeyPem must be a PEM SubjectPublicKeyInfo (-----BEGIN PUBLIC KEY-----)")
    return {
        "@context": CONTEXT_OB2,
        "type": "CryptographicKey",
        "id": key_id,
        "owner": owner_id,
        "publicKeyPem": public_pem,
    }


def _revocation_entry(assertion_id: str, reason: str | None) -> str | JSONObject:
    return {"id": assertion_id, "revocationReason": reason} if reason else assertion_id


def build_revocation_list(list_id: str, issuer_id: str, revoked: Sequence[tuple[str, str | None]] = ()) -> JSONObject:
    """A RevocationList: ``revoked`` holds ``(assertion id, reason or None)`` pairs, kept in order, no repeats."""
    entries: list[str | JSONObject] = []
    seen: set[str] = set()
    for assertion_id, reason in revoked:
        if assertion_id in seen:
            continue
        seen.add(assertion_id)
        entries.append(_revocation_entry(assertion_id, reason))
    return {
        "@context": CONTEXT_OB2,
        "id": list_id,
        "type": "RevocationList",
        "issuer": issuer_id,
        "revokedAssertions": entries,
    }


def add_revocation(revocation_list: Mapping[str, Any], assertion_id: str, reason: str | None) -> JSONObject:
    """A copy of ``revocation_list`` that also revokes ``assertion_id`` (an existing entry gets the new reason)."""
    entries = revocation_list.get("revokedAssertions")
    kept: list[Any] = []
    for entry in entries if isinstance(entries, list) else []:
        entry_id = entry if isinstance(entry, str) else entry.get("id") if isinstance(entry, Mapping) else None
        if entry_id != assertion_id:
            kept.append(entry)
    kept.append(_revocation_entry(assertion_id, reason))
    return {**dict(revocation_list), "revokedAssertions": kept}


def revoked_ids(revocation_list: Mapping[str, Any]) -> list[str]:
    """The assertion ids (and legacy ``uid``s) a RevocationList lists."""
    out: list[str] = []
    entries = revocation_list.get("revokedAssertions")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            out.append(entry)
        elif isinstance(entry, Mapping):
            for key in ("id", "uid"):
                if isinstance(entry.get(key), str):
                    out.append(entry[key])
    return out


def find_revocation(
    revocation_list: Mapping[str, Any], assertion_id: str, *, uid: str | None = None
) -> tuple[bool, str | None]:
    """``(revoked, reason)`` for ``assertion_id`` (or a legacy ``uid``) in a RevocationList."""
    entries = revocation_list.get("revokedAssertions")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            if entry == assertion_id:
                return True, None
        elif isinstance(entry, Mapping) and (
            entry.get("id") == assertion_id or (uid is not None and entry.get("uid") == uid)
        ):
            reason = entry.get("revocationReason")
            return True, reason if isinstance(reason, str) else None
    return False, None


def build_revoked_assertion(assertion_id: str, reason: str | None) -> JSONObject:
    """What a revoked hosted assertion's URL serves (the spec's Revoked_Hosted_Assertion example)."""
    doc: JSONObject = {"@context": CONTEXT_OB2, "id": assertion_id, "revoked": True}
    if reason:
        doc["revocationReason"] = reason
    return doc


# ----------------------------------------------------------------------------------------------------------
# Reading: versions, aliases, legacy upgrade


def _contexts(doc: Mapping[str, Any]) -> list[str]:
    ctx = doc.get("@context")
    items = ctx if isinstance(ctx, list) else [ctx]
    out = []
    for item in items:
        if isinstance(item, str):
            text = item.strip().rstrip("/")
            out.append("https://" + text[len("http://") :] if text.startswith("http://") else text)
    return out


def detect_version(doc: Mapping[str, Any]) -> str | None:
    """``"2.0"``, ``"1.1"``, ``"1.0"`` or ``"0.5"`` for an Open Badges object, None when it is not one.

    Rules of the 1EdTech validator: the ``@context`` decides (``…/v2`` 2.0, ``…/v1`` 1.1); without a context, an
    assertion whose ``recipient`` is a bare string is 0.5 (unless it has the 1.0 ``uid``/``verify``), else 1.0.
    """
    contexts = _contexts(doc)
    if any(c in _OB2_CONTEXTS for c in contexts):
        return "2.0"
    if any(c in _OB1_CONTEXTS for c in contexts):
        return "1.1"
    if "@context" in doc:
        return None
    if isinstance(doc.get("recipient"), str) and "uid" not in doc and "verify" not in doc:
        return "0.5"
    return "1.0"


def verification_type(verification: Any) -> str | None:
    """``HostedBadge`` or ``SignedBadge`` (aliases ``hosted``/``signed`` resolved), or None."""
    if not isinstance(verification, Mapping):
        return None
    value = verification.get("type")
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        return None
    value = _VERIFICATION_ALIASES.get(value, value)
    return value if value in ("HostedBadge", "SignedBadge") else None


def _upgrade_datetime(value: Any) -> Any:
    """A legacy date (unix seconds, ``YYYY-MM-DD``, no time zone) as an ISO 8601 UTC date-time; else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"\d{9,11}(\.\d+)?", value)):
        try:
            return format_datetime(datetime.fromtimestamp(float(value), UTC))
        except (OverflowError, OSError, ValueError):
            return value
    if isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY.match(text):
            return text + "T00:00:00Z"
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            return value
        if parsed.tzinfo is None:
            return format_datetime(parsed.replace(tzinfo=UTC))
    return value


def _upgrade_issuer(issuer: Mapping[str, Any], node_id: str | None) -> JSONObject:
    out = dict(issuer)
    for old, new in (("origin", "url"), ("contact", "email")):
        if old in out and new not in out:
            out[new] = out.pop(old)
    if isinstance(out.get("name"), str) and isinstance(out.get("org"), str):
        out["name"] = f"{out['name']}: {out.pop('org')}"
    out.setdefault("type", "Issuer")
    if "id" not in out and node_id:
        out["id"] = node_id
    out["@context"] = CONTEXT_OB2
    return out


def _upgrade_badge_class(badge: Mapping[str, Any], node_id: str | None) -> JSONObject:
    out = dict(badge)
    out.setdefault("type", "BadgeClass")
    if "id" not in out and node_id:
        out["id"] = node_id
    alignment = out.get("alignment")
    if isinstance(alignment, list):
        fixed = []
        for item in alignment:
            if isinstance(item, Mapping):
                item = dict(item)
                for old, new in (("url", "targetUrl"), ("name", "targetName"), ("description", "targetDescription")):
                    if old in item and new not in item:
                        item[new] = item.pop(old)
            fixed.append(item)
        out["alignment"] = fixed
    issuer = out.get("issuer")
    if isinstance(issuer, Mapping):
        out["issuer"] = _upgrade_issuer(issuer, None)
    out["@context"] = CONTEXT_OB2
    return out


def _upgrade_assertion(doc: Mapping[str, Any], version: str, node_id: str | None) -> JSONObject:
    out = dict(doc)
    if version == "0.5":
        recipient = out.get("recipient")
        if isinstance(recipient, str):
            identity: JSONObject = {
                "type": "email",
                "hashed": "@" not in recipient,
                "identity": recipient,
            }
            if isinstance(out.get("salt"), str):
                identity["salt"] = out.pop("salt")
            out["recipient"] = identity
        if "issued_on" in out and "issuedOn" not in out:
            out["issuedOn"] = out.pop("issued_on")
        out["verification"] = {"type": "HostedBadge"}
        badge = out.get("badge")
        if isinstance(badge, Mapping):
            out["badge"] = _upgrade_badge_class(badge, None)
    if "verify" in out and "verification" not in out:
        verify = out.pop("verify")
        if isinstance(verify, Mapping):
            vtype = verification_type(verify)
            verification: JSONObject = {"type": vtype or verify.get("type")}
            url = verify.get("url")
            if vtype == "HostedBadge" and isinstance(url, str) and "id" not in out:
                out["id"] = url
            if vtype == "SignedBadge" and isinstance(url, str):
                verification["creator"] = url
            out["verification"] = verification
        else:
            out["verification"] = verify
    if "verification" in out:
        vtype = verification_type(out["verification"])
        if vtype is not None and isinstance(out["verification"], Mapping):
            out["verification"] = {**dict(out["verification"]), "type": vtype}
    if "id" not in out:
        if node_id:
            out["id"] = node_id
        elif isinstance(out.get("uid"), str) and verification_type(out.get("verification")) == "SignedBadge":
            out["id"] = f"urn:uid:{out['uid']}"
    out.setdefault("type", "Assertion")
    for key in ("issuedOn", "expires"):
        if key in out:
            out[key] = _upgrade_datetime(out[key])
    badge = out.get("badge")
    if isinstance(badge, Mapping) and version != "0.5":
        out["badge"] = _upgrade_badge_class(badge, None)
    out["@context"] = CONTEXT_OB2
    return out


def upgrade(doc: Mapping[str, Any], kind: str, *, node_id: str | None = None) -> tuple[JSONObject, str | None]:
    """Upgrade a legacy ``Assertion``, ``BadgeClass`` or ``Profile`` to OB 2.0 in memory (a new dict).

    ``node_id`` is the URL the document was fetched from (legacy documents often lack an ``id``). Returns the
    upgraded document and the version it was read as (``"2.0"`` documents come back unchanged, as a copy).
    """
    version = detect_version(doc)
    if version is None or version == "2.0":
        return dict(doc), version
    if kind == "Assertion":
        return _upgrade_assertion(doc, version, node_id), version
    if kind == "BadgeClass":
        return _upgrade_badge_class(doc, node_id), version
    return _upgrade_issuer(doc, node_id), version
