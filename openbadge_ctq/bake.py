"""Baking: put a credential into badge art (a PNG ``iTXt`` chunk or an SVG element) and take it out again.

Pure functions, bytes in and bytes out, no I/O. What the specifications say (``docs/sharing.md`` has the details):

* **Open Badges 3.0**: PNG ``iTXt`` chunk with keyword ``openbadgecredential``; SVG ``<openbadges:credential>`` in
  the namespace ``https://purl.imsglobal.org/ob/v3p0``, with the JWS in a ``verify`` attribute or the JSON in a
  ``CDATA`` body.
* **Open Badges 2.0** (Baking Specification 1.0): PNG ``iTXt`` keyword ``openbadges`` (legacy images: ``tEXt``);
  SVG ``<openbadges:assertion verify="…">`` in the namespace ``http://openbadges.org``, ``verify`` holding the JWS,
  or the hosted assertion URL with the assertion JSON in the body.

Baking inserts exactly one element or chunk and removes any earlier one, so re-baking never duplicates a credential;
every other byte of the image is left as it was. Images are validated while they are read: PNG signature, chunk
order, lengths and CRCs; SVG is parsed with :mod:`defusedxml`, which refuses DOCTYPEs and entities (entity bombs,
external entities). Art with scripts, event handlers or external references is refused on bake.

Every problem with an image or a payload raises :class:`~openbadge_ctq.errors.BakeError` with a one-line message.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from .errors import BakeError, UnsupportedError

__all__ = [
    "MAX_CHUNK_BYTES",
    "MAX_PAYLOAD_BYTES",
    "MAX_PNG_BYTES",
    "MAX_SVG_BYTES",
    "OB2_NAMESPACE",
    "OB3_NAMESPACE",
    "PNG_KEYWORDS",
    "Baked",
    "bake_image",
    "bake_png",
    "bake_svg",
    "check_badge_art",
    "payload_format",
    "payload_version",
    "sniff_image",
    "unbake_image",
    "unbake_png",
    "unbake_svg",
]

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES: Final = 16 * 1024 * 1024
"""Largest PNG image read or baked."""
MAX_CHUNK_BYTES: Final = 64 * 1024 * 1024
"""Largest chunk length accepted in a PNG (the format allows 2**31 - 1)."""
MAX_SVG_BYTES: Final = 5 * 1024 * 1024
"""Largest SVG image read or baked."""
MAX_PAYLOAD_BYTES: Final = 4 * 1024 * 1024
"""Largest baked credential (also the limit for a compressed ``iTXt`` chunk once decompressed)."""

OB3_NAMESPACE: Final = "https://purl.imsglobal.org/ob/v3p0"
OB2_NAMESPACE: Final = "http://openbadges.org"
PNG_KEYWORDS: Final[Mapping[int, str]] = {3: "openbadgecredential", 2: "openbadges"}
"""The ``iTXt`` keyword for each Open Badges version."""

_SVG_NAMESPACE: Final = "http://www.w3.org/2000/svg"
_XLINK_NAMESPACE: Final = "http://www.w3.org/1999/xlink"
_XINCLUDE_NAMESPACE: Final = "http://www.w3.org/2001/XInclude"
_ELEMENTS: Final[Mapping[int, tuple[str, str]]] = {3: (OB3_NAMESPACE, "credential"), 2: (OB2_NAMESPACE, "assertion")}
_OB2_CONTEXTS: Final = frozenset({"https://w3id.org/openbadges/v2", "https://w3id.org/openbadges/v1"})
_OB3_CONTEXT_MARKERS: Final = (
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/",
    "https://purl.imsglobal.org/spec/clr/v2p0/",
)
_SCRIPT_ELEMENTS: Final = frozenset({"script", "foreignobject", "handler", "listener"})
_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# characters XML 1.0 cannot carry (and that have no business in a credential): C0 controls but tab/LF/CR,
# lone surrogates, and the non-characters U+FFFE/U+FFFF
_ILLEGAL_CHARS: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SCRIPT_URL: Final = re.compile(r"(?:java|vb)script:")
_CSS_URL: Final = re.compile(r"url\(\s*['\"]?([^'\")\s]*)")
_ATTRIBUTE: Final = re.compile(r"""\s([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")

Kind = Literal["ob3", "ob2"]
Container = Literal["png", "svg"]
PayloadFormat = Literal["json", "jws", "url"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Baked:
    """A credential taken out of a baked image, with where it was found (for the verification report).

    Attributes:
        payload: the baked credential: JSON text, a compact JWS, or (Open Badges 2.0) a hosted assertion URL.
        kind: ``"ob3"`` or ``"ob2"``, from the chunk keyword or the element's namespace (not from the payload).
        container: ``"png"`` or ``"svg"``.
        chunk: the PNG chunk type (``"iTXt"``, ``"tEXt"``) or the SVG element (``"openbadges:credential"``,
            ``"openbadges:assertion"``).
        compressed: the ``iTXt`` text was zlib-compressed.
        verify: the SVG element's ``verify`` attribute (a JWS or a hosted URL), when it has one.
    """

    payload: str
    kind: Kind
    container: Container
    chunk: str
    compressed: bool = False
    verify: str | None = None

    @property
    def payload_bytes(self) -> int:
        """Length of the payload in UTF-8 bytes."""
        return len(self.payload.encode("utf-8"))

    @property
    def payload_format(self) -> PayloadFormat | None:
        """``"json"``, ``"jws"`` or ``"url"``; None when the payload is none of these."""
        return payload_format(self.payload)

    def to_json(self) -> dict[str, Any]:
        """Where the credential was found, without the payload itself (for reports)."""
        return {
            "container": self.container,
            "kind": self.kind,
            "chunk": self.chunk,
            "compressed": self.compressed,
            "payloadFormat": self.payload_format,
            "payloadBytes": self.payload_bytes,
            "verify": self.verify,
        }


def _where(name: str) -> str:
    return f"{name}: " if name else ""


# ----------------------------------------------------------------------------------------------------
# Payloads


def payload_format(payload: str) -> PayloadFormat | None:
    """What a baked payload looks like: ``"json"`` (an object), ``"jws"`` (compact), ``"url"`` (http/https), or None."""
    text = payload.strip()
    if text.startswith("{") and text.endswith("}"):
        return "json"
    if _JWS.fullmatch(text):
        return "jws"
    if text.startswith(("https://", "http://")) and len(text.split()) == 1:
        return "url"
    return None


def _normalize_payload(payload: str) -> tuple[str, PayloadFormat]:
    """The payload as it is baked (no surrounding whitespace, LF line ends), and its format."""
    if not isinstance(payload, str):
        raise TypeError(f"payload must be a str, not {type(payload).__name__}")
    text = payload.strip().replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise BakeError("the credential to bake is empty")
    bad = _ILLEGAL_CHARS.search(text)
    if bad:
        raise BakeError(
            f"the credential to bake contains the character U+{ord(bad.group()):04X} at offset "
            f"{bad.start()}, which cannot be baked (control characters and lone surrogates are refused)"
        )
    if len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise BakeError(f"the credential to bake is larger than {MAX_PAYLOAD_BYTES} bytes")
    fmt = payload_format(text)
    if fmt is None:
        raise BakeError(
            f"the credential to bake must be JSON, a compact JWS or (Open Badges 2.0) a hosted assertion "
            f"URL; it starts with {text[:20]!r}"
        )
    if fmt == "json":
        _json_object(text, "the credential to bake")
    return text, fmt


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except RecursionError:
        raise BakeError(f"{what} is JSON nested too deeply") from None
    except ValueError as exc:
        raise BakeError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BakeError(f"{what} is JSON but not a JSON object")
    return value


def _jws_payload(token: str, what: str) -> dict[str, Any]:
    part = token.split(".")[1]
    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        text = data.decode("utf-8")
    except (binascii.Error, ValueError):
        raise BakeError(f"{what} is a JWS whose payload is not base64url-encoded UTF-8") from None
    return _json_object(text, f"{what} (JWS payload)")


def _check_version(ob_version: int) -> int:
    if ob_version not in _ELEMENTS or isinstance(ob_version, bool):
        raise UnsupportedError(f"Open Badges version {ob_version!r} cannot be baked; expected 2 or 3")
    return ob_version


def payload_version(payload: str) -> int:
    """The Open Badges version (2 or 3) a payload is baked as, read from its ``@context``.

    A hosted URL is Open Badges 2.0. A JSON credential, or a JWS whose payload is one (a ``vc`` claim is
    unwrapped), is 2.0 when its ``@context`` names ``https://w3id.org/openbadges/v2`` (or v1) and 3.0 when it
    names the VC or Open Badges 3.0 contexts.

    Raises:
        BakeError: the payload is not a credential, or its version cannot be told.
    """
    text, fmt = _normalize_payload(payload)
    if fmt == "url":
        return 2
    doc = _json_object(text, "the credential") if fmt == "json" else _jws_payload(text, "the credential")
    if fmt == "jws" and isinstance(doc.get("vc"), dict):
        doc = doc["vc"]
    raw = doc.get("@context")
    contexts = [c for c in (raw if isinstance(raw, list) else [raw]) if isinstance(c, str)]
    if any(c in _OB2_CONTEXTS for c in contexts):
        return 2
    if any(c.startswith(_OB3_CONTEXT_MARKERS) for c in contexts):
        return 3
    raise BakeError(
        "cannot tell the Open Badges version of the credential: its @context names neither Open Badges 2.0 "
        "(https://w3id.org/openbadges/v2) nor the Verifiable Credentials / Open Badges 3.0 contexts",
        hint="give the version explicitly (badge bake --ob-version 3)",
    )


# ----------------------------------------------------------------------------------------------------
# PNG


@dataclass(frozen=True, slots=True)
class _Chunk:
    type: bytes
    start: int  # offset of the length field
    end: int  # offset just after the CRC
    data: bytes


def _chunk_name(ctype: bytes) -> str:
    return ctype.decode("latin-1")


def _png_chunks(png: bytes, name: str) -> list[_Chunk]:
    """Every chunk of ``png``, validated (signature, IHDR first, lengths, CRCs, IDAT present, IEND last)."""
    if not isinstance(png, bytes | bytearray | memoryview):
        raise TypeError(f"png must be bytes, not {type(png).__name__}")
    data = bytes(png)
    where = _where(name)
    if len(data) > MAX_PNG_BYTES:
        raise BakeError(f"{where}PNG image is larger than {MAX_PNG_BYTES} bytes")
    if not data.startswith(PNG_SIGNATURE):
        raise BakeError(f"{where}not a PNG image (it does not start with the PNG signature)")
    chunks: list[_Chunk] = []
    pos = len(PNG_SIGNATURE)
    while True:
        remaining = len(data) - pos
        if remaining == 0:
            raise BakeError(f"{where}PNG image is truncated: it ends without an IEND chunk")
        if remaining < 12:
            raise BakeError(f"{where}PNG image is truncated: {remaining} stray bytes at offset {pos}")
        (length,) = struct.unpack_from(">I", data, pos)
        ctype = data[pos + 4 : pos + 8]
        if not (ctype.isascii() and ctype.isalpha()):
            raise BakeError(f"{where}PNG image is corrupt: the chunk at offset {pos} has an invalid type {ctype!r}")
        label = f"chunk {_chunk_name(ctype)} at offset {pos}"
        if length > MAX_CHUNK_BYTES:
            raise BakeError(f"{where}PNG {label} claims {length} bytes, more than the limit of {MAX_CHUNK_BYTES}")
        if length > remaining - 12:
            raise BakeError(
                f"{where}PNG image is truncated: {label} claims {length} bytes but only {remaining - 12} remain"
            )
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        if zlib.crc32(ctype + body) != crc:
            raise BakeError(f"{where}PNG image is corrupt: {label} has a bad CRC")
        if not chunks and ctype != b"IHDR":
            raise BakeError(f"{where}PNG image is corrupt: it starts with {_chunk_name(ctype)}, not IHDR")
        if ctype == b"IHDR" and (chunks or length != 13):
            raise BakeError(f"{where}PNG image is corrupt: misplaced or malformed IHDR chunk at offset {pos}")
        chunks.append(_Chunk(ctype, pos, pos + 12 + length, body))
        pos += 12 + length
        if ctype == b"IEND":
            break
    if pos != len(data):
        raise BakeError(f"{where}PNG image has {len(data) - pos} bytes after its IEND chunk")
    if not any(c.type == b"IDAT" for c in chunks):
        raise BakeError(f"{where}PNG image has no image data (no IDAT chunk)")
    return chunks


def _keyword(chunk: _Chunk) -> str | None:
    """The keyword of a text chunk (iTXt, tEXt, zTXt), or None."""
    if chunk.type not in (b"iTXt", b"tEXt", b"zTXt"):
        return None
    end = chunk.data.find(b"\0", 0, 80)
    return chunk.data[:end].decode("latin-1") if end > 0 else None


def _is_baked(chunk: _Chunk) -> bool:
    keyword = _keyword(chunk)
    if chunk.type == b"iTXt":
        return keyword in PNG_KEYWORDS.values()
    return keyword == PNG_KEYWORDS[2]


def _inflate(data: bytes, what: str) -> str:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_PAYLOAD_BYTES + 1)
    except zlib.error:
        raise BakeError(f"{what} is compressed but its zlib data is corrupt") from None
    if len(out) > MAX_PAYLOAD_BYTES or inflater.unconsumed_tail:
        raise BakeError(f"{what} decompresses to more than {MAX_PAYLOAD_BYTES} bytes")
    if not inflater.eof:
        raise BakeError(f"{what} is compressed but its zlib data is truncated")
    return _utf8(out, what)


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BakeError(f"{what} is not valid UTF-8") from None


def _read_itxt(chunk: _Chunk, what: str) -> tuple[str, bool]:
    """(text, compressed) of an iTXt chunk: keyword NUL flag method language NUL translated NUL text."""
    data = chunk.data
    keyword_end = data.find(b"\0")
    flag_at = keyword_end + 1
    if keyword_end < 0 or len(data) < flag_at + 2:
        raise BakeError(f"{what} is malformed (no compression flag)")
    flag, method = data[flag_at], data[flag_at + 1]
    language_end = data.find(b"\0", flag_at + 2)
    translated_end = data.find(b"\0", language_end + 1) if language_end >= 0 else -1
    if translated_end < 0:
        raise BakeError(f"{what} is malformed (missing language tag or translated keyword)")
    text = data[translated_end + 1 :]
    if flag == 0:
        return _utf8(text, what), False
    if flag == 1 and method == 0:
        return _inflate(text, what), True
    raise BakeError(f"{what} has an unknown compression flag {flag} or method {method}")


def unbake_png(png: bytes, *, name: str = "") -> Baked:
    """The credential baked into a PNG image.

    Reads the first ``iTXt`` chunk with keyword ``openbadgecredential`` (Open Badges 3.0) or ``openbadges``
    (2.0), compressed or not; failing that, a legacy ``tEXt`` chunk ``openbadges``.

    Args:
        png: the image.
        name: names the image in error messages (e.g. its file name).

    Raises:
        BakeError: the image is not a valid PNG, its chunk is malformed, or it has no baked credential.
    """
    where = _where(name)
    chunks = _png_chunks(png, name)
    carriers = [
        c
        for c in chunks
        if (c.type == b"iTXt" and _keyword(c) in PNG_KEYWORDS.values())
        or (c.type == b"tEXt" and _keyword(c) == PNG_KEYWORDS[2])
    ]
    if len(carriers) > 1:
        # the baking specs allow exactly one: a second credential could ride along with a genuine first one
        raise BakeError(f"{where}PNG image has {len(carriers)} baked credential chunks; refusing an ambiguous image")
    legacy: _Chunk | None = None
    for chunk in chunks:
        keyword = _keyword(chunk)
        if chunk.type == b"iTXt" and keyword in PNG_KEYWORDS.values():
            what = f"{where}PNG iTXt chunk {keyword!r}"
            text, compressed = _read_itxt(chunk, what)
            kind: Kind = "ob3" if keyword == PNG_KEYWORDS[3] else "ob2"
            return Baked(
                payload=_baked_payload(text, what), kind=kind, container="png", chunk="iTXt", compressed=compressed
            )
        if chunk.type == b"tEXt" and keyword == PNG_KEYWORDS[2] and legacy is None:
            legacy = chunk
    if legacy is not None:
        what = f"{where}PNG tEXt chunk 'openbadges'"
        text = legacy.data[len(PNG_KEYWORDS[2]) + 1 :].decode("latin-1")
        return Baked(payload=_baked_payload(text, what), kind="ob2", container="png", chunk="tEXt")
    raise BakeError(f"{where}PNG image has no baked credential (no iTXt chunk 'openbadgecredential' or 'openbadges')")


def _baked_payload(text: str, what: str) -> str:
    payload = text.strip()
    if not payload:
        raise BakeError(f"{what} is empty")
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise BakeError(f"{what} is larger than {MAX_PAYLOAD_BYTES} bytes")
    return payload


def _itxt(keyword: str, text: str) -> bytes:
    data = keyword.encode("latin-1") + b"\0" + b"\0\0" + b"\0" + b"\0" + text.encode("utf-8")
    return struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data))


