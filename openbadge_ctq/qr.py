"""QR codes of verification URLs, as PNG or SVG bytes. The only module that imports :mod:`qrcode`.

Error correction level M (15 % of the code can be damaged), a quiet zone of 4 modules, black on white. The SVG
comes from qrcode's path image factory (one ``<path>``, white background); the PNG is a 1-bit greyscale image
written here from the QR matrix, so no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, Final
from urllib.parse import urlsplit

import qrcode
import qrcode.constants
import qrcode.image.svg

from .errors import InputError

__all__ = ["MAX_URL_LENGTH", "check_url", "qr_matrix", "qr_png", "qr_svg"]

MAX_URL_LENGTH: Final = 2048
"""Longest URL put in a QR code (level M holds at most 2,331 bytes; long codes scan badly)."""

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"


def check_url(url: str) -> str:
    """``url`` when it is an absolute http(s) URL of at most :data:`MAX_URL_LENGTH` characters without spaces.

    Raises:
        InputError: otherwise.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    if len(url) > MAX_URL_LENGTH:
        raise InputError(f"URL is {len(url)} characters long; a QR code holds at most {MAX_URL_LENGTH}")
    if not url or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise InputError(f"{url[:60]!r} is not a URL (it is empty or contains spaces or control characters)")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InputError(f"{url[:60]!r} is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError(f"{url[:60]!r} is not an http(s) URL with a host", hint="give the https:// verification URL")
    return url


def _check_size(box_size: int, border: int) -> None:
    if not 1 <= box_size <= 100:
        raise InputError(f"box size must be between 1 and 100 pixels, not {box_size}")
    if not 0 <= border <= 16:
        raise InputError(f"border must be between 0 and 16 modules, not {border}")


def _code(url: str, border: int) -> qrcode.QRCode[Any]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=border)
    code.add_data(check_url(url))
    code.make(fit=True)
    return code


def qr_matrix(url: str, *, border: int = 4) -> tuple[tuple[bool, ...], ...]:
    """The QR code of ``url`` as rows of modules (True = dark), with a quiet zone of ``border`` modules."""
    _check_size(1, border)
    return tuple(tuple(bool(cell) for cell in row) for row in _code(url, border).get_matrix())


def _png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def qr_png(url: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """A PNG image (1-bit greyscale) of the QR code of ``url``; each module is ``box_size`` pixels square.

    Raises:
        InputError: ``url`` is not an http(s) URL (see :func:`check_url`) or the sizes are out of range.
    """
    _check_size(box_size, border)
    matrix = qr_matrix(url, border=border)
    size = len(matrix) * box_size
    row_bytes = (size + 7) // 8
    raw = bytearray()
    for row in matrix:
        bits = "".join(("0" if dark else "1") * box_size for dark in row).ljust(row_bytes * 8, "1")
        line = b"\x00" + int(bits, 2).to_bytes(row_bytes, "big")  # filter type 0, then the packed pixels
        raw += line * box_size
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)  # 1-bit greyscale, no interlace
    return b"".join(
        (
            _PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(bytes(raw), 9)),
            _png_chunk(b"IEND", b""),
        )
    )


def qr_svg(url: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """An SVG image of the QR code of ``url`` (one path on a white background; ``box_size`` 10 = 1 mm a module).

    Raises:
        InputError: ``url`` is not an http(s) URL (see :func:`check_url`) or the sizes are out of range.
    """
    _check_size(box_size, border)
    code = _code(url, border)
    code.box_size = box_size
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    svg: bytes = image.to_string(encoding="UTF-8")
    return svg if svg.startswith(b"<?xml") else b'<?xml version="1.0" encoding="UTF-8"?>\n' + svg
