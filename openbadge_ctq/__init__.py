"""openbadge_ctq: issue and verify education micro-credentials as Open Badges 2.0 and 3.0.

The curated public API. Everything else is importable from its module but may change between minor versions.
"""

from __future__ import annotations

from .catalog import load_catalog
from .errors import (
    BadgeError,
    CatalogError,
    FetchError,
    InputError,
    JsonLdError,
    KeyMaterialError,
    SchemaError,
    StoreError,
    UnsupportedError,
    VerificationFailed,
)
from .identity import Recipient
from .interfaces import OFFLINE, Fetched, Fetcher, MapFetcher
from .issue import Issued, SigningKey, issue_credential, issue_endorsement, issuer_identity
from .issue_ob2 import IssuedOB2, issue_ob2, migrate_ob2_to_ob3, revoke_ob2
from .model import Catalog
from .ob3 import Evidence
from .verify import CHECK_IDS, Check, Status, VerificationReport, verify

__version__ = "0.1.0"

__all__ = [
    "BadgeError",
    "CHECK_IDS",
    "Catalog",
    "CatalogError",
    "Check",
    "Evidence",
    "FetchError",
    "Fetched",
    "Fetcher",
    "InputError",
    "Issued",
    "IssuedOB2",
    "JsonLdError",
    "KeyMaterialError",
    "MapFetcher",
    "OFFLINE",
    "Recipient",
    "SchemaError",
    "SigningKey",
    "Status",
    "StoreError",
    "UnsupportedError",
    "VerificationFailed",
    "VerificationReport",
    "__version__",
    "issue_credential",
    "issue_endorsement",
    "issue_ob2",
    "issuer_identity",
    "load_catalog",
    "migrate_ob2_to_ob3",
    "revoke_ob2",
    "verify",
]
