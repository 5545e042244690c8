"""Protocols the core depends on, JSON type aliases, and the two fetchers that do no I/O.

Everything that verifies takes a :class:`Fetcher`. The library default is :data:`OFFLINE`, which fetches nothing.
The network fetcher (``openbadge_ctq.fetch.HttpFetcher``) lives at the edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .errors import FetchError

__all__ = ["OFFLINE", "ChainFetcher", "Fetched", "Fetcher", "JSONObject", "MapFetcher", "OfflineFetcher"]

JSONObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched resource: its final URL, HTTP status, content type and body."""

    url: str
    body: bytes
    content_type: str = ""
    status: int = 200
    trusted: bool = False
    """True when the body comes from the caller's own copy (``--url-map``), trusted like bundled data."""


@runtime_checkable
class Fetcher(Protocol):
    """Fetches a URL. Raises :class:`~openbadge_ctq.errors.FetchError` when it cannot."""

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        """Fetch ``url``. With ``trusted_only`` serve only the caller's own saved copies (never the network)."""
        ...


class OfflineFetcher:
    """Fetches nothing: every URL raises FetchError with a hint on how to allow fetching."""

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        raise FetchError(
            f"{url} is not available offline",
            url=url,
            hint="serve it from a saved copy with --url-map PREFIX=PATH, or allow the network",
            offline=True,
        )


OFFLINE = OfflineFetcher()


@dataclass(frozen=True)
class MapFetcher:
    """Serves URLs from an in-memory mapping of URL → bytes. Offline; for tests and saved copies."""

    docs: Mapping[str, bytes] = field(default_factory=dict)
    content_types: Mapping[str, str] = field(default_factory=dict)

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        body = self.docs.get(url)
        if body is None:
            return OFFLINE.fetch(url)
        return Fetched(url=url, body=body, content_type=self.content_types.get(url, ""), trusted=True)


@dataclass(frozen=True)
class ChainFetcher:
    """Tries each fetcher in turn; the first that serves the URL wins (e.g. saved copies, then the network)."""

    fetchers: tuple[Fetcher, ...]

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        last: FetchError | None = None
        for fetcher in self.fetchers:
            try:
                return fetcher.fetch(url, accept=accept, trusted_only=trusted_only)
            except FetchError as exc:
                last = exc
        if last is None:
            return OFFLINE.fetch(url)
        raise last