def bake_png(png: bytes, payload: str, *, ob_version: int = 3, name: str = "") -> bytes:
    """Bake ``payload`` into a PNG image; the image's pixels and other chunks are left byte for byte.

    Inserts one uncompressed ``iTXt`` chunk (keyword ``openbadgecredential`` for Open Badges 3.0, ``openbadges``
    for 2.0; empty language tag and translated keyword) just before ``IEND``, and removes any earlier baked chunk
    (``iTXt`` with either keyword, legacy ``tEXt``/``zTXt`` ``openbadges``).

    Args:
        png: the badge image.
        payload: JSON text or a compact JWS (3.0); JSON, a JWS or a hosted assertion URL (2.0). Surrounding
            whitespace is dropped and line ends become LF.
        ob_version: 3 or 2.
        name: names the image in error messages.

    Raises:
        BakeError: the image is not a valid PNG or the payload is not a credential.
        UnsupportedError: ``ob_version`` is neither 2 nor 3.
    """
    version = _check_version(ob_version)
    text, fmt = _normalize_payload(payload)
    if version == 3 and fmt == "url":
        raise BakeError("an Open Badges 3.0 credential is baked as JSON or a JWS, not as a URL")
    chunks = _png_chunks(png, name)
    source = bytes(png)
    out = bytearray(PNG_SIGNATURE)
    for chunk in chunks:
        if _is_baked(chunk):
            continue
        if chunk.type == b"IEND":
            out += _itxt(PNG_KEYWORDS[version], text)
        out += source[chunk.start : chunk.end]
    return bytes(out)


