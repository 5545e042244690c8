"""Fetch URLs: the only module of openbadge_ctq that touches the network.

* :class:`HttpFetcher` fetches ``https://`` URLs (``http://`` only when allowed) with the standard library.
  It refuses private, loopback and link-local addresses (SSRF protection), checks every address a name
  resolves to and then connects to exactly the address it checked (so DNS rebinding cannot swap it),
  enforces a per-read timeout, a wall-clock deadline for the whole fetch, a size cap and a redirect cap, and
  caches answers per instance. Every failure is a :class:`~openbadge_ctq.errors.FetchError` with a one-line
  message.
* :class:`UrlMapFetcher` serves URLs under a prefix from the caller's own saved copy (a file or a folder);
  the answers are ``trusted`` like bundled data. ``--url-map PREFIX=PATH`` on the command line.
* :func:`make_fetcher` builds what the CLI passes to the library: saved copies first, then the network (or
  :data:`~openbadge_ctq.interfaces.OFFLINE`).

Why the standard library and not httpx: see ``docs/decisions/0003-fetching.md``.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import logging
import socket
import ssl
import string
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self, cast
from urllib.parse import quote, unquote, urljoin, urlsplit

from .errors import FetchError, InputError
from .interfaces import OFFLINE, ChainFetcher, Fetched, Fetcher

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "DEFAULT_CACHE_ENTRIES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "HttpFetcher",
    "Resolver",
    "UrlMapFetcher",
    "make_fetcher",
    "parse_url_map",
]

_log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
"""Seconds allowed for connecting and for each read from the socket."""
DEFAULT_TOTAL_TIMEOUT = 20.0
"""Seconds allowed for a whole fetch, redirects and slow bodies included (a wall-clock deadline)."""
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
"""Largest body accepted, in bytes (on the wire and after gzip decoding)."""
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_CACHE_ENTRIES = 256
DEFAULT_USER_AGENT = "openbadge_ctq/0.1 (Open Badges verifier)"

Resolver = Callable[[str, int], Sequence[str]]
"""``resolver(host, port) -> IP address strings``; raises ``OSError`` when the name does not resolve."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_MAX_URL_LENGTH = 8192
_CACHE_MAX_TOTAL_BYTES = 64 * 1024 * 1024
_SAFE_URL_CHARS = string.punctuation  # every printable ASCII character except letters, digits and space
_PRIVATE_HINT = (
    "private, loopback and link-local addresses are never fetched (SSRF protection); "
    "serve a saved copy with --url-map PREFIX=PATH"
)


# ----------------------------------------------------------------------------------------------------------
# Address policy


_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10",
        "fec0::/10", "ff00::/8",
    )
)  # fmt: skip


def _forbidden_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``ip`` must not be fetched from (``"loopback"``, ``"link-local"``...), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d
            return _forbidden_reason(ip.ipv4_mapped)
        if ip in _NAT64:  # 64:ff9b::a.b.c.d (DNS64 on IPv6-only networks) is a.b.c.d
            return _forbidden_reason(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:  # 2002:AABB:CCDD::/48 embeds A.B.C.D
            reason = _forbidden_reason(ip.sixtofour)
            if reason is not None:
                return reason
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "shared address space 100.64.0.0/10"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private network"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    blocked = _BLOCKED_V4 if isinstance(ip, ipaddress.IPv4Address) else _BLOCKED_V6
    if any(ip in net for net in blocked) or not ip.is_global:
        return "not globally routable"
    return None


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]


def _create_connection(address: tuple[str, int], timeout: float) -> socket.socket:
    """Open a TCP connection to an already validated IP address (a seam for tests)."""
    return socket.create_connection(address, timeout=timeout)


# ----------------------------------------------------------------------------------------------------------
# Small helpers


def _show(text: str, limit: int = 200) -> str:
    """``text`` safe for a one-line message: control characters escaped, long values shortened."""
    cleaned = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _is_header_value(value: str) -> bool:
    return all(" " <= c <= "~" for c in value)


