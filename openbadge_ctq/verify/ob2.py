"""The Open Badges 2.0 verification pipeline: hosted and signed assertions, revocation, legacy 0.5/1.0/1.1 badges.

It produces the same :class:`Check` ids as the OB 3.0 pipeline where they fit:

* ``parse``: the input is an OB assertion (a dict, JSON text, a compact JWS, or a URL serving JSON, a JWS, or an
  HTML page that links to its JSON with ``<link rel="alternate" type="application/ld+json">``: one hop).
* ``legacy``: a 0.5/1.0/1.1 document was upgraded to 2.0 in memory (a warning; never fails).
* ``context``, ``type``, ``schema``: structural checks of the Assertion, its BadgeClass and its issuer Profile
  (there is no official OB 2.0 JSON Schema).
* ``proof``: hosted: the assertion fetched from its own id is the one used (the copy given is trusted only for its
  id). Signed: the JWS verifies with a key the issuer's ``publicKey`` lists.
* ``issuer.binding``: hosted: the assertion id is inside the issuer's verification policy (``startsWith``,
  ``allowedOrigins``; default: the issuer id's host). Signed: the key is listed by the issuer and names it as owner.
* ``dates``: ``issuedOn`` is not in the future, ``expires`` has not passed.
* ``status``: a hosted assertion answering ``revoked: true`` or HTTP 410, or an id (legacy ``uid``) listed in the
  issuer's ``revocationList``.
* ``recipient``: the given email matches the (hashed or plaintext) IdentityObject.

Every URL goes through the caller's fetcher; nothing here raises for a bad badge.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import BadgeError, FetchError, InputError
from ..identity import identity_matches
from ..interfaces import Fetched, JSONObject, OfflineFetcher
from ..keys import public_key_from_pem
from ..ob2 import LEGACY_VERSIONS, detect_version, find_revocation, upgrade, verification_type
from ..proofs.jws import DecodedJws, decode_compact, looks_like_compact_jws, verify_signature
from ..timefmt import parse_datetime
from .ob3 import Options, _as_list, _types
from .report import Check, Status
from .sniff import parse_json

__all__ = [
    "ACCEPT",
    "Ob2Result",
    "is_ob2",
    "is_ob2_fetched",
    "looks_like_ob2_jws",
    "run_ob2",
    "summarize_ob2",
    "verify_ob2",
]

ACCEPT = "application/ld+json, application/json;q=0.9, text/plain;q=0.5, text/html;q=0.2"
"""What OB 2.0 documents are requested as (JSON first; HTML pages that link to their JSON are followed once)."""

_JSON_TYPES = frozenset(
    {"", "application/ld+json", "application/json", "text/json", "text/plain", "application/octet-stream"}
)
_JWS_TYPES = frozenset({"application/jwt", "application/jose", "application/jws"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_LINK_TYPES = frozenset({"application/ld+json", "application/json"})
_PEM_MARK = b"-----BEGIN PUBLIC KEY-----"
MAX_KEYS = 5
"""Most keys tried for a signed assertion without ``verification.creator``."""


# ----------------------------------------------------------------------------------------------------------
# Recognising OB 2.0 input


def is_ob2(doc: Any) -> bool:
    """True for an Open Badges 2.0, 1.1, 1.0 or 0.5 object (an OB 3.0 / VC credential is not one)."""
    if not isinstance(doc, Mapping):
        return False
    if "@context" in doc:
        return detect_version(doc) is not None
    # 0.5/1.0 have no context; early drafts (e.g. the openbadges-bakery fixtures) call the recipient "identity"
    return ("recipient" in doc or "identity" in doc) and "badge" in doc


def looks_like_ob2_jws(text: str) -> bool:
    """True when ``text`` is a compact JWS whose payload is an OB 2.0 (or legacy) assertion."""
    if not isinstance(text, str) or not looks_like_compact_jws(text):
        return False
    try:
        payload = decode_compact(text).payload_json()
    except BadgeError:
        return False
    return is_ob2(payload)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_ob2_fetched(fetched: Fetched) -> bool:
    """Should this fetched URL be verified as OB 2.0? (410 Gone, an HTML page, OB 2.0 JSON or an OB 2.0 JWS.)"""
    if fetched.status == 410:
        return True
    media = _media_type(fetched.content_type)
    head = fetched.body.lstrip()[:1]
    if media in _HTML_TYPES or (media in ("", "application/octet-stream") and head == b"<"):
        return not fetched.body.lstrip()[:512].lower().startswith((b"<svg", b"<?xml"))
    try:
        text = fetched.body.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return False
    if looks_like_compact_jws(text):
        return looks_like_ob2_jws(text)
    if text.startswith("{"):
        try:
            return is_ob2(parse_json(text))
        except BadgeError:
            return False
    return False


# ----------------------------------------------------------------------------------------------------------
# Fetching: JSON, JWS, 410, and HTML pages that link to their JSON


class _AlternateLink(HTMLParser):
    """Finds the first ``<link rel="alternate" type="application/ld+json" href="…">``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.href is not None or tag.lower() != "link":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        media = _media_type(values.get("type", ""))
        href = values.get("href", "").strip()
        if "alternate" in rels and media in _LINK_TYPES and href:
            self.href = href