# ----------------------------------------------------------------------------------------------------
# SVG


def _svg_text(svg: bytes | str, name: str) -> str:
    """The SVG as text (UTF-8 only, size-capped), a BOM kept as U+FEFF."""
    where = _where(name)
    if isinstance(svg, str):
        text = svg
        size = len(text.encode("utf-8", "surrogatepass"))
    elif isinstance(svg, bytes | bytearray | memoryview):
        size = len(svg)
        if size > MAX_SVG_BYTES:
            raise BakeError(f"{where}SVG image is larger than {MAX_SVG_BYTES} bytes")
        try:
            text = bytes(svg).decode("utf-8")
        except UnicodeDecodeError:
            raise BakeError(f"{where}SVG image is not UTF-8 text") from None
    else:
        raise TypeError(f"svg must be bytes or str, not {type(svg).__name__}")
    if size > MAX_SVG_BYTES:
        raise BakeError(f"{where}SVG image is larger than {MAX_SVG_BYTES} bytes")
    declaration = re.match(r"\ufeff?<\?xml\s[^>]*?encoding\s*=\s*[\"']([^\"']+)[\"']", text)
    if declaration and declaration.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise BakeError(f"{where}SVG image declares the encoding {declaration.group(1)!r}; only UTF-8 is supported")
    return text


