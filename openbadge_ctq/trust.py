"""Trust lists: which issuers a district accepts, kept apart from whether a signature is valid.

A trust list is a small JSON document::

    {"trusted": ["did:web:ctq.example", {"id": "did:key:z6Mk…", "name": "Center for Teaching Quality"}],
     "distrusted": ["did:web:diploma-mill.example"]}

Entries are issuer ids (DIDs or https URLs), as plain strings or objects with ``id`` and an optional ``name``.
:meth:`TrustList.judge` answers ``"trusted"``, ``"unknown"`` or ``"distrusted"``; an issuer listed in both lists is
distrusted (a district that blocks an issuer means it). A DID URL (``did:web:x#key-1``) is judged by its DID, and an
https issuer id is compared without a trailing slash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import InputError

__all__ = ["MAX_TRUST_FILE", "TrustEntry", "TrustList", "Verdict", "normalize_issuer_id"]

Verdict = Literal["trusted", "unknown", "distrusted"]
MAX_TRUST_FILE = 4 * 1024 * 1024
_LISTS = ("trusted", "distrusted")


def normalize_issuer_id(issuer_id: str) -> str:
    """The form issuer ids are compared in: the DID of a DID URL, an https URL without its trailing slash."""
    value = issuer_id.strip()
    if value.startswith("did:"):
        return value.split("#", 1)[0].split("?", 1)[0]
    if value.startswith(("https://", "http://")):
        value = value.split("#", 1)[0]
        return value.rstrip("/") if value.count("/") > 2 else value
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustEntry:
    """One listed issuer: its id and, optionally, the name the district knows it by."""

    id: str
    name: str | None = None

    def to_json(self) -> dict[str, str] | str:
        return {"id": self.id, "name": self.name} if self.name else self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustList:
    """The issuers a verifier trusts and distrusts. An immutable value: changes return a new list."""

    trusted: tuple[TrustEntry, ...] = ()
    distrusted: tuple[TrustEntry, ...] = ()
    _trusted_ids: frozenset[str] = field(init=False, repr=False, compare=False)
    _distrusted_ids: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_trusted_ids", frozenset(normalize_issuer_id(e.id) for e in self.trusted))
        object.__setattr__(self, "_distrusted_ids", frozenset(normalize_issuer_id(e.id) for e in self.distrusted))

    @classmethod
    def parse(cls, data: str | bytes | Mapping[str, Any], *, name: str = "trust list") -> TrustList:
        """Read a trust list from JSON text or an already parsed mapping.

        Raises:
            InputError: not JSON, not an object, an unknown member, or an entry without a string id.
        """
        if isinstance(data, str | bytes):
            try:
                parsed = json.loads(data)
            except (ValueError, UnicodeDecodeError) as exc:
                raise InputError(f"{name} is not valid JSON ({exc})") from None
        else:
            parsed = data
        if not isinstance(parsed, Mapping):
            raise InputError(f"{name} must be a JSON object with 'trusted' and 'distrusted' lists")
        unknown = sorted(set(parsed) - {*_LISTS, "$comment", "description"})
        if unknown:
            raise InputError(f"{name} has unknown member {unknown[0]!r} (expected 'trusted' and 'distrusted')")
        lists: dict[str, tuple[TrustEntry, ...]] = {}
        for key in _LISTS:
            raw = parsed.get(key, [])
            if not isinstance(raw, list):
                raise InputError(f"{name}: '{key}' must be a list of issuer ids")
            lists[key] = tuple(_entry(item, f"{name}: {key}[{i}]") for i, item in enumerate(raw))
        return cls(trusted=lists["trusted"], distrusted=lists["distrusted"])

    @classmethod
    def load(cls, path: Path | str) -> TrustList:
        """Read a trust list file. A missing file is an error (a typo must not silently trust nobody)."""
        file = Path(path)
        try:
            size = file.stat().st_size
            if size > MAX_TRUST_FILE:
                raise InputError(f"{file} is larger than {MAX_TRUST_FILE} bytes")
            data = file.read_bytes()
        except FileNotFoundError:
            raise InputError(
                f"trust list {file} does not exist",
                hint='create it with {"trusted": [], "distrusted": []}',
            ) from None
        return cls.parse(data, name=str(file))

    def judge(self, issuer_id: str | None) -> Verdict:
        """``"distrusted"`` if listed as distrusted, else ``"trusted"`` if listed as trusted, else ``"unknown"``."""
        if not issuer_id:
            return "unknown"
        key = normalize_issuer_id(issuer_id)
        if key in self._distrusted_ids:
            return "distrusted"
        if key in self._trusted_ids:
            return "trusted"
        return "unknown"

    def name_of(self, issuer_id: str) -> str | None:
        """The name the list gives this issuer, if any."""
        key = normalize_issuer_id(issuer_id)
        for entry in (*self.distrusted, *self.trusted):
            if normalize_issuer_id(entry.id) == key:
                return entry.name
        return None

    def with_issuer(self, issuer_id: str, verdict: Verdict, *, name: str | None = None) -> TrustList:
        """A copy where ``issuer_id`` is trusted, distrusted or (``"unknown"``) removed from both lists."""
        entry = _entry({"id": issuer_id, "name": name} if name else issuer_id, "issuer id")
        key = normalize_issuer_id(entry.id)
        trusted = tuple(e for e in self.trusted if normalize_issuer_id(e.id) != key)
        distrusted = tuple(e for e in self.distrusted if normalize_issuer_id(e.id) != key)
        if verdict == "trusted":
            trusted = (*trusted, entry)
        elif verdict == "distrusted":
            distrusted = (*distrusted, entry)
        return TrustList(trusted=trusted, distrusted=distrusted)

    def to_json(self) -> dict[str, list[dict[str, str] | str]]:
        return {key: [e.to_json() for e in getattr(self, key)] for key in _LISTS}

    def dumps(self) -> str:
        """Pretty JSON, ending with a newline (what :meth:`load` reads back)."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def entries(self) -> Iterable[tuple[Verdict, TrustEntry]]:
        for entry in self.trusted:
            yield "trusted", entry
        for entry in self.distrusted:
            yield "distrusted", entry


def _entry(item: object, where: str) -> TrustEntry:
    name: str | None = None
    if isinstance(item, str):
        ident: object = item
    elif isinstance(item, Mapping):
        ident, raw_name = item.get("id"), item.get("name")
        if raw_name is not None and not isinstance(raw_name, str):
            raise InputError(f"{where}: 'name' must be a string")
        name = raw_name
    else:
        raise InputError(f"{where} must be an issuer id or an object with an 'id'")
    if not isinstance(ident, str) or not ident.strip():
        raise InputError(f"{where} has no issuer id")
    if any(not c.isprintable() for c in ident) or len(ident) > 2048:
        raise InputError(f"{where}: the issuer id is not a printable id of at most 2048 characters")
    if not ident.startswith(("did:", "https://", "http://", "urn:")):
        raise InputError(f"{where}: {ident[:80]!r} is not a DID, URL or URN")
    return TrustEntry(id=ident.strip(), name=name or None)