def _alternate_link(body: bytes) -> str | None:
    parser = _AlternateLink()
    try:
        parser.feed(body.decode("utf-8", errors="replace"))
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some malformed markup
        return parser.href
    return parser.href


@dataclass(frozen=True, slots=True)
class _Got:
    """A fetched OB document: JSON (``data``), a compact JWS (``jws``) or HTTP 410 (``gone``)."""

    url: str
    served_at: tuple[str, ...]
    data: Any = None
    jws: str | None = None
    gone: bool = False


def _bare(url: Any) -> str:
    return url.split("#", 1)[0] if isinstance(url, str) else ""


def _load(url: str, options: Options, what: str, *, fetched: Fetched | None = None, hops: int = 1) -> _Got:
    """Fetch ``url`` and interpret the answer. Raises BadgeError with a message that names ``what`` and the URL."""
    if fetched is None:
        fetched = options.fetcher.fetch(url, accept=ACCEPT)
    served = (_bare(url), _bare(fetched.url))
    if fetched.status == 410:
        return _Got(url=url, served_at=served, gone=True)
    media = _media_type(fetched.content_type)
    body = fetched.body
    looks_html = media in ("", "application/octet-stream") and body.lstrip()[:1] == b"<"
    if media in _HTML_TYPES or looks_html:
        href = _alternate_link(body)
        if href is None:
            raise InputError(
                f'{what} at {url} is an HTML page without a <link rel="alternate" type="application/ld+json"> '
                "to its JSON"
            )
        target = urljoin(fetched.url, href)
        if hops <= 0:
            raise InputError(f"{what} at {url} is an HTML page that links to another HTML page ({target})")
        got = _load(target, options, what, hops=hops - 1)
        return _Got(url=got.url, served_at=served + got.served_at, data=got.data, jws=got.jws, gone=got.gone)
    if not (media in _JSON_TYPES or media in _JWS_TYPES or media.endswith("+json")):
        raise InputError(
            f"{what} at {url} has content type {media!r}; expected application/ld+json or application/json"
        )
    try:
        text = body.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise InputError(f"{what} at {url} is not UTF-8 text") from None
    if looks_like_compact_jws(text):
        return _Got(url=url, served_at=served, jws=text)
    try:
        data = parse_json(text)
    except BadgeError as exc:
        raise InputError(f"{what} at {url} is not valid JSON ({exc.message})") from None
    if not isinstance(data, dict):
        raise InputError(f"{what} at {url} is JSON but not a JSON object")
    return _Got(url=url, served_at=served, data=data)


# ----------------------------------------------------------------------------------------------------------
# The pipeline


@dataclass
class _Ctx:
    options: Options
    checks: list[Check] = field(default_factory=list)
    fmt: str = "ob2-hosted"
    version: str | None = None
    original: JSONObject | None = None  # the assertion as handed in (before any upgrade)
    assertion: JSONObject | None = None  # the assertion used: upgraded, and for hosted the copy at its id
    jws: DecodedJws | None = None
    served_at: set[str] = field(default_factory=set)
    host_revoked: str | None = None
    badge: JSONObject | None = None
    issuer: JSONObject | None = None
    link_error: tuple[str, str] | None = None  # (message, pointer) when the BadgeClass or issuer is unavailable
    proof_ok: bool = False
    proof_pending: Check | None = None
    linked_versions: dict[str, str | None] = field(default_factory=dict)  # kind → version of a fetched document

    def add(self, check_id: str, status: Status, message: str, pointer: str = "") -> None:
        self.checks.append(Check(id=check_id, status=status, message=message, pointer=pointer))


