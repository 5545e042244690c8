"""Values the registry hands out: credential records, status indexes, audit events. Frozen, no I/O."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..errors import StoreError
from ..interfaces import JSONObject
from ..timefmt import format_datetime

__all__ = [
    "AuditAction",
    "AuditEvent",
    "CredentialRecord",
    "CredentialState",
    "StatusDialect",
    "StatusIndex",
    "StatusPurpose",
]


class CredentialState(StrEnum):
    """Where a credential stands. ``revoked`` is final; ``suspended`` can be reinstated."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class StatusPurpose(StrEnum):
    """The purposes of the Bitstring Status Lists we publish (one list per purpose)."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class StatusDialect(StrEnum):
    """How a credential says where its status is published. OB 3.0 allows one ``credentialStatus``, so one each."""

    REVOCATION_LIST = "1edtech"
    """1EdTech Revocation List: a ``1EdTechRevocationList`` entry naming ``<baseUrl>status/revocations.json``.
    Revocation and suspension (a suspended credential is listed until it is reinstated)."""
    BITSTRING = "bitstring"
    """W3C Bitstring Status List: a ``BitstringStatusListEntry`` with ``statusPurpose`` revocation (the purpose the
    1EdTech validator accepts). Revocation only: such a credential cannot be suspended."""
    NONE = "none"
    """No ``credentialStatus``: revocation is recorded in the registry only, and verifiers cannot see it."""


class AuditAction(StrEnum):
    ISSUE = "issue"
    REVOKE = "revoke"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusIndex:
    """A position allocated to a credential in one of its issuer's Bitstring Status Lists."""

    list_name: str
    purpose: StatusPurpose
    index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialRecord:
    """One issued credential as the registry keeps it.

    ``recipient_hash`` is an HMAC-SHA256 of the normalised email (or DID) under the registry's own secret, so the
    registry can find a recipient's credentials without keeping the address; ``recipient_email`` is set only when
    the issuer opted in. ``status_method`` says how its status is published (one ``credentialStatus``, as OB 3.0
    allows) and ``status_indexes`` where it sits in a Bitstring Status List. ``document`` is the signed credential
    exactly as issued (pretty JSON or the compact JWT).
    """

    id: str
    issuer_id: str
    issuer_did: str
    achievement_id: str
    recipient_hash: str
    recipient_email: str | None
    format: str
    issued_at: datetime
    valid_until: datetime | None
    state: CredentialState
    state_reason: str | None
    state_changed_at: datetime | None
    natural_key: str | None
    locale: str | None
    status_method: StatusDialect
    status_indexes: tuple[StatusIndex, ...]
    document: str

    @property
    def credential(self) -> JSONObject:
        """The credential as JSON: the document itself (ob3-di) or the JWT's payload (ob3-jwt)."""
        if self.format == "ob3-jwt":
            try:
                payload = self.document.strip().split(".")[1]
                data: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            except (IndexError, ValueError, binascii.Error):
                raise StoreError(f"the stored JWT of credential {self.id} is damaged") from None
        else:
            try:
                data = json.loads(self.document)
            except ValueError:
                raise StoreError(f"the stored document of credential {self.id} is damaged") from None
        if not isinstance(data, dict):
            raise StoreError(f"the stored document of credential {self.id} is not a JSON object")
        return data

    @property
    def suffix(self) -> str:
        return ".jwt" if self.format == "ob3-jwt" else ".json"

    def to_json(self, *, include_document: bool = False) -> JSONObject:
        """A JSON-ready summary (the ``--json`` shape of ``badge list``)."""
        out: JSONObject = {
            "id": self.id,
            "issuer": self.issuer_id,
            "issuerDid": self.issuer_did,
            "achievement": self.achievement_id,
            "recipientHash": self.recipient_hash,
            "recipientEmail": self.recipient_email,
            "format": self.format,
            "issuedAt": _iso(self.issued_at),
            "validUntil": _iso(self.valid_until),
            "state": self.state.value,
            "stateReason": self.state_reason,
            "stateChangedAt": _iso(self.state_changed_at),
            "locale": self.locale,
            "statusMethod": self.status_method.value,
            "statusIndexes": [
                {"list": s.list_name, "purpose": s.purpose.value, "index": s.index} for s in self.status_indexes
            ],
        }
        if include_document:
            out["document"] = self.document
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """One line of the append-only audit log."""

    seq: int
    credential_id: str
    action: AuditAction
    actor: str
    at: datetime
    reason: str | None

    def to_json(self) -> JSONObject:
        return {
            "seq": self.seq,
            "credential": self.credential_id,
            "action": self.action.value,
            "actor": self.actor,
            "at": _iso(self.at),
            "reason": self.reason,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)