class _Failure(Exception):
    """Internal: what went wrong; :meth:`HttpFetcher.fetch` turns it into a FetchError naming the URL."""

    def __init__(self, what: str, hint: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.hint = hint


class _TooLarge(Exception):
    pass


class _Clock:
    """The per-read timeout and the wall-clock deadline of one fetch."""

    def __init__(self, timeout: float, total: float) -> None:
        self.timeout = timeout
        self.total = total
        self.deadline = time.monotonic() + total
        self.total_bound = False

    def socket_timeout(self) -> float:
        """Seconds the next socket operation may take; raises TimeoutError once the deadline has passed."""
        remaining = self.deadline - time.monotonic()
        self.total_bound = remaining <= self.timeout
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        return min(remaining, self.timeout)

    def message(self) -> str:
        if self.total_bound:
            return f"timed out after {self.total:g} s"
        return f"timed out after {self.timeout:g} s waiting for the server"


class _DeadlineReader(io.RawIOBase):
    """Reads a socket, giving every ``recv`` only what is left of the per-read timeout and the deadline."""

    def __init__(self, sock: socket.socket, clock: _Clock) -> None:
        super().__init__()
        self._sock = sock
        self._clock = clock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        self._sock.settimeout(self._clock.socket_timeout())
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What :class:`http.client.HTTPResponse` needs of a socket: ``makefile("rb")``, under the deadline."""

    def __init__(self, sock: socket.socket, clock: _Clock) -> None:
        self._sock = sock
        self._clock = clock

    def makefile(self, mode: str) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError(f"unsupported mode {mode!r}")
        return io.BufferedReader(_DeadlineReader(self._sock, self._clock))


class _Inflater:
    """Bounded gzip/zlib decoding: never produces more than ``limit`` bytes, whatever the ratio."""

    def __init__(self, limit: int) -> None:
        self._inflate = zlib.decompressobj(wbits=32 + zlib.MAX_WBITS)  # gzip or zlib header, detected
        self._limit = limit
        self._size = 0

    def feed(self, data: bytes) -> bytes:
        if self._inflate.eof:
            return b""
        out = self._inflate.decompress(data, self._limit - self._size + 1)
        self._size += len(out)
        if self._size > self._limit:
            raise _TooLarge
        return out

    def finish(self) -> None:
        if not self._inflate.eof:
            raise _Failure("the gzip-encoded body is truncated")


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, without brackets
    port: int
    ip_literal: bool
    request_target: str
    url: str  # without fragment
    fragment: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    location: str | None = None
    content_type: str = ""
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class _Outcome:
    """A cached result: the Fetched, or the FetchError's message and hint."""

    fetched: Fetched | None
    message: str = ""
    hint: str | None = None

    @property
    def size(self) -> int:
        return len(self.fetched.body) if self.fetched is not None else len(self.message)


# ----------------------------------------------------------------------------------------------------------
# HttpFetcher


class HttpFetcher:
    """Fetch URLs over HTTPS with SSRF protection, timeouts, size and redirect caps, and a per-instance cache.

    Create one per verification run and close it (or use it as a context manager). Each ``(url, accept)`` pair
    is fetched at most once per instance; failures are remembered too, so a slow host costs its timeout once.

    Args:
        allow_http: also fetch plain ``http://`` URLs (never after a redirect from https).
        allow_private: allow loopback, private, link-local, CGNAT, multicast and reserved addresses. For tests
            and trusted intranets only.
        timeout: seconds for connecting and for each socket read.
        total_timeout: wall-clock seconds for the whole fetch, redirects and slow bodies included.
        max_bytes: largest body accepted (a larger Content-Length is refused before reading).
        max_redirects: redirects followed per fetch (301, 302, 303, 307, 308); each target is checked again.
        user_agent: the ``User-Agent`` header.
        resolver: ``resolver(host, port) -> [ip, ...]``; default: the system resolver (``getaddrinfo``).
        ssl_context: TLS settings; default: :func:`ssl.create_default_context` (system CAs, TLS 1.2+).
        cache_entries: most answers kept (least recently used are dropped first).

    Example:
        >>> with HttpFetcher() as fetcher:  # doctest: +SKIP
        ...     doc = fetcher.fetch("https://example.org/issuer.json")
    """

    def __init__(
        self,
        *,
        allow_http: bool = False,
        allow_private: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        user_agent: str = DEFAULT_USER_AGENT,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        cache_entries: int = DEFAULT_CACHE_ENTRIES,
    ) -> None:
        if not timeout > 0 or not total_timeout > 0:
            raise ValueError("timeout and total_timeout must be positive numbers of seconds")
        if max_bytes < 0 or max_redirects < 0 or cache_entries < 0:
            raise ValueError("max_bytes, max_redirects and cache_entries must not be negative")
        if not user_agent or not _is_header_value(user_agent):
            raise ValueError("user_agent must be non-empty printable ASCII")
        self.allow_http = allow_http
        self.allow_private = allow_private
        self.timeout = float(timeout)
        self.total_timeout = float(total_timeout)
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._resolver: Resolver = resolver or _system_resolver
        self._ssl_context = ssl_context
        self._cache_entries = cache_entries
        self._cache: OrderedDict[tuple[str, str], _Outcome] = OrderedDict()
        self._cache_bytes = 0
        self._lock = threading.Lock()
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Forget cached answers; later fetches raise FetchError. (Connections are never kept open.)"""
        with self._lock:
            self._closed = True
            self._cache.clear()
            self._cache_bytes = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the Fetcher protocol --------------------------------------------------------------------------------

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        """Fetch ``url`` (following redirects) and return its body; ``trusted`` is always False.

        Any 2xx answer, and 410 Gone (``status=410``: OB 2.0 hosted assertions are revoked that way), is
        returned as it is: the fetcher does not judge content types or bodies.

        Raises:
            FetchError: ``trusted_only`` (never uses the network), an invalid or refused URL (not https, a
                private address), a name that does not resolve, a connection or TLS failure, a timeout, a
                body larger than ``max_bytes``, too many redirects or an https→http redirect, any other
                HTTP status.
        """
        if trusted_only:
            raise FetchError(
                f"{_show(url)} is not a saved copy; trusted_only requests never use the network",
                url=url,
                hint="serve a saved copy with --url-map PREFIX=PATH",
            )
        key = (url, accept)
        with self._lock:
            if self._closed:
                raise FetchError(f"could not fetch {_show(url)}: this HttpFetcher is closed", url=url)
            outcome = self._cache.get(key)
            if outcome is not None:
                self._cache.move_to_end(key)
        if outcome is None:
            try:
                outcome = _Outcome(self._fetch_uncached(url, accept))
            except _Failure as failure:
                outcome = _Outcome(None, f"could not fetch {_show(url)}: {failure.what}", failure.hint)
                _log.debug("%s", outcome.message)
                self._remember(key, outcome)
                raise FetchError(outcome.message, url=url, hint=outcome.hint) from failure.__cause__
            self._remember(key, outcome)
        if outcome.fetched is None:
            raise FetchError(outcome.message, url=url, hint=outcome.hint)
        return outcome.fetched

    # -- internals -------------------------------------------------------------------------------------------

    def _remember(self, key: tuple[str, str], outcome: _Outcome) -> None:
        with self._lock:
            if self._closed or self._cache_entries == 0 or outcome.size > _CACHE_MAX_TOTAL_BYTES:
                return
            old = self._cache.pop(key, None)
            if old is not None:
                self._cache_bytes -= old.size
            self._cache[key] = outcome
            self._cache_bytes += outcome.size
            while len(self._cache) > self._cache_entries or self._cache_bytes > _CACHE_MAX_TOTAL_BYTES:
                _, dropped = self._cache.popitem(last=False)
                self._cache_bytes -= dropped.size

    def _fetch_uncached(self, url: str, accept: str) -> Fetched:
        if not _is_header_value(accept):
            raise _Failure("the Accept value is not printable ASCII")
        clock = _Clock(self.timeout, self.total_timeout)
        current, previous_scheme = url, ""
        for _ in range(self.max_redirects + 1):
            at = "" if current == url else f" (at {_show(current)})"
            target = self._parse(current, previous_scheme, at)
            addresses = self._addresses(target, at)
            answer = self._hop(target, addresses, accept, clock, at)
            _log.debug("GET %s -> HTTP %d", target.url, answer.status)
            if answer.status in _REDIRECTS:
                if answer.location is None:
                    raise _Failure(f"HTTP {answer.status} redirect without a Location header{at}")
                current = self._follow(target, answer.location)
                previous_scheme = target.scheme
                continue
            if 200 <= answer.status < 300 or answer.status == 410:
                body, content_type = answer.body, answer.content_type
                return Fetched(url=current, body=body, content_type=content_type, status=answer.status)
            phrase = _phrase(answer.status)
            raise _Failure(f"HTTP {answer.status}{' ' + phrase if phrase else ''}{at}")
        raise _Failure(f"too many redirects (more than {self.max_redirects})")

    @staticmethod
    def _follow(target: _Target, location: str) -> str:
        location = location.strip()
        try:
            following = urljoin(target.url, location)
        except ValueError:
            raise _Failure(f"redirect to an invalid URL {_show(location)}") from None
        if "#" not in location and target.fragment:
            following += "#" + target.fragment  # RFC 9110 §10.2.2: the fragment carries over
        return following

    def _parse(self, url: str, previous_scheme: str, at: str) -> _Target:
        """Check the URL's syntax and scheme; nothing is resolved or connected yet."""

        def invalid(why: str) -> _Failure:
            return _Failure(f"invalid URL ({why}){at}")

        if len(url) > _MAX_URL_LENGTH:
            raise invalid(f"longer than {_MAX_URL_LENGTH} characters")
        if any(c <= " " or c == "\x7f" for c in url):
            raise invalid("contains whitespace or control characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise invalid(str(exc)) from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise invalid(f"scheme {scheme!r} is not fetched; expected https" if scheme else "not absolute")
        if previous_scheme == "https" and scheme == "http":
            raise _Failure(f"redirect from https to http refused ({_show(url)})")
        if scheme == "http" and not self.allow_http:
            raise _Failure(
                f"plain http is refused, only https is fetched{at}",
                hint="use the https URL, or allow plain http with --allow-http",
            )
        if parts.username is not None or parts.password is not None:
            raise invalid("user information in URLs is refused")
        host = parts.hostname or ""
        if not host:
            raise invalid("no host")
        try:
            ipaddress.ip_address(host)
            ip_literal = True
        except ValueError:
            ip_literal = False
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise invalid(f"host name {_show(host)} is not valid") from None
        if port == 0:
            raise invalid("port 0")
        path = parts.path or "/"
        request_target = quote(path + (f"?{parts.query}" if parts.query else ""), safe=_SAFE_URL_CHARS)
        return _Target(
            scheme=scheme,
            host=host,
            port=port or (443 if scheme == "https" else 80),
            ip_literal=ip_literal,
            request_target=request_target,
            url=url.split("#", 1)[0],
            fragment=parts.fragment,
        )

    def _addresses(self, target: _Target, at: str) -> list[str]:
        """Resolve the host and check EVERY address it resolves to (before any connection)."""
        if target.ip_literal:
            names: Sequence[str] = [target.host]
        else:
            try:
                names = self._resolver(target.host, target.port)
            except (OSError, UnicodeError) as exc:
                raise _Failure(f"name {target.host} does not resolve{at}") from exc
        addresses: list[str] = []
        for name in names:
            try:
                ip = ipaddress.ip_address(name)
            except ValueError:
                what = f"name {target.host} resolves to an invalid address {_show(name)}"
                raise _Failure(what + at) from None
            if not self.allow_private:
                reason = _forbidden_reason(ip)
                if reason is not None:
                    raise _Failure(f"refused private address {ip} ({reason}){at}", hint=_PRIVATE_HINT)
            if str(ip) not in addresses:
                addresses.append(str(ip))
        if not addresses:
            raise _Failure(f"name {target.host} does not resolve{at}")
        return addresses

    def _hop(self, target: _Target, addresses: list[str], accept: str, clock: _Clock, at: str) -> _Answer:
        """One request/response, with every low-level exception turned into a one-line _Failure."""
        try:
            return self._exchange(target, addresses, accept, clock)
        except _Failure as failure:
            raise _Failure(failure.what + at, failure.hint) from failure.__cause__
        except _TooLarge:
            raise _Failure(f"larger than {self.max_bytes} bytes{at}") from None
        except TimeoutError as exc:
            raise _Failure(clock.message() + at) from exc
        except ssl.SSLCertVerificationError as exc:
            why = exc.verify_message or exc.reason or "verification failed"
            raise _Failure(f"TLS certificate error: {_show(str(why))}{at}") from exc
        except ssl.SSLError as exc:
            raise _Failure(f"TLS error: {_show(str(exc.reason or exc))}{at}") from exc
        except http.client.RemoteDisconnected as exc:
            raise _Failure(f"the server closed the connection without answering{at}") from exc
        except http.client.IncompleteRead as exc:
            raise _Failure(f"the connection closed before the whole body arrived{at}") from exc
        except http.client.HTTPException as exc:
            raise _Failure(f"invalid HTTP response ({type(exc).__name__}){at}") from exc
        except ConnectionRefusedError as exc:
            raise _Failure(f"connection refused by {target.host} port {target.port}{at}") from exc
        except OSError as exc:
            raise _Failure(f"network error: {_show(exc.strerror or type(exc).__name__)}{at}") from exc
        except zlib.error as exc:
            raise _Failure(f"invalid gzip-encoded body{at}") from exc
        except ValueError as exc:
            raise _Failure(f"invalid HTTP response ({_show(str(exc))}){at}") from exc

    def _connect(self, target: _Target, addresses: list[str], clock: _Clock) -> socket.socket:
        """Connect to a validated address (pinned: no second name lookup), then TLS by host name."""
        last: OSError | None = None
        for ip in addresses:
            timeout = clock.socket_timeout()
            try:
                sock = _create_connection((ip, target.port), timeout)
            except OSError as exc:
                last = exc
                continue
            if target.scheme != "https":
                return sock
            try:
                sock.settimeout(clock.socket_timeout())
                return self._tls().wrap_socket(sock, server_hostname=target.host)
            except BaseException:
                sock.close()
                raise
        assert last is not None
        raise last

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _exchange(self, target: _Target, addresses: list[str], accept: str, clock: _Clock) -> _Answer:
        request = (
            f"GET {target.request_target} HTTP/1.1\r\n"
            f"Host: {target.host_header}\r\n"
            f"User-Agent: {self.user_agent}\r\n"
            f"Accept: {accept}\r\n"
            "Accept-Encoding: identity\r\n"
            "Connection: close\r\n\r\n"
        ).encode("ascii")
        with self._connect(target, addresses, clock) as sock:
            sock.settimeout(clock.socket_timeout())
            sock.sendall(request)
            reader = cast(socket.socket, _DeadlineSocket(sock, clock))
            response = http.client.HTTPResponse(reader, method="GET")
            try:
                response.begin()
                status = response.status
                if status in _REDIRECTS:
                    return _Answer(status, location=response.getheader("Location"))
                if not (200 <= status < 300 or status == 410):
                    return _Answer(status)
                body = self._read_body(response, clock)
                content_type = (response.getheader("Content-Type") or "").strip()
                return _Answer(status, content_type=content_type, body=body)
            finally:
                response.close()

    def _read_body(self, response: http.client.HTTPResponse, clock: _Clock) -> bytes:
        limit = self.max_bytes
        expected = response.length  # from Content-Length; None when chunked or absent
        if expected is not None and expected > limit:
            raise _Failure(f"larger than {limit} bytes (Content-Length {expected})")
        encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            inflater: _Inflater | None = _Inflater(limit)
        elif encoding == "identity":
            inflater = None
        else:
            raise _Failure(f"unsupported Content-Encoding {_show(encoding)} (identity was requested)")
        parts: list[bytes] = []
        received = 0
        while True:
            clock.socket_timeout()  # raises once the deadline has passed
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            received += len(chunk)
            if received > limit:
                raise _TooLarge
            parts.append(inflater.feed(chunk) if inflater is not None else chunk)
        if expected is not None and received < expected:
            raise _Failure("the connection closed before the whole body arrived")
        if inflater is not None:
            inflater.finish()
        return b"".join(parts)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# ----------------------------------------------------------------------------------------------------------
# Saved copies (--url-map)


_CONTENT_TYPES = {
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".jwt": "text/plain",
    ".jws": "text/plain",
    ".txt": "text/plain",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".htm": "text/html",
}
_URL_MAP_USAGE = "--url-map expects PREFIX=PATH, e.g. https://example.org/=./site"


def parse_url_map(spec: str) -> tuple[str, Path]:
    """Parse the CLI's ``--url-map PREFIX=PATH`` (split at the first ``=``; the prefix is an http(s) URL).

    Raises:
        InputError: no ``=``, an empty side, or a prefix that is not an http(s) URL with a host.
    """
    prefix, sep, path = spec.partition("=")
    prefix, path = prefix.strip(), path.strip()
    if not sep or not prefix or not path:
        raise InputError(_URL_MAP_USAGE)
    try:
        parts = urlsplit(prefix)
    except ValueError:
        raise InputError(f"{_URL_MAP_USAGE} (the prefix {_show(prefix)} is not a URL)") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InputError(f"{_URL_MAP_USAGE} (the prefix {_show(prefix)} is not an http(s) URL)")
    if parts.query or parts.fragment:
        raise InputError(f"{_URL_MAP_USAGE} (the prefix {_show(prefix)} has a query or fragment)")
    return prefix, Path(path).expanduser()


class UrlMapFetcher:
    """Serve URLs under a prefix from the caller's own saved copy; answers are ``trusted=True``.

    * A prefix mapped to a **file** serves exactly that URL.
    * A prefix mapped to a **folder** serves ``prefix + a/b`` from ``folder/a/b``. A URL ending in ``/`` (or
      naming a folder) is served from ``index.json``, then ``index.html`` inside it; a missing ``name`` is
      also tried as ``name.json`` (static sites often drop extensions). A prefix without a trailing ``/``
      matches only at a ``/`` boundary (``https://example.org`` does not match ``https://example.org.evil/``).
    * The longest matching prefix decides. The fragment is ignored; query strings, ``..``, encoded slashes
      that climb out, NUL bytes, backslashes and symlinks leading out of the folder are refused.

    Args:
        mappings: ``(prefix, path)`` pairs, e.g. from :func:`parse_url_map`.
        max_bytes: largest file served.
    """

    def __init__(self, mappings: Sequence[tuple[str, Path]], *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        for prefix, _ in mappings:
            if not prefix:
                raise ValueError("a --url-map prefix must not be empty")
        self._mappings = sorted(((p, Path(path)) for p, path in mappings), key=lambda m: -len(m[0]))
        self.max_bytes = max_bytes

    @property
    def mappings(self) -> tuple[tuple[str, Path], ...]:
        return tuple(self._mappings)

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        """Serve ``url`` from the saved copy (``trusted_only`` makes no difference: these ARE trusted).

        Raises:
            FetchError: the URL is under no prefix, has a query string, escapes the folder, is missing from
                the saved copy, is larger than ``max_bytes`` or cannot be read.
        """
        bare = url.split("#", 1)[0]
        for prefix, root in self._mappings:
            rest = _under(bare, prefix)
            if rest is None:
                continue
            if "?" in rest:
                what = "has a query string; saved copies (--url-map) serve paths only"
                raise FetchError(f"{_show(url)} {what}", url=url)
            if root.is_dir():
                return self._serve(url, self._find_in_folder(url, rest, root))
            if bare != prefix and root.exists():
                continue  # a file mapping serves exactly its own URL
            if not root.is_file():
                raise FetchError(f"{_show(url)} is not found in the saved copy at {root}", url=url)
            return self._serve(url, root)
        raise FetchError(f"{_show(url)} is not under any --url-map prefix", url=url)

    def _find_in_folder(self, url: str, rest: str, root: Path) -> Path:
        try:
            decoded = unquote(rest, errors="strict")
        except UnicodeDecodeError:
            raise FetchError(f"{_show(url)} is refused: its path is not valid UTF-8", url=url) from None
        wants_folder = decoded == "" or decoded.endswith("/")
        segments = decoded.split("/")
        if wants_folder:
            segments = segments[:-1]
        for segment in segments:
            if segment in ("", ".", "..") or "\x00" in segment or "\\" in segment:
                raise FetchError(
                    f"{_show(url)} is refused: its path {_show(decoded)} is not a plain relative path",
                    url=url,
                )
        target = root.joinpath(*segments)
        candidates: list[Path] = []
        if not wants_folder:
            candidates.append(target)
        candidates += [target / "index.json", target / "index.html"]
        if not wants_folder and segments:
            candidates.append(target.with_name(target.name + ".json"))
        real_root = root.resolve()
        for candidate in candidates:
            try:
                real = candidate.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if not real.is_relative_to(real_root):
                what = f"is refused: {candidate} leads outside the saved copy"
                raise FetchError(f"{_show(url)} {what}", url=url)
            if real.is_file():
                return real
        raise FetchError(f"{_show(url)} is not found in the saved copy at {target}", url=url)

    def _serve(self, url: str, path: Path) -> Fetched:
        try:
            if path.stat().st_size > self.max_bytes:
                raise self._too_large(url, path)
            with path.open("rb") as handle:
                body = handle.read(self.max_bytes + 1)
        except OSError as exc:
            raise FetchError(
                f"{_show(url)}: the saved copy {path} cannot be read ({exc.strerror or type(exc).__name__})",
                url=url,
            ) from exc
        if len(body) > self.max_bytes:
            raise self._too_large(url, path)
        content_type = _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return Fetched(url=url, body=body, content_type=content_type, status=200, trusted=True)

    def _too_large(self, url: str, path: Path) -> FetchError:
        what = f"the saved copy {path} is larger than {self.max_bytes} bytes"
        return FetchError(f"{_show(url)}: {what}", url=url)


def _under(url: str, prefix: str) -> str | None:
    """The part of ``url`` after ``prefix`` (no leading ``/``), or None when ``url`` is not under it."""
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    if prefix.endswith("/") or rest == "":
        return rest
    if rest.startswith("/"):
        return rest[1:]
    if rest.startswith("?"):
        return rest
    return None


# ----------------------------------------------------------------------------------------------------------
# The CLI's one call


def make_fetcher(
    *,
    offline: bool,
    url_maps: Sequence[tuple[str, Path]] = (),
    allow_http: bool = False,
    allow_private: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    user_agent: str = DEFAULT_USER_AGENT,
) -> Fetcher:
    """Saved copies first (``url_maps``), then the network — or :data:`OFFLINE` when ``offline``.

    Returns the bare :class:`HttpFetcher` or :data:`OFFLINE` when there are no url maps, else a
    :class:`~openbadge_ctq.interfaces.ChainFetcher` of a :class:`UrlMapFetcher` and that.
    """
    network: Fetcher = (
        OFFLINE
        if offline
        else HttpFetcher(
            allow_http=allow_http,
            allow_private=allow_private,
            timeout=timeout,
            total_timeout=total_timeout,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            user_agent=user_agent,
        )
    )
    if not url_maps:
        return network
    return ChainFetcher((UrlMapFetcher(url_maps, max_bytes=max_bytes), network))