def _parse_svg(text: str, name: str) -> Element:
    """Parse with defusedxml: DOCTYPE, entity declarations and external references are refused."""
    where = _where(name)
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise BakeError(
            f"{where}SVG image has a DOCTYPE declaration, which is refused (entity expansion and external entities)"
        ) from None
    except EntitiesForbidden:
        raise BakeError(f"{where}SVG image declares XML entities, which are refused") from None
    except ExternalReferenceForbidden:
        raise BakeError(f"{where}SVG image refers to an external XML resource, which is refused") from None
    except ParseError as exc:
        raise BakeError(f"{where}not a well-formed SVG image: {exc}") from None
    if root.tag not in (f"{{{_SVG_NAMESPACE}}}svg", "svg"):
        raise BakeError(f"{where}not an SVG image: the root element is <{_local(root.tag)}>, not <svg>")
    return root


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _local(tag: str) -> str:
    return _split(tag)[1]


def _squeeze(value: str) -> str:
    """A value as a browser would read a URL in it: no whitespace or control characters, lower case."""
    return "".join(c for c in value if not (c.isspace() or unicodedata.category(c) == "Cc")).lower()


def _local_reference(value: str) -> bool:
    return value.startswith(("#", "data:image/"))


def _check_css(css: str, where: str) -> None:
    squeezed = _squeeze(css)
    if "@import" in squeezed:
        raise BakeError(f"{where}badge art with a CSS @import (an external reference) is refused on bake")
    if "expression(" in squeezed or _SCRIPT_URL.search(squeezed):
        raise BakeError(f"{where}badge art containing scripts or event handlers is refused on bake")
    for target in _CSS_URL.findall(squeezed):
        if not _local_reference(target):
            raise BakeError(
                f"{where}badge art refers to the external resource {target[:80]!r} in CSS; only '#fragment' and "
                "'data:image/…' references are allowed"
            )


