"""The static public site of an issuer: everything a verifier or a browser fetches under the issuer's ``baseUrl``.

:func:`build_site` returns the files as ``{path relative to the baseUrl: bytes}``; nothing is written here (the
caller writes them, e.g. ``badge publish --out DIR``). The layout:

=====================================  =================================================================
``credentials/<uuid>``                 the credential exactly as issued (ob3-di JSON, or the compact JWT):
                                       what its id URL serves to a verifier
``credentials/<uuid>.json`` / ``.jwt``  the same, with an extension for hosts that pick types by extension
``credentials/<uuid>.html``            a page for people, with Open Graph tags for link previews
``qr/<uuid>.png``, ``qr/<uuid>.svg``   a QR code of the page (or of the verification service's link)
``achievements/<id>`` (+ ``.json``)    the OB 3.0 Achievement of every catalog entry of the issuer
``profile.json``                       the issuer's OB 3.0 Profile (its id is the issuer's did:web)
``did.json`` or ``.well-known/did.json``  the did:web document, with retired keys (old credentials verify)
``status/…``                           the status lists (:func:`openbadge_ctq.status_publish.build_status_documents`)
``images/<file>``                      badge and issuer images (and a ``.png`` twin when the catalog has one)
=====================================  =================================================================

The credential id URL serves the credential itself (not HTML): a static server cannot negotiate content, and
verifiers fetch that URL. Share the ``.html`` page with people. ``openbadge_ctq.web.hosting`` serves the same
folder with content negotiation. Open Badges 2.0 files (``ob2/…``, from ``badge issue --format ob2-hosted
--out-dir``) live in the same folder and are left alone.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .did import build_did_web_document, did_web_from_base_url, did_web_to_url
from .errors import CatalogError, InputError
from .issue import SigningKey
from .jsonld import DEFAULT_LOADER, ContextLoader
from .keys import PublicKey
from .model import Catalog, Image, Organization
from .ob3 import build_achievement, build_profile
from .qr import qr_png, qr_svg
from .status_publish import RevokedItem, StatusListContent, build_status_documents, require_base_url

if TYPE_CHECKING:
    from .registry import CredentialRecord

__all__ = [
    "PROFILE_PATH",
    "PublishedSite",
    "build_site",
    "credential_page",
    "credential_path",
    "did_document_path",
]

PROFILE_PATH = "profile.json"
_STATE_LABELS: Mapping[str, str] = {"active": "Valid", "suspended": "Suspended", "revoked": "Revoked"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedSite:
    """The files of an issuer's public site (relative path → bytes) and what they are."""

    issuer_id: str
    base_url: str
    did: str
    did_document_path: str
    files: Mapping[str, bytes]
    credentials: tuple[str, ...]
    """Ids of the credentials published (those whose id is under the baseUrl)."""
    skipped: tuple[str, ...]
    """Ids of recorded credentials that cannot be hosted here (``urn:uuid:`` ids, issued before the baseUrl)."""


def did_document_path(base_url: str) -> str:
    """Where the did:web document of ``base_url`` goes, relative to it: ``did.json`` or ``.well-known/did.json``."""
    url = did_web_to_url(did_web_from_base_url(base_url))
    if not url.startswith(base_url):  # pragma: no cover - did_web_from_base_url keeps the path, so it is under it
        raise InputError(f"the DID document of {base_url} ({url}) is not under it")
    return url[len(base_url) :]


def credential_path(base_url: str, credential_id: str) -> str | None:
    """``credentials/<name>`` for an id ``<baseUrl>credentials/<name>``; None for other ids."""
    prefix = base_url + "credentials/"
    if not credential_id.startswith(prefix):
        return None
    name = credential_id[len(prefix) :]
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        return None
    return "credentials/" + name


def _dump(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _name_of(value: Any) -> str:
    if isinstance(value, Mapping):
        return _text(value.get("name"))
    return ""


def _image_url(value: Any) -> str:
    if isinstance(value, Mapping):
        return _text(value.get("id"))
    return _text(value)


def credential_page(
    credential: Mapping[str, Any],
    *,
    page_url: str,
    json_url: str,
    state: str = "active",
    state_reason: str | None = None,
    qr_url: str | None = None,
    verify_link: str | None = None,
) -> bytes:
    """The HTML page of a credential, with Open Graph tags (title, description, image, url) for link previews.

    ``credential`` is the credential as JSON (for a JWT, its payload). Nothing from it is trusted: every value is
    escaped. No scripts, no external styles.
    """
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    issuer = credential.get("issuer")
    title = _name_of(achievement) or _text(credential.get("name")) or "Credential"
    issuer_name = _name_of(issuer) or "the issuer"
    recipient = _text(subject.get("name"))
    description = _text(achievement.get("description"))
    image = _image_url(achievement.get("image")) or _image_url(credential.get("image"))
    if image and not image.startswith("https://"):
        image = ""  # data: URIs and did: ids do not work as previews
    if image.endswith(".svg"):
        image = image[: -len(".svg")] + ".png"  # link previews do not render SVG; build_site publishes a PNG twin
    awarded = _text(credential.get("validFrom") or credential.get("issuanceDate"))[:10]
    label = _STATE_LABELS.get(state, state)
    summary = (
        f"Awarded by {issuer_name}" + (f" to {recipient}" if recipient else "") + (f" on {awarded}" if awarded else "")
    )
    og_description = f"{summary}. {description}".strip() if description else summary + "."
    e = html.escape
    meta = [
        ("og:type", "website"),
        ("og:title", title),
        ("og:description", og_description[:300]),
        ("og:url", page_url),
        ("og:site_name", issuer_name),
    ]
    if image:
        meta.append(("og:image", image))
    lines = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)} | {e(issuer_name)}</title>",
        f'<meta name="description" content="{e(og_description[:300])}">',
        *(f'<meta property="{e(p)}" content="{e(v)}">' for p, v in meta),
        '<meta name="twitter:card" content="summary">',
        f'<link rel="alternate" type="application/ld+json" href="{e(json_url)}">',
        "</head>",
        "<body>",
        "<main>",
    ]
    if image:
        lines.append(f'<img src="{e(image)}" alt="{e(title)} badge" width="200">')
    lines.append(f"<h1>{e(title)}</h1>")
    lines.append(f"<p>{e(summary)}.</p>")
    status_line = f"Status: <strong>{e(label)}</strong>"
    if state == "revoked" and state_reason:
        status_line += f" ({e(state_reason)})"
    lines.append(f"<p>{status_line}</p>")
    if description:
        lines.append(f"<p>{e(description)}</p>")
    lines.append(f'<p><a href="{e(json_url)}">The credential (JSON)</a></p>')
    if verify_link:
        lines.append(f'<p><a href="{e(verify_link)}">Verify this credential</a></p>')
    if qr_url:
        lines.append(f'<p><img src="{e(qr_url)}" alt="QR code of this page" width="200" height="200"></p>')
    lines += ["</main>", "</body>", "</html>", ""]
    return "\n".join(lines).encode("utf-8")


