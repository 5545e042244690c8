"""The issuance registry: record every issued credential, allocate status-list indexes, revoke/suspend/reinstate,
publish status, and issue in bulk.

Python API for other platforms::

    from openbadge_ctq.registry import Registry, issue_many, parse_roster

    with Registry("postgresql://badges@db.internal/badges") as registry:
        issuance = registry.issue(catalog, "riverbend-family-reading-nights", Recipient(email="sam@example.org"),
                                  key, now=now, actor="registrar@riverbend.example")
        registry.revoke(issuance.record.id, reason="Issued in error", actor="registrar", now=now)

This package imports SQLAlchemy (and Alembic when migrating); ``import openbadge_ctq`` does not.
"""

from __future__ import annotations

from .bulk import (
    CSV_COLUMNS,
    REQUIRED_COLUMNS,
    Roster,
    RosterRow,
    RowOutcome,
    RowResult,
    issue_many,
    parse_roster,
    read_roster,
)
from .db import DEFAULT_STATUS, Issuance, Registry
from .models import (
    AuditAction,
    AuditEvent,
    CredentialRecord,
    CredentialState,
    StatusDialect,
    StatusIndex,
    StatusPurpose,
)
from .schema import REGISTRY_FILE, default_url
from .status_alloc import StatusSnapshot

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_STATUS",
    "REGISTRY_FILE",
    "REQUIRED_COLUMNS",
    "AuditAction",
    "AuditEvent",
    "CredentialRecord",
    "CredentialState",
    "Issuance",
    "Registry",
    "Roster",
    "RosterRow",
    "RowOutcome",
    "RowResult",
    "StatusDialect",
    "StatusIndex",
    "StatusPurpose",
    "StatusSnapshot",
    "default_url",
    "issue_many",
    "parse_roster",
    "read_roster",
]