def _check_art(root: Element, prolog: str, name: str) -> None:
    where = _where(name)
    if re.search(r"<\?xml-stylesheet", prolog, re.IGNORECASE):
        raise BakeError(f"{where}badge art with an xml-stylesheet instruction (an external reference) is refused")
    for element in root.iter():
        namespace, local = _split(element.tag)
        if namespace in (OB3_NAMESPACE, OB2_NAMESPACE):
            continue  # an earlier bake: replaced, never rendered
        if local.lower() in _SCRIPT_ELEMENTS:
            raise BakeError(
                f"{where}badge art containing scripts or event handlers is refused on bake (found <{local}>)"
            )
        if namespace == _XINCLUDE_NAMESPACE:
            raise BakeError(f"{where}badge art with XInclude (an external reference) is refused on bake")
        if local == "style" and element.text:
            _check_css(element.text, where)
        for attribute, value in element.attrib.items():
            attr_local = _local(attribute)
            squeezed = _squeeze(value)
            if attr_local.lower().startswith("on"):
                raise BakeError(
                    f"{where}badge art containing scripts or event handlers is refused on bake "
                    f"(found the attribute {attr_local!r} on <{local}>)"
                )
            if _SCRIPT_URL.search(squeezed):
                raise BakeError(
                    f"{where}badge art containing scripts or event handlers is refused on bake "
                    f"(found a script URL in {attr_local!r} on <{local}>)"
                )
            if attr_local == "href" and not _local_reference(squeezed):
                raise BakeError(
                    f"{where}badge art refers to the external resource {value.strip()[:80]!r} in <{local}>; only "
                    "'#fragment' and 'data:image/…' references are allowed"
                )
            if attr_local == "style":
                _check_css(value, where)