def _image_files(catalog: Catalog, image: Image | None, owner_id: str) -> dict[str, bytes]:
    """``images/<file>`` (the URL build_achievement/build_profile give the image), and its ``.png`` twin."""
    if image is None:
        return {}
    path = catalog.image_path(image, owner_id)
    out: dict[str, bytes] = {}
    name = PurePosixPath(image.path).name
    try:
        out[f"images/{name}"] = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"the image {image.path!r} of {owner_id!r} cannot be read ({exc.strerror})") from None
    twin = Path(path).with_suffix(".png")
    if twin != path and twin.is_file():
        out[f"images/{twin.name}"] = twin.read_bytes()
    return out


def build_site(
    catalog: Catalog,
    issuer_id: str,
    key: SigningKey,
    records: Iterable[CredentialRecord],
    *,
    lists: Sequence[StatusListContent],
    revoked: Iterable[RevokedItem],
    keys: Sequence[tuple[str, PublicKey]],
    retired_keys: Sequence[tuple[str, PublicKey]] = (),
    now: datetime,
    verify_url: str | None = None,
    loader: ContextLoader = DEFAULT_LOADER,
) -> PublishedSite:
    """Every public file of ``issuer_id``'s site, to serve at its ``baseUrl``.

    Args:
        records: the issuer's credentials from the registry (``Registry.list(issuer_id=…)``), any state: revoked
            ones stay published (verifiers learn their state from the status lists).
        lists, revoked: the registry's status snapshot (``Registry.status_snapshot(issuer_id)``).
        key: the issuer's active Ed25519 key (signs the Bitstring Status List credentials).
        keys, retired_keys: ``(key id, public key)`` of the issuer's active and retired keys for the DID document;
            leave revoked keys out. ``key`` is added to ``keys`` when missing.
        verify_url: a verification page (``https://verify.example/verify``): the QR codes and pages then link to
            ``<verify_url>?url=<credential id>``. Default: the QR code holds the credential's page.

    Raises:
        InputError: the issuer has no baseUrl (nowhere to publish).
        KeyMaterialError: ``key`` is not Ed25519, or there is no active key.
    """
    org: Organization = catalog.organization(issuer_id)
    base = require_base_url(org)
    did = did_web_from_base_url(base)
    did_path = did_document_path(base)
    active = list(keys)
    if key.key_id not in {kid for kid, _ in active}:
        active.insert(0, (key.key_id, key.private_key.public_key()))
    retired = [(kid, pub) for kid, pub in retired_keys if kid not in {k for k, _ in active}]
    files: dict[str, bytes] = {did_path: _dump(build_did_web_document(did, active, retired=retired))}
    files.update(build_status_documents(org, key, lists, revoked, now=now, loader=loader))
    files[PROFILE_PATH] = _dump(build_profile(org, profile_id=did, catalog=catalog))
    files.update(_image_files(catalog, org.image, org.id))
    for entry in catalog.achievements():
        if entry.issuer != org.id:
            continue
        doc = _dump(build_achievement(entry, catalog, issuer=org))
        files[f"achievements/{entry.id}"] = doc
        files[f"achievements/{entry.id}.json"] = doc
        files.update(_image_files(catalog, entry.image, entry.id))
    published: list[str] = []
    skipped: list[str] = []
    for record in records:
        if record.issuer_id != org.id:
            continue
        path = credential_path(base, record.id)
        if path is None:
            skipped.append(record.id)
            continue
        name = path.rsplit("/", 1)[1]
        body = record.document.strip() + "\n" if record.format == "ob3-jwt" else record.document
        data = body.encode("utf-8")
        files[path] = data
        files[path + record.suffix] = data
        page_url = f"{base}{path}.html"
        verify_link = f"{verify_url}?url={quote(record.id, safe='')}" if verify_url else None
        qr_target = verify_link or page_url
        files[f"qr/{name}.png"] = qr_png(qr_target)
        files[f"qr/{name}.svg"] = qr_svg(qr_target)
        files[path + ".html"] = credential_page(
            record.credential,
            page_url=page_url,
            json_url=record.id,
            state=record.state.value,
            state_reason=record.state_reason,
            qr_url=f"{base}qr/{name}.png",
            verify_link=verify_link,
        )
        published.append(record.id)
    return PublishedSite(
        issuer_id=org.id,
        base_url=base,
        did=did,
        did_document_path=did_path,
        files=files,
        credentials=tuple(published),
        skipped=tuple(skipped),
    )
