"""Pretty JSON, fast: exactly ``json.dumps(value, indent=2, ensure_ascii=False)``, about three times faster.

The standard library's C encoder is used only without ``indent``; with it, every value goes through a chain of
Python generators. Credentials are stored and written pretty-printed, and at bulk-issuing rates that encoder was a
fifth of the time spent per credential. This encoder writes the same text with plain recursion, using the C string
encoder for strings; for anything outside the plain JSON types (non-string keys, subclasses, other objects) it
hands the whole value to ``json.dumps``, so the output is identical in every case (``tests/unit/test_jsonfmt.py``
compares the two on generated values).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any, Final

__all__ = ["pretty"]

_MAX_DEPTH: Final = 200


class _Fallback(Exception):
    pass


def pretty(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``."""
    out: list[str] = []
    try:
        _emit(value, out, "\n", 0)
    except _Fallback:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(out)


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _emit(value: Any, out: list[str], newline: str, depth: int) -> None:
    kind = type(value)
    if kind is str:
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float:
        out.append(_float(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        if depth >= _MAX_DEPTH:
            raise _Fallback
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Fallback
            out.append(separator)
            out.append(encode_basestring(key))
            out.append(": ")
            _emit(item, out, inner, depth + 1)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        if depth >= _MAX_DEPTH:
            raise _Fallback
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _emit(item, out, inner, depth + 1)
            separator = "," + inner
        out.append(newline + "]")
    else:
        raise _Fallback
