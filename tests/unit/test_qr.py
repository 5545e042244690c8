"""QR codes decode back to the verification URL (zxing-cpp reads the PNG; the SVG draws the same modules)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from openbadge_ctq.bake import unbake_png
from openbadge_ctq.errors import InputError
from openbadge_ctq.qr import MAX_URL_LENGTH, check_url, qr_matrix, qr_png, qr_svg

URLS = [
    "https://example.org/credentials/8e6f6a0e-1998-4d07-b4bc-b295ec5a0776",
    "http://localhost:8000/v?id=urn%3Auuid%3A1234&x=1",
    "https://badges.teachingquality.org/c/" + "a" * 400,
]


def decode_png(png: bytes) -> list[Any]:
    """The barcodes zxing-cpp (PyPI ``zxing-cpp``) finds in a PNG. Fails, never skips, when it is missing."""
    try:
        import zxingcpp
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        pytest.fail(f"the QR decoder is missing ({exc}): pip install zxing-cpp pillow (see the test extras)")
    return list(zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))


@pytest.mark.parametrize("url", URLS, ids=["uuid", "query", "long"])
def test_png_decodes_to_the_url(url: str) -> None:
    png = qr_png(url)
    [found] = decode_png(png)
    assert found.text == url
    assert found.format.name == "QRCode" and found.ec_level == "M"


def test_png_is_a_valid_one_bit_png() -> None:
    url = URLS[0]
    png = qr_png(url, box_size=3, border=4)
    with pytest.raises(InputError, match="has no baked credential"):  # every chunk and CRC checked
        unbake_png(png)
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    modules = len(qr_matrix(url, border=4))
    assert image.size == (modules * 3, modules * 3) and image.mode == "1"
    assert image.getpixel((0, 0)) == 255  # quiet zone is white
    assert qr_png(url) == qr_png(url)  # byte-stable


def test_matrix_has_the_quiet_zone() -> None:
    bare, framed = qr_matrix(URLS[0], border=0), qr_matrix(URLS[0], border=4)
    assert len(framed) == len(bare) + 8
    assert not any(framed[0]) and all(bare[0][:7])  # the finder pattern's top edge
    assert framed[4][4:-4] == bare[0]


@pytest.mark.parametrize("url", URLS[:2])
def test_svg_draws_the_same_modules(url: str) -> None:
    svg = qr_svg(url, border=4)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    matrix = qr_matrix(url, border=4)
    assert root.get("viewBox") == f"0 0 {len(matrix)} {len(matrix)}"
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    drawn = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", path.get("d", ""))}
    dark = {(x, y) for y, row in enumerate(matrix) for x, cell in enumerate(row) if cell}
    assert drawn == dark
    assert root.find("{http://www.w3.org/2000/svg}rect") is not None  # white background


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/x", "not an http"),
        ("javascript:alert(1)", "not an http"),
        ("https:///path-only", "not an http"),
        ("https://example.org/a b", "spaces"),
        ("", "empty"),
        ("https://example.org/" + "x" * MAX_URL_LENGTH, "at most"),
        ("https://exa\nmple.org/", "control characters"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    for make in (qr_png, qr_svg, check_url):
        with pytest.raises(InputError, match=message) as exc:
            make(url)
        assert "\n" not in str(exc.value)


def test_sizes_are_checked() -> None:
    with pytest.raises(InputError, match="box size"):
        qr_png(URLS[0], box_size=0)
    with pytest.raises(InputError, match="border"):
        qr_svg(URLS[0], border=40)
    with pytest.raises(TypeError):
        check_url(b"https://example.org/")  # type: ignore[arg-type]
