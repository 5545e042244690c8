"""Recognise what the caller handed to ``verify()``: a JSON credential, a compact JWS, an image or a URL.

Recognition is by content, never by file name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bake import sniff_image
from ..errors import InputError
from ..proofs.jws import looks_like_compact_jws

__all__ = ["MAX_INPUT_BYTES", "Sniffed", "load_source", "sniff"]

MAX_INPUT_BYTES = 8 * 1024 * 1024
MAX_JSON_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: str  # "json" | "jws" | "png" | "svg" | "url"
    text: str = ""
    data: Any = None
    raw: bytes = b""


def _depth_ok(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return True


def _unicode_ok(value: Any) -> bool:
    """No string (key or value) holds an unpaired surrogate: ``"\\ud800"`` is valid JSON syntax but not Unicode
    text (I-JSON, RFC 7493, forbids it), and nothing downstream can encode it (canonical N-Quads, responses)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str | bytes) -> Any:
    """Strict JSON: no NaN/Infinity, no duplicate keys, no unpaired surrogates, bounded depth and size."""
    if len(text) > MAX_INPUT_BYTES:
        raise InputError(f"input is larger than {MAX_INPUT_BYTES} bytes")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise InputError(f"JSON object has the key {key!r} twice")
            out[key] = value
        return out

    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        # the depth check below runs after parsing; json's own recursion limit guards the parser itself
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InputError("input is not valid UTF-8") from None
    except RecursionError:
        raise InputError(f"JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"input is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise InputError(f"input is not valid JSON: {exc}") from None
    if not _depth_ok(value):
        raise InputError(f"JSON is nested more than {MAX_JSON_DEPTH} levels deep")
    if not _unicode_ok(value):
        raise InputError("JSON has a string with an unpaired surrogate (such as \\ud800), which is not Unicode text")
    return value


def sniff(source: Any) -> Sniffed:
    """Classify ``source`` (dict, str, bytes). Raises InputError when it is none of the known kinds."""
    if isinstance(source, Mapping):
        return Sniffed("json", data=dict(source))
    if isinstance(source, bytes | bytearray):
        raw = bytes(source)
        if len(raw) > MAX_INPUT_BYTES:
            raise InputError(f"input is larger than {MAX_INPUT_BYTES} bytes")
        image = sniff_image(raw)
        if image is not None:
            return Sniffed(image, raw=raw)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("input is neither a PNG image nor UTF-8 text") from None
        return sniff(text)
    if isinstance(source, str):
        text = source.strip()
        if text.startswith(("{", "[")):
            return Sniffed("json", text=text, data=parse_json(text))
        if looks_like_compact_jws(text):
            return Sniffed("jws", text=text)
        if text.startswith("<") and sniff_image(text[:4096].encode("utf-8")) == "svg":
            return Sniffed("svg", text=text, raw=text.encode("utf-8"))
        if text.startswith(("https://", "http://")) and len(text.split()) == 1:
            return Sniffed("url", text=text)
        raise InputError("input is not a credential: expected JSON, a compact JWS, a baked PNG/SVG or a URL")
    raise TypeError(f"verify() takes a dict, str, bytes or Path, not {type(source).__name__}")


def load_source(source: Any) -> Any:
    """Read a Path into bytes; pass anything else through."""
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise InputError(f"cannot read {source}: {exc.strerror}") from None
        if size > MAX_INPUT_BYTES:
            raise InputError(f"{source} is larger than {MAX_INPUT_BYTES} bytes")
        return source.read_bytes()
    return source
