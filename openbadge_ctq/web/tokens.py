"""API tokens for the VC-API issuing endpoint and trust-list management, kept hashed in the badge home.

``<home>/api-tokens.json`` holds only ``sha256:`` hashes; the token itself is shown once, when it is created.
The file is written atomically with mode 0600. The server re-reads it on each authenticated request, so a revoked
token stops working at once.
"""

from __future__ import annotations

import builtins
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError, StoreError
from .security import hash_token

__all__ = ["TOKEN_FILE", "TOKEN_PREFIX", "TokenRecord", "TokenStore"]

TOKEN_FILE = "api-tokens.json"
TOKEN_PREFIX = "obt_"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRecord:
    """One API token as stored: never the token, only its hash."""

    id: str
    name: str
    hash: str
    created: str
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "hash": self.hash, "created": self.created, "revoked": self.revoked}


class TokenStore:
    """The API tokens of a badge home."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.path = self.home / TOKEN_FILE

    def list(self) -> list[TokenRecord]:
        if not self.path.is_file():
            return []
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            return [TokenRecord(**item) for item in doc["tokens"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"{self.path} is damaged ({type(exc).__name__})", hint="restore it from a backup"
            ) from None

    def active_hashes(self) -> frozenset[str]:
        return frozenset(t.hash for t in self.list() if t.active)

    def create(self, name: str, *, now: datetime | None = None) -> tuple[TokenRecord, str]:
        """Make a new token; return its record and the token (shown once, never stored)."""
        clean = name.strip()
        if not clean or len(clean) > 100 or not clean.isprintable():
            raise InputError("a token name must be 1–100 printable characters", hint="badge token create --name ci")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        record = TokenRecord(
            id="tok-" + secrets.token_hex(4),
            name=clean,
            hash=hash_token(token),
            created=moment.isoformat().replace("+00:00", "Z"),
        )
        self._write([*self.list(), record])
        return record, token

    def revoke(self, token_id: str, *, now: datetime | None = None) -> TokenRecord:
        records = self.list()
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        for i, record in enumerate(records):
            if record.id == token_id:
                if record.revoked:
                    return record
                revoked = TokenRecord(**{**record.to_json(), "revoked": moment.isoformat().replace("+00:00", "Z")})
                records[i] = revoked
                self._write(records)
                return revoked
        raise InputError(f"there is no API token {token_id!r}", hint="badge token list")

    def _write(self, records: builtins.list[TokenRecord]) -> None:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = json.dumps({"tokens": [r.to_json() for r in records]}, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(dir=self.home, prefix=".api-tokens-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