def check_badge_art(svg: bytes | str, *, name: str = "") -> None:
    """Check that SVG badge art is safe to bake or to draw: parses, no DOCTYPE/entities, no scripts, event handlers,
    ``<foreignObject>`` or external references (``href``, CSS ``url()``/``@import``, xml-stylesheet, XInclude).

    Raises:
        BakeError: the art is not a well-formed SVG image or is unsafe.
    """
    text = _svg_text(svg, name)
    root = _parse_svg(text, name)
    start, _, _ = _root_start_tag(text, name)
    _check_art(root, text[:start], name)


def _skip_markup(text: str, pos: int, name: str) -> int:
    """Offset just after the comment, CDATA section or processing instruction starting at ``pos``."""
    for opening, closing in (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>")):
        if text.startswith(opening, pos):
            end = text.find(closing, pos + len(opening))
            if end < 0:
                raise BakeError(f"{_where(name)}SVG image has an unterminated {opening!r}")
            return end + len(closing)
    end = text.find(">", pos)  # "<!…>" declarations: the parser has already refused DOCTYPE
    if end < 0:
        raise BakeError(f"{_where(name)}SVG image has an unterminated markup declaration")
    return end + 1


def _tag_end(text: str, pos: int, name: str) -> int:
    """Offset just after the tag starting at ``pos`` (quote-aware: attribute values may contain '>')."""
    quote = ""
    for i in range(pos + 1, len(text)):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == ">":
            return i + 1
    raise BakeError(f"{_where(name)}SVG image has an unterminated tag at offset {pos}")


def _root_start_tag(text: str, name: str) -> tuple[int, int, bool]:
    """(start, end, self_closing) of the root ``<svg …>`` start tag."""
    pos = 1 if text.startswith("\ufeff") else 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("<!", pos) or text.startswith("<?", pos):
            pos = _skip_markup(text, pos, name)
            continue
        break
    if not re.match(r"<svg[\s/>]", text[pos : pos + 5]):
        raise BakeError(f"{_where(name)}SVG image's root element must be an unprefixed <svg> start tag")
    end = _tag_end(text, pos, name)
    return pos, end, text[end - 2] == "/"


@dataclass(frozen=True, slots=True)
class _Tag:
    start: int
    end: int
    qname: str
    closing: bool
    empty: bool
    text: str


def _tags(text: str, pos: int, name: str) -> Iterator[_Tag]:
    """Every start/end tag from ``pos`` on, skipping comments, CDATA sections and processing instructions."""
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            return
        if text.startswith("<!", lt) or text.startswith("<?", lt):
            pos = _skip_markup(text, lt, name)
            continue
        end = _tag_end(text, lt, name)
        raw = text[lt:end]
        match = re.match(r"</?([^\s/>]+)", raw)
        if match is None:
            raise BakeError(f"{_where(name)}SVG image has a malformed tag at offset {lt}")
        yield _Tag(lt, end, match.group(1), raw.startswith("</"), raw.endswith("/>"), raw)
        pos = end


def _namespace_prefixes(tag_text: str) -> dict[str, str]:
    """``xmlns:prefix`` → namespace declared in a start tag."""
    out: dict[str, str] = {}
    for attr, quoted in _ATTRIBUTE.findall(tag_text):
        if attr.startswith("xmlns:"):
            out[attr[len("xmlns:") :]] = quoted[1:-1]
    return out


def _baked_spans(text: str, root_end: int, root_prefixes: Mapping[str, str], name: str) -> list[tuple[int, int]]:
    """Text spans of every baked element (``<p:credential>``/``<p:assertion>`` in an Open Badges namespace)."""
    wanted = {(ns, local) for ns, local in _ELEMENTS.values()}
    spans: list[tuple[int, int]] = []
    tags = _tags(text, root_end, name)
    for tag in tags:
        if tag.closing or ":" not in tag.qname:
            continue
        prefix, _, local = tag.qname.partition(":")
        namespace = _namespace_prefixes(tag.text).get(prefix, root_prefixes.get(prefix, ""))
        if (namespace, local) not in wanted:
            continue
        if tag.empty:
            spans.append((tag.start, tag.end))
            continue
        depth = 1
        for inner in tags:
            if inner.qname == tag.qname:
                depth += -1 if inner.closing else (0 if inner.empty else 1)
                if depth == 0:
                    spans.append((tag.start, inner.end))
                    break
        else:
            raise BakeError(f"{_where(name)}SVG image has an unclosed <{tag.qname}> element")
    return spans


def _attribute_value(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
    )


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _hosted_url(assertion: Mapping[str, Any]) -> str | None:
    verify = assertion.get("verify")
    candidates = [verify.get("url") if isinstance(verify, Mapping) else None, assertion.get("id")]
    for url in candidates:
        if isinstance(url, str) and payload_format(url) == "url":
            return url.strip()
    return None


def _svg_element(text: str, fmt: PayloadFormat, version: int, name: str) -> str:
    if version == 3:
        if fmt == "url":
            raise BakeError("an Open Badges 3.0 credential is baked as JSON or a JWS, not as a URL")
        if fmt == "jws":
            return f'<openbadges:credential verify="{_attribute_value(text)}"/>'
        return f"<openbadges:credential>{_cdata(text)}</openbadges:credential>"
    if fmt in ("jws", "url"):
        return f'<openbadges:assertion verify="{_attribute_value(text)}"/>'
    hosted = _hosted_url(_json_object(text, "the assertion"))
    if hosted is None:
        raise BakeError(
            "an Open Badges 2.0 assertion baked into SVG as JSON needs its hosted URL "
            "(verify.url or an http(s) id) for the verify attribute",
            hint="bake the signed assertion (its JWS) instead",
        )
    return f'<openbadges:assertion verify="{_attribute_value(hosted)}">{_cdata(text)}</openbadges:assertion>'


def bake_svg(svg: bytes | str, payload: str, *, ob_version: int = 3, name: str = "") -> bytes:
    """Bake ``payload`` into an SVG image; the rest of the file is left byte for byte.

    Declares ``xmlns:openbadges`` on ``<svg>`` and puts one element directly after the ``<svg …>`` start tag:
    ``<openbadges:credential>`` (3.0: ``verify="<JWS>"`` and no body, or the JSON in CDATA) or
    ``<openbadges:assertion>`` (2.0: ``verify="<JWS>"``, or ``verify="<hosted URL>"`` with the JSON in CDATA).
    Earlier baked elements are removed. The art is checked first (:func:`check_badge_art`).

    Args:
        svg: the badge art (UTF-8).
        payload: as for :func:`bake_png`.
        ob_version: 3 or 2.
        name: names the image in error messages.

    Returns:
        The baked SVG, UTF-8 encoded.

    Raises:
        BakeError: the art is not a well-formed, safe SVG image, or the payload is not a credential.
        UnsupportedError: ``ob_version`` is neither 2 nor 3.
    """
    version = _check_version(ob_version)
    text, fmt = _normalize_payload(payload)
    source = _svg_text(svg, name)
    root = _parse_svg(source, name)
    start, end, empty = _root_start_tag(source, name)
    _check_art(root, source[:start], name)
    element = _svg_element(text, fmt, version, name)

    start_tag = source[start:end]
    namespace = _ELEMENTS[version][0]
    declared = re.search(r"""\sxmlns:openbadges\s*=\s*(["'])(.*?)\1""", start_tag)
    if declared:
        new_tag = start_tag[: declared.start(2)] + namespace + start_tag[declared.end(2) :]
    else:
        cut = len(start_tag) - (2 if empty else 1)
        new_tag = f'{start_tag[:cut]} xmlns:openbadges="{namespace}"{start_tag[cut:]}'
    if empty:
        new_tag = new_tag[:-2].rstrip() + ">"

    rest = source[end:]
    spans = _baked_spans(source, end, _namespace_prefixes(start_tag), name)
    if spans:
        pieces, last = [], end
        for span_start, span_end in spans:
            pieces.append(source[last:span_start])
            last = span_end
        pieces.append(source[last:])
        rest = "".join(pieces)
    baked = source[:start] + new_tag + element + ("</svg>" if empty else "") + rest

    # the result must parse and give back exactly this payload, once
    found = unbake_svg(baked, name=name)
    count = sum(1 for el in _parse_svg(baked, name).iter() if _split(el.tag) in set(_ELEMENTS.values()))
    if found.payload != text or count != 1:
        raise BakeError(f"{_where(name)}SVG image could not be baked safely (an earlier baked element is nested)")
    return baked.encode("utf-8")


def unbake_svg(svg: bytes | str, *, name: str = "") -> Baked:
    """The credential baked into an SVG image: the first ``<openbadges:credential>`` or ``<openbadges:assertion>``.

    The body (CDATA) is the payload when it is not blank; otherwise the ``verify`` attribute (a JWS, or an
    Open Badges 2.0 hosted URL). Scripts are tolerated (the image is only read, never rendered); DOCTYPEs and
    entities are not.

    Raises:
        BakeError: the image is not a well-formed SVG image, or it has no (or an empty) baked credential.
    """
    where = _where(name)
    root = _parse_svg(_svg_text(svg, name), name)
    found = [e for e in root.iter() if _split(e.tag) in _ELEMENTS.values()]
    if len(found) > 1:
        raise BakeError(f"{where}SVG image has {len(found)} baked credential elements; refusing an ambiguous image")
    for element in root.iter():
        key = _split(element.tag)
        for version, (namespace, local) in _ELEMENTS.items():
            if key != (namespace, local):
                continue
            label = f"openbadges:{local}"
            verify = element.get("verify")
            body = (element.text or "").strip()
            payload = body or (verify or "").strip()
            what = f"{where}SVG <{label}> element"
            kind: Kind = "ob3" if version == 3 else "ob2"
            return Baked(
                payload=_baked_payload(payload, what),
                kind=kind,
                container="svg",
                chunk=label,
                verify=verify.strip() if verify is not None else None,
            )
    raise BakeError(
        f"{where}SVG image has no baked credential (no <openbadges:credential> or <openbadges:assertion> element)"
    )


# ----------------------------------------------------------------------------------------------------
# Either


def sniff_image(data: bytes) -> Container | None:
    """``"png"`` or ``"svg"`` by content (never by file name), or None."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    head = bytes(data[:4096])
    if head.startswith(PNG_SIGNATURE):
        return "png"
    text = head.decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("<") and re.search(r"<svg[\s/>]", text):
        return "svg"
    return None


def _container(image: bytes, name: str) -> Container:
    kind = sniff_image(image)
    if kind is None:
        raise BakeError(f"{_where(name)}not a PNG or SVG image")
    return kind


def bake_image(image: bytes, payload: str, *, ob_version: int | None = None, name: str = "") -> bytes:
    """Bake ``payload`` into a PNG or SVG image (recognised by content).

    Args:
        ob_version: 3 or 2; default: read from the payload (:func:`payload_version`).
    """
    version = payload_version(payload) if ob_version is None else ob_version
    if _container(image, name) == "png":
        return bake_png(image, payload, ob_version=version, name=name)
    return bake_svg(image, payload, ob_version=version, name=name)


def unbake_image(image: bytes, *, name: str = "") -> Baked:
    """The credential baked into a PNG or SVG image (recognised by content)."""
    if _container(image, name) == "png":
        return unbake_png(image, name=name)
    return unbake_svg(image, name=name)
