"""The error tree of openbadge_ctq.

Every error the library raises on purpose is a :class:`BadgeError`. Each class has a stable ``code`` (public API,
listed in ``docs/errors.md``), a one-sentence ``message`` that names the thing and says what was expected and what
was found, and an optional ``hint`` that says what to run next.

::

    BadgeError
    ├── CatalogError          catalog or issuer profile data is wrong       (also ValueError)
    ├── SchemaError           a document does not match a JSON Schema       (also ValueError)
    ├── InputError            an argument or input file is malformed        (also ValueError)
    │   └── BakeError         a badge image cannot be baked or unbaked
    ├── KeyMaterialError      a key is missing, of the wrong type, or cannot be decrypted
    ├── UnsupportedError      a suite, algorithm, DID method or version we do not handle
    ├── JsonLdError           JSON-LD processing failed (undefined term, refused context, ...)
    ├── FetchError            a URL could not be fetched (refused, timeout, too large, not https)
    ├── StoreError            the badge home could not be read or written
    └── VerificationFailed    raised only by ``VerificationReport.raise_for_status()``

Verification itself never raises for a bad badge: every problem becomes a check in the report.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BadgeError",
    "BakeError",
    "CatalogError",
    "FetchError",
    "InputError",
    "JsonLdError",
    "KeyMaterialError",
    "SchemaError",
    "StoreError",
    "UnsupportedError",
    "VerificationFailed",
]


class BadgeError(Exception):
    """Base class of every error openbadge_ctq raises on purpose."""

    code: ClassVar[str] = "badge_error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class CatalogError(BadgeError, ValueError):
    """Catalog or issuer-profile data is wrong. Carries the file and JSON pointer."""

    code = "catalog_error"

    def __init__(self, message: str, *, file: str = "", pointer: str = "", hint: str | None = None) -> None:
        where = f"{file}{'#' + pointer if pointer else ''}"
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.file = file
        self.pointer = pointer


class SchemaError(BadgeError, ValueError):
    """A document does not match a JSON Schema. ``problems`` lists ``(pointer, text)`` pairs."""

    code = "schema_error"

    def __init__(self, message: str, *, problems: list[tuple[str, str]] | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


class InputError(BadgeError, ValueError):
    """An argument or input file is malformed (bad date, bad email, unreadable file...)."""

    code = "input_error"


class BakeError(InputError):
    """A badge image cannot be baked or unbaked: not PNG/SVG, corrupt, unsafe art, or no baked credential."""

    code = "bake_error"


class KeyMaterialError(BadgeError):
    """A key is missing, has the wrong type, or cannot be decrypted."""

    code = "key_error"


class UnsupportedError(BadgeError):
    """A proof suite, algorithm, DID method or format version that is not handled."""

    code = "unsupported"


class JsonLdError(BadgeError):
    """JSON-LD processing failed: an undefined term (safe mode), a refused context, invalid JSON-LD."""

    code = "jsonld_error"

    def __init__(self, message: str, *, term: str = "", pointer: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.term = term
        self.pointer = pointer


class FetchError(BadgeError):
    """A URL could not be fetched: refused (offline, private address, not https), timeout, too large, bad status.

    ``offline`` is True only when nothing was fetched because the caller chose not to use the network (the
    ``OFFLINE`` fetcher, or a saved-copy map without the URL). Verifiers warn instead of failing for those; they
    must never decide that from the message, which can carry text a server chose (a redirect target, a header).
    """

    code = "fetch_error"

    def __init__(self, message: str, *, url: str = "", hint: str | None = None, offline: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.offline = offline


class StoreError(BadgeError):
    """The badge home (keys, issued credentials) could not be read or written."""

    code = "store_error"


class VerificationFailed(BadgeError):
    """Raised by ``VerificationReport.raise_for_status()`` when a credential did not verify."""

    code = "verification_failed"

    def __init__(self, message: str, *, report: Any, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.report = report
