"""Status lists, pure: W3C Bitstring Status List (and StatusList2021) encoding, and 1EdTech Revocation Lists.

Bit ``i`` of a list is bit ``7 - i % 8`` of byte ``i // 8`` (index 0 is the most significant bit of byte 0).
``encodedList`` is multibase base64url (``u`` prefix, no padding) of the GZIP-compressed bitstring; the older
StatusList2021 form has no multibase prefix. Decompression is capped, so a gzip bomb is refused.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import zlib
from collections.abc import Iterable

from .errors import InputError

__all__ = [
    "MAX_LIST_BITS",
    "MIN_LIST_BITS",
    "decode_bitstring",
    "encode_bitstring",
    "get_bit",
    "set_bits",
]

MIN_LIST_BITS = 131_072  # 16 KiB, the spec's minimum (herd privacy)
MAX_LIST_BITS = 16 * 1024 * 1024 * 8  # 16 MiB decompressed at most
_MAX_ENCODED = 4 * 1024 * 1024


def set_bits(size_bits: int, indexes: Iterable[int]) -> bytes:
    """A bitstring of ``size_bits`` bits with the given indexes set."""
    if size_bits % 8 or size_bits <= 0:
        raise InputError(f"status list size must be a positive multiple of 8 bits, found {size_bits}")
    data = bytearray(size_bits // 8)
    for index in indexes:
        if not 0 <= index < size_bits:
            raise InputError(f"status list index {index} is outside the list of {size_bits} entries")
        data[index // 8] |= 0x80 >> (index % 8)
    return bytes(data)


def encode_bitstring(bits: bytes) -> str:
    """Multibase base64url (``u``) of the GZIP of ``bits``; deterministic (mtime 0)."""
    compressed = gzip.compress(bits, compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bitstring(encoded: str) -> bytes:
    """Decode ``encodedList`` (multibase ``u`` or bare base64/base64url), refusing oversized expansions."""
    if not isinstance(encoded, str) or not encoded or len(encoded) > _MAX_ENCODED:
        raise InputError("encodedList must be a non-empty string of reasonable size")
    text = encoded[1:] if encoded.startswith("u") else encoded  # StatusList2021 lists have no prefix
    text = text.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InputError("encodedList is not valid base64url") from None
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as stream:
            data = stream.read(MAX_LIST_BITS // 8 + 1)
    except (OSError, EOFError, zlib.error):
        raise InputError("encodedList is not valid GZIP data") from None
    if len(data) > MAX_LIST_BITS // 8:
        raise InputError(f"status list expands to more than {MAX_LIST_BITS // 8} bytes; refused")
    return data


def get_bit(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise InputError(f"status list index {index} is outside the list of {len(bits) * 8} entries")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