def _ref(value: Any) -> str | None:
    """The IRI of a reference: a string, or an embedded object's ``id``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _is_http(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _verification(doc: Mapping[str, Any]) -> Any:
    return doc.get("verification", doc.get("verify"))


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, ensure_ascii=False) == json.dumps(b, sort_keys=True, ensure_ascii=False)


def _legacy_warning(ctx: _Ctx, version: str | None, what: str, pointer: str = "") -> None:
    if version in LEGACY_VERSIONS:
        ctx.add(
            "legacy",
            Status.WARN,
            f"Open Badges {version} {what} upgraded to 2.0 in memory; {version} badges are read, never issued",
            pointer,
        )


def _read(ctx: _Ctx, source: Any, fetched: Fetched | None) -> bool:
    """Turn the input into an assertion (or a JWS, or a 410). Adds the ``parse`` check; False when it failed."""
    origin: str | None = None
    doc: Any = None
    token: str | None = None
    if isinstance(source, Mapping):
        doc = dict(source)
    elif isinstance(source, bytes | bytearray | str):
        try:
            text = (source.decode("utf-8-sig") if isinstance(source, bytes | bytearray) else source).strip()
        except UnicodeDecodeError:
            ctx.add("parse", Status.FAIL, "input is not UTF-8 text")
            return False
        if looks_like_compact_jws(text):
            token = text
        elif text.startswith(("https://", "http://")) and len(text.split()) == 1:
            origin = text
            try:
                got = _load(text, ctx.options, "the assertion", fetched=fetched)
            except BadgeError as exc:
                ctx.add("parse", Status.FAIL, exc.message)
                return False
            ctx.served_at.update(got.served_at)
            if got.gone:
                ctx.add("parse", Status.PASS, f"{text} answers HTTP 410 Gone")
                ctx.host_revoked = f"revoked: the issuer's server answers HTTP 410 Gone for {text}"
                ctx.add("proof", Status.PASS, f"the issuer's server answers for {text} (hosted assertion)")
                ctx.proof_ok = True
                return True
            token, doc = got.jws, got.data
        else:
            try:
                doc = parse_json(text)
            except BadgeError as exc:
                ctx.add("parse", Status.FAIL, exc.message)
                return False
    else:
        ctx.add("parse", Status.FAIL, f"an Open Badges 2.0 assertion cannot be read from a {type(source).__name__}")
        return False
    if token is not None:
        ctx.fmt = "ob2-signed"
        try:
            ctx.jws = decode_compact(token)
            payload = ctx.jws.payload_json()
        except BadgeError as exc:
            ctx.add("parse", Status.FAIL, exc.message)
            return False
        if not isinstance(payload, dict) or not is_ob2(payload):
            ctx.add("parse", Status.FAIL, "the JWS payload is not an Open Badges assertion")
            return False
        doc = payload
    if not isinstance(doc, dict):
        ctx.add("parse", Status.FAIL, "input is JSON but not a JSON object")
        return False
    if not is_ob2(doc):
        ctx.add(
            "parse",
            Status.FAIL,
            "not an Open Badges 2.0 assertion: no Open Badges @context, and not a 0.5/1.0 assertion",
        )
        return False
    ctx.original = doc
    upgraded, ctx.version = upgrade(doc, "Assertion", node_id=origin)
    ctx.assertion = upgraded
    if token is None and verification_type(_verification(upgraded)) == "SignedBadge":
        ctx.fmt = "ob2-signed"
    where = f" from {origin}" if origin else ""
    if ctx.jws is not None:
        what = f"signed assertion (compact JWS, {ctx.jws.header.get('alg')})"
    else:
        what = "assertion" if doc.get("revoked") is not True else "revoked assertion"
    ctx.add("parse", Status.PASS, f"read an Open Badges {ctx.version} {what}{where}")
    _legacy_warning(ctx, ctx.version, "assertion")
    return True


def _hosted_fetch(ctx: _Ctx) -> None:
    """HostedBadge: use the assertion served at its own id (the given copy is trusted only for its id)."""
    assert ctx.assertion is not None
    given = ctx.assertion
    aid = given.get("id")
    if not _is_http(aid):
        ctx.proof_pending = Check(
            id="proof",
            status=Status.FAIL,
            message=f"a hosted assertion is verified at its id, which must be an https URL; found {aid!r}",
            pointer="/id",
        )
        return
    if _bare(aid) in ctx.served_at:
        ctx.proof_ok = True
        message = f"the issuer's server serves this assertion at its id {aid} (hosted verification)"
    else:
        try:
            got = _load(str(aid), ctx.options, "the hosted assertion")
        except BadgeError as exc:
            ctx.proof_pending = Check(
                id="proof",
                status=Status.FAIL,
                message=f"hosted assertion not confirmed: {exc.message}",
                pointer="/id",
            )
            return
        if got.gone:
            ctx.host_revoked = f"revoked: the issuer's server answers HTTP 410 Gone for {aid}"
            ctx.proof_ok = True
            ctx.proof_pending = Check(id="proof", status=Status.PASS, message=f"the issuer's server answers for {aid}")
            return
        if got.jws is not None:
            ctx.proof_pending = Check(
                id="proof",
                status=Status.FAIL,
                message=f"{aid} serves a compact JWS; a hosted assertion must be served as JSON",
                pointer="/id",
            )
            return
        hosted, version = upgrade(got.data, "Assertion", node_id=str(aid))
        if version is None:
            ctx.proof_pending = Check(
                id="proof",
                status=Status.FAIL,
                message=f"the document at {aid} is not an Open Badges assertion",
                pointer="/id",
            )
            return
        if _bare(hosted.get("id")) != _bare(aid):
            ctx.proof_pending = Check(
                id="proof",
                status=Status.FAIL,
                message=f"the document at {aid} declares the id {hosted.get('id')!r}, not {aid}",
                pointer="/id",
            )
            return
        differs = not _same_json(got.data, ctx.original)
        if version != ctx.version:
            _legacy_warning(ctx, version, "hosted assertion")
        ctx.assertion = hosted
        ctx.proof_ok = True
        message = f"fetched the assertion from its id {aid} on the issuer's server (hosted verification)"
        if differs:
            message += "; the copy given differs from the hosted one, so the hosted one is used"
    ctx.proof_pending = Check(id="proof", status=Status.PASS, message=message)
    if ctx.assertion.get("revoked") is True:
        reason = ctx.assertion.get("revocationReason")
        ctx.host_revoked = f"revoked: the hosted assertion at {aid} is marked revoked" + (
            f" ({reason})" if isinstance(reason, str) and reason else ""
        )


def _load_linked(ctx: _Ctx, value: Any, kind: str, pointer: str) -> JSONObject | None:
    """The BadgeClass or issuer Profile named by ``value``: fetched when it is a URL, else the embedded object."""
    label = "BadgeClass" if kind == "BadgeClass" else "issuer profile"
    ref = _ref(value)
    if isinstance(value, Mapping) and not _is_http(ref):
        return dict(value)  # embedded (0.5 nests badge and issuer; signed badges may use urn:uuid BadgeClasses)
    if not _is_http(ref):
        shown = repr(value[:200]) if isinstance(value, str) else f"a {type(value).__name__}"
        ctx.link_error = (f"the {label} reference ({shown}) is neither a URL nor an embedded object", pointer)
        return None
    assert ref is not None
    try:
        got = _load(ref, ctx.options, f"the {label}")
    except BadgeError as exc:
        ctx.link_error = (exc.message, pointer)
        return None
    if got.data is None:
        ctx.link_error = (f"the {label} at {ref} is not a JSON document", pointer)
        return None
    doc, version = upgrade(got.data, kind, node_id=_bare(ref))
    if version is None:
        ctx.link_error = (f"the document at {ref} is not an Open Badges {label}", pointer)
        return None
    if _bare(doc.get("id")) != _bare(ref):
        ctx.link_error = (f"the {label} at {ref} declares the id {doc.get('id')!r}", pointer)
        return None
    _legacy_warning(ctx, version, label, pointer)
    ctx.linked_versions[kind] = version
    return doc


def _link(ctx: _Ctx) -> None:
    assert ctx.assertion is not None
    ctx.badge = _load_linked(ctx, ctx.assertion.get("badge"), "BadgeClass", "/badge")
    if ctx.badge is not None:
        ctx.issuer = _load_linked(ctx, ctx.badge.get("issuer"), "Profile", "/badge/issuer")


def _problems_assertion(a: Mapping[str, Any], version: str | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not isinstance(a.get("id"), str) or ":" not in a["id"]:
        out.append(("/id", "id must be an IRI"))
    recipient = a.get("recipient")
    if not isinstance(recipient, Mapping):
        out.append(("/recipient", "recipient must be an IdentityObject (identity, type, hashed)"))
    else:
        if not isinstance(recipient.get("identity"), str):
            out.append(("/recipient/identity", "recipient.identity must be a string"))
        if not isinstance(recipient.get("type"), str):
            out.append(("/recipient/type", "recipient.type must be a string such as 'email'"))
        if not isinstance(recipient.get("hashed"), bool):
            out.append(("/recipient/hashed", "recipient.hashed must be true or false"))
        if "salt" in recipient and not isinstance(recipient.get("salt"), str):
            out.append(("/recipient/salt", "recipient.salt must be a string"))
    if _ref(a.get("badge")) is None and not isinstance(a.get("badge"), Mapping):
        out.append(("/badge", "badge must be the BadgeClass URL or an embedded BadgeClass"))
    if verification_type(_verification(a)) is None:
        out.append(("/verification", "verification.type must be HostedBadge or SignedBadge"))
    for name in ("issuedOn", "expires"):
        if name not in a and (name == "expires" or version == "0.5"):  # issued_on was optional in 0.5
            continue
        try:
            parse_datetime(a.get(name), what=name)
        except BadgeError as exc:
            out.append((f"/{name}", exc.message))
    if "narrative" in a and not isinstance(a.get("narrative"), str):
        out.append(("/narrative", "narrative must be Markdown text"))
    for i, item in enumerate(_as_list(a.get("evidence"))):
        if not isinstance(item, str | Mapping):
            out.append((f"/evidence/{i}", "evidence must be a URL or an Evidence object"))
    return out


def _image_ok(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, Mapping) and isinstance(value.get("id"), str))


def _problems_badge(b: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if "BadgeClass" not in _types(b):
        out.append(("/badge/type", "the BadgeClass type must be BadgeClass"))
    for name in ("name", "description"):
        if not isinstance(b.get(name), str):
            out.append((f"/badge/{name}", f"the BadgeClass needs a {name}"))
    if not _image_ok(b.get("image")):
        out.append(("/badge/image", "the BadgeClass needs an image (a URL or an Image object)"))
    if not (isinstance(b.get("criteria"), str | Mapping)):
        out.append(("/badge/criteria", "the BadgeClass needs criteria (a URL or a Criteria object)"))
    if _ref(b.get("issuer")) is None and not isinstance(b.get("issuer"), Mapping):
        out.append(("/badge/issuer", "the BadgeClass needs an issuer"))
    return out


def _problems_issuer(p: Mapping[str, Any], legacy: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not {"Issuer", "Profile"} & set(_types(p)):
        out.append(("/badge/issuer/type", "the issuer type must be Issuer or Profile"))
    required = ("name", "url") if legacy else ("name", "url", "email")
    for name in required:
        if not isinstance(p.get(name), str):
            out.append((f"/badge/issuer/{name}", f"the issuer profile needs a {name}"))
    return out


def _conformance(ctx: _Ctx) -> None:
    assert ctx.assertion is not None
    a = ctx.assertion
    legacy = ctx.version in LEGACY_VERSIONS
    context = "@context is the Open Badges 2.0 context"
    ctx.add("context", Status.PASS, context + (f" (set by the upgrade from {ctx.version})" if legacy else ""))
    types = _types(a)
    if "Assertion" in types:
        ctx.add("type", Status.PASS, f"type is {', '.join(types)}")
    else:
        ctx.add("type", Status.FAIL, f"type must be Assertion; found {types or 'nothing'}", "/type")


def _schema(ctx: _Ctx) -> None:
    assert ctx.assertion is not None
    problems = _problems_assertion(ctx.assertion, ctx.version)
    if ctx.badge is not None:
        problems += _problems_badge(ctx.badge)
    if ctx.issuer is not None:
        version = ctx.linked_versions.get("Profile", ctx.version)
        problems += _problems_issuer(ctx.issuer, version in LEGACY_VERSIONS)
    if problems:
        pointer, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        ctx.add("schema", Status.FAIL, f"{pointer}: {message}{more}", pointer)
    else:
        checked = ["Assertion"] + (["BadgeClass"] if ctx.badge else []) + (["issuer Profile"] if ctx.issuer else [])
        ctx.add(
            "schema",
            Status.PASS,
            f"{', '.join(checked)} have the properties Open Badges 2.0 requires (there is no official JSON Schema)",
        )


def _load_key(ctx: _Ctx, key_id: str, embedded: Mapping[str, Any] | None) -> tuple[Mapping[str, Any], str]:
    """The CryptographicKey document and its PEM. A bare PEM (OB 1.x signed badges) comes back with ``{}``."""
    if embedded is not None and isinstance(embedded.get("publicKeyPem"), str):
        return embedded, str(embedded["publicKeyPem"])
    fetched = ctx.options.fetcher.fetch(key_id, accept="application/ld+json, application/json, text/plain")
    if fetched.body.lstrip().startswith(_PEM_MARK):
        return {}, fetched.body.decode("ascii", errors="replace")
    got = _load(key_id, ctx.options, "the key", fetched=fetched, hops=0)
    doc = got.data
    if not isinstance(doc, dict):
        raise InputError(f"the key at {key_id} is not a CryptographicKey JSON document")
    if "type" in doc and "CryptographicKey" not in _types(doc):
        raise InputError(f"the document at {key_id} is not a CryptographicKey")
    if "id" in doc and _bare(doc.get("id")) != _bare(key_id):
        raise InputError(f"the key at {key_id} declares the id {doc.get('id')!r}")
    pem = doc.get("publicKeyPem")
    if not isinstance(pem, str):
        raise InputError(f"the key at {key_id} has no publicKeyPem")
    return doc, pem


def _signed_proof(ctx: _Ctx) -> None:
    assert ctx.assertion is not None
    vtype = verification_type(_verification(ctx.assertion))
    if ctx.jws is None:
        ctx.add(
            "proof",
            Status.FAIL,
            "a SignedBadge assertion is verified from its compact JWS; this JSON carries no signature",
            "/verification",
        )
        return
    if vtype != "SignedBadge":
        ctx.add(
            "proof",
            Status.FAIL,
            f"the JWS holds a {vtype or 'non-signed'} assertion; a hosted assertion is verified at its URL, "
            "never from a JWS",
            "/verification",
        )
        return
    if ctx.issuer is None:
        why = ctx.link_error[0] if ctx.link_error else "it is not available"
        ctx.add("proof", Status.FAIL, f"no key can be trusted without the issuer profile: {why}")
        return
    issuer_id = _ref(ctx.issuer)
    listed: dict[str, Mapping[str, Any] | None] = {}
    for item in _as_list(ctx.issuer.get("publicKey")):
        ref = _ref(item)
        if ref is not None:
            listed[_bare(ref)] = item if isinstance(item, Mapping) else None
    creator = _ref(_verification(ctx.assertion).get("creator"))
    if creator is not None:
        if _bare(creator) not in listed:
            message = (
                f"the signing key {creator} (verification.creator) is not in the issuer's publicKey; "
                "a key the issuer does not list is never trusted"
            )
            ctx.add("proof", Status.FAIL, message, "/verification/creator")
            return
        candidates = [creator]
    else:
        candidates = list(listed)[:MAX_KEYS]
        if not candidates:
            ctx.add("proof", Status.FAIL, "the issuer profile lists no publicKey, so no key can verify this JWS")
            return
    failures: list[str] = []
    alg = ctx.jws.header.get("alg")
    for key_id in candidates:
        try:
            key_doc, pem = _load_key(ctx, key_id, listed.get(_bare(key_id)))
            public = public_key_from_pem(pem)
        except BadgeError as exc:
            failures.append(f"key {key_id}: {exc.message}")
            continue
        if not verify_signature(ctx.jws, public):
            failures.append(f"signature does not match the key {key_id}")
            continue
        ctx.proof_ok = True
        ctx.add("proof", Status.PASS, f"JWS signature verified ({alg}) with the issuer's key {key_id}")
        owner = _ref(key_doc.get("owner"))
        if not key_doc:
            ctx.add(
                "issuer.binding",
                Status.WARN,
                f"the key {key_id} is a bare PEM (Open Badges 1.x) that names no owner; only the issuer's "
                "publicKey links it to the issuer",
            )
        elif owner is not None and issuer_id is not None and _bare(owner) == _bare(issuer_id):
            ctx.add(
                "issuer.binding",
                Status.PASS,
                f"the key {key_id} is listed in the issuer's publicKey and its owner is the issuer {issuer_id}",
            )
        else:
            ctx.add(
                "issuer.binding",
                Status.FAIL,
                f"the key {key_id} names {owner!r} as its owner, not the issuer {issuer_id}",
                "/verification/creator",
            )
        return
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    ctx.add("proof", Status.FAIL, failures[0] + more)


def _hosted_binding(ctx: _Ctx) -> None:
    assert ctx.assertion is not None and ctx.issuer is not None
    aid = str(ctx.assertion.get("id"))
    issuer_id = _ref(ctx.issuer)
    policy: Any = ctx.issuer.get("verification")
    if _is_http(policy):
        try:
            got = _load(str(policy), ctx.options, "the issuer's verification policy", hops=0)
            policy = got.data
        except BadgeError as exc:
            ctx.add("issuer.binding", Status.FAIL, exc.message, "/badge/issuer/verification")
            return
    if not isinstance(policy, Mapping):
        policy = {}
    starts = [s for s in _as_list(policy.get("startsWith")) if isinstance(s, str)]
    if starts and not any(aid.startswith(s) for s in starts):
        ctx.add(
            "issuer.binding",
            Status.FAIL,
            f"the assertion id {aid} does not start with what the issuer's verification policy allows "
            f"({', '.join(starts)})",
            "/id",
        )
        return
    origins = [o.lower() for o in _as_list(policy.get("allowedOrigins")) if isinstance(o, str)]
    if not origins:
        if _is_http(issuer_id):
            origins = [_host(str(issuer_id))]
        elif ctx.version in LEGACY_VERSIONS and _is_http(ctx.issuer.get("url")):
            origins = [_host(str(ctx.issuer["url"]))]  # 0.5: the assertion must live on the issuer's origin
    if not origins:
        ctx.add(
            "issuer.binding",
            Status.WARN,
            f"the issuer {issuer_id!r} has no http(s) origin to check the hosted assertion's location against",
        )
        return
    host = _host(aid)
    if host not in origins:
        ctx.add(
            "issuer.binding",
            Status.FAIL,
            f"the assertion is hosted on {host}, which the issuer's verification policy does not allow "
            f"(allowed: {', '.join(origins)})",
            "/id",
        )
        return
    ctx.add("issuer.binding", Status.PASS, f"the assertion is hosted on {host}, which the issuer {issuer_id} allows")


def _dates(ctx: _Ctx) -> None:
    assert ctx.assertion is not None
    a = ctx.assertion
    now, skew = ctx.options.now, ctx.options.max_clock_skew
    undated = "issuedOn" not in a and ctx.version == "0.5"  # issued_on was optional in 0.5
    try:
        issued = None if undated else parse_datetime(a.get("issuedOn"), what="issuedOn")
    except BadgeError as exc:
        ctx.add("dates", Status.FAIL, exc.message, "/issuedOn")
        return
    try:
        expires = parse_datetime(a.get("expires"), what="expires") if "expires" in a else None
    except BadgeError as exc:
        ctx.add("dates", Status.FAIL, exc.message, "/expires")
        return
    if issued is not None and now + skew < issued:
        ctx.add("dates", Status.FAIL, f"issued in the future: issuedOn is {a['issuedOn']}", "/issuedOn")
    elif expires is not None and now - skew > expires:
        ctx.add("dates", Status.FAIL, f"expired on {a['expires']}", "/expires")
    elif issued is None:
        ctx.add("dates", Status.WARN, "the Open Badges 0.5 assertion has no issue date (issued_on was optional)")
    else:
        until = f", expires {a['expires']}" if expires is not None else ""
        ctx.add("dates", Status.PASS, f"issued on {a['issuedOn']}{until}")


def _unreachable(ctx: _Ctx, url: str, exc: BadgeError) -> None:
    # decided by the error's type, never by its message: a message can quote a server (a redirect target)
    offline = isinstance(ctx.options.fetcher, OfflineFetcher) or (isinstance(exc, FetchError) and exc.offline)
    if offline:
        ctx.add("status", Status.WARN, f"status not checked: the revocation list {url} is not available offline")
    else:
        ctx.add("status", Status.FAIL, f"the revocation list could not be checked: {exc.message}")


def _status(ctx: _Ctx) -> None:
    assert ctx.assertion is not None
    if not ctx.proof_ok:
        ctx.add("status", Status.SKIP, "not checked because the proof did not verify")
        return
    if ctx.issuer is None:
        ctx.add("status", Status.SKIP, "not checked because the issuer profile is not available")
        return
    hosted = ctx.fmt == "ob2-hosted"
    value = ctx.issuer.get("revocationList")
    if value is None:
        live = "the issuer's server serves it, and " if hosted else ""
        ctx.add("status", Status.PASS, f"not revoked: {live}the issuer publishes no revocation list")
        return
    url = _ref(value) or ""
    listing: Any
    if isinstance(value, Mapping) and "revokedAssertions" in value:
        listing = value
    elif _is_http(url):
        try:
            listing = _load(url, ctx.options, "the revocation list", hops=0).data
        except BadgeError as exc:
            _unreachable(ctx, url, exc)
            return
    else:
        ctx.add("status", Status.FAIL, f"the issuer's revocationList {value!r} is not a URL", "/badge/issuer")
        return
    if not isinstance(listing, Mapping) or "RevocationList" not in _types(listing):
        ctx.add("status", Status.FAIL, f"{url or 'the embedded revocation list'} is not a RevocationList")
        return
    aid = str(ctx.assertion.get("id", ""))
    uid = ctx.assertion.get("uid") if isinstance(ctx.assertion.get("uid"), str) else None
    revoked, reason = find_revocation(listing, aid, uid=uid)
    if revoked:
        because = f": {reason}" if reason else ""
        ctx.add("status", Status.FAIL, f"revoked by the issuer (RevocationList {url}){because}")
    else:
        ctx.add("status", Status.PASS, f"not listed in the issuer's revocation list {url}")


def _recipient(ctx: _Ctx) -> None:
    wanted = ctx.options.recipient
    if wanted is None or ctx.assertion is None:
        return
    r = ctx.assertion.get("recipient")
    ok = False
    if isinstance(r, Mapping) and isinstance(r.get("identity"), str):
        salt = r.get("salt") if isinstance(r.get("salt"), str) else None
        ok = identity_matches(
            wanted, r["identity"], hashed=bool(r.get("hashed")), salt=salt, email=r.get("type") == "email"
        )
    if ok:
        ctx.add("recipient", Status.PASS, f"issued to {wanted}")
    else:
        ctx.add("recipient", Status.FAIL, f"not issued to {wanted}", "/recipient")


def _revoked_by_host(ctx: _Ctx) -> None:
    ctx.add("status", Status.FAIL, ctx.host_revoked or "revoked")
    for check_id in ("issuer.binding", "dates"):
        ctx.add(check_id, Status.SKIP, "not checked: the issuer revoked this assertion")
    if ctx.options.recipient is not None:
        ctx.add("recipient", Status.SKIP, "not checked: the issuer revoked this assertion")


@dataclass(frozen=True, slots=True, kw_only=True)
class Ob2Result:
    """Everything the OB 2.0 pipeline found: the checks, and the documents it read (upgraded to 2.0)."""

    format: str
    checks: tuple[Check, ...]
    assertion: JSONObject | None
    badge: JSONObject | None
    issuer: JSONObject | None
    version: str | None
    summary: dict[str, Any]

    @property
    def verified(self) -> bool:
        """The rule of :class:`~openbadge_ctq.verify.VerificationReport`: no failure, parse and proof passed."""
        passed = {c.id for c in self.checks if c.status is Status.PASS}
        return "parse" in passed and "proof" in passed and not any(c.status is Status.FAIL for c in self.checks)


def _result(ctx: _Ctx, *, summary: bool = True) -> Ob2Result:
    return Ob2Result(
        format=ctx.fmt,
        checks=tuple(ctx.checks),
        assertion=ctx.assertion,
        badge=ctx.badge,
        issuer=ctx.issuer,
        version=ctx.version,
        summary=summarize_ob2(ctx.assertion, ctx.badge, ctx.issuer, ctx.version)
        if summary and ctx.assertion is not None
        else {},
    )


def verify_ob2(source: Any, options: Options, *, fetched: Fetched | None = None) -> Ob2Result:
    """Verify an Open Badges 2.0 (or 0.5/1.0/1.1) assertion; see :func:`run_ob2`. Never raises for a bad badge."""
    ctx = _Ctx(options)
    if not _read(ctx, source, fetched):
        return _result(ctx)
    if ctx.assertion is None:  # a URL that answered 410 Gone
        _revoked_by_host(ctx)
        return _result(ctx)
    if ctx.fmt == "ob2-hosted":
        _hosted_fetch(ctx)
        if ctx.host_revoked is not None:
            if ctx.proof_pending is not None:
                ctx.checks.append(ctx.proof_pending)
            _revoked_by_host(ctx)
            return _result(ctx)
    _conformance(ctx)
    _link(ctx)
    _schema(ctx)
    if ctx.fmt == "ob2-hosted":
        if ctx.proof_pending is not None:
            ctx.checks.append(ctx.proof_pending)
        if not ctx.proof_ok:
            ctx.add("issuer.binding", Status.SKIP, "not checked because the proof did not verify")
        elif ctx.issuer is None:
            message, pointer = ctx.link_error or ("the issuer profile is not available", "/badge")
            ctx.add("issuer.binding", Status.FAIL, f"the issuer cannot be established: {message}", pointer)
        else:
            _hosted_binding(ctx)
    else:
        _signed_proof(ctx)
        if not ctx.proof_ok:
            ctx.add("issuer.binding", Status.SKIP, "not checked because the proof did not verify")
    _dates(ctx)
    _status(ctx)
    _recipient(ctx)
    return _result(ctx)


def run_ob2(
    source: Any, options: Options, *, fetched: Fetched | None = None
) -> tuple[str, list[Check], JSONObject | None, dict[str, Any]]:
    """Verify an Open Badges 2.0 (or 0.5/1.0/1.1) assertion.

    Args:
        source: the assertion as a dict or JSON text, a compact JWS (signed), or the URL of a hosted assertion.
        options: the verifier's options (``fetcher``, ``now``, ``recipient``, ``max_clock_skew`` are used).
        fetched: the answer for ``source`` when the caller already fetched that URL.

    Returns:
        ``(format, checks, assertion, summary)``: format ``ob2-hosted`` or ``ob2-signed``; the assertion used (the
        hosted copy, upgraded to 2.0), or None when nothing could be read.
    """
    result = verify_ob2(source, options, fetched=fetched)
    return result.format, list(result.checks), result.assertion, result.summary


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def summarize_ob2(
    assertion: Mapping[str, Any],
    badge: Mapping[str, Any] | None,
    issuer: Mapping[str, Any] | None,
    version: str | None = None,
) -> dict[str, Any]:
    """What a person wants to see, with the keys of the OB 3.0 summary where they fit (plus issuedOn/expires)."""
    if badge is None and isinstance(assertion.get("badge"), Mapping):
        badge = assertion["badge"]
    badge = badge or {}
    if issuer is None and isinstance(badge.get("issuer"), Mapping):
        issuer = badge["issuer"]
    issuer = issuer or {}
    recipient = assertion.get("recipient")
    r: Mapping[str, Any] = recipient if isinstance(recipient, Mapping) else {}
    hashed = bool(r.get("hashed"))
    out: dict[str, Any] = {
        "issuer": {"id": _ref(issuer) or _ref(badge.get("issuer")), "name": _text(issuer.get("name"))},
        "name": _text(badge.get("name")),
        "description": _text(badge.get("description")),
        "achievement": {
            "id": _ref(badge) or _ref(assertion.get("badge")),
            "name": _text(badge.get("name")),
            "type": None,
            "description": _text(badge.get("description")),
        },
        "issuedOn": assertion.get("issuedOn"),
        "expires": assertion.get("expires"),
        "validFrom": assertion.get("issuedOn"),
        "validUntil": assertion.get("expires"),
        "awardedDate": assertion.get("issuedOn"),
        "recipient": {
            "id": None,
            "name": None,
            "type": _text(r.get("type")),
            "hashed": hashed,
            "identity": None if hashed else _text(r.get("identity")),
        },
        "results": [],
        "evidence": [e for e in (_ref(x) for x in _as_list(assertion.get("evidence"))) if e],
        "openBadgesVersion": version,
    }
    image = assertion.get("image") or badge.get("image")
    if isinstance(image, Mapping):
        out["image"] = {"id": _text(image.get("id")), "caption": _text(image.get("caption"))}
    elif isinstance(image, str):
        out["image"] = {"id": image, "caption": None}
    return out
