"""openbadge_ctq.fetch: HttpFetcher against hostile loopback servers, the SSRF policy, url maps, make_fetcher.

Sockets stay blocked by pytest-socket except in tests marked ``loopback`` (connections to 127.0.0.1 only).
Tests that must not connect at all run with sockets blocked and the connection seam replaced by a recorder.
"""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from openbadge_ctq import fetch as fetch_module
from openbadge_ctq.errors import FetchError, InputError
from openbadge_ctq.fetch import HttpFetcher, UrlMapFetcher, make_fetcher, parse_url_map
from openbadge_ctq.interfaces import OFFLINE, ChainFetcher, Fetched

pytestmark = pytest.mark.timeout(30)
loopback = pytest.mark.allow_hosts(["127.0.0.1"])

PUBLIC_IP = "93.184.216.34"  # a global address; never contacted (the connection seam maps it to 127.0.0.1)

Route = Callable[["_Handler"], None]


# ----------------------------------------------------------------------------------------------------------
# Hostile loopback servers


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.routes: dict[str, Route] = dict(_ROUTES)
        self.hits: Counter[str] = Counter()
        self.seen_headers: list[dict[str, str]] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up on purpose are expected here: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.hits[path] += 1
            self.server.seen_headers.append(dict(self.headers.items()))
        route = self.server.routes.get(path)
        try:
            if route is None:
                _reply(404, b"no such route")(self)
            else:
                route(self)
        except OSError:
            pass  # the fetcher hung up (too large, timeout): that is the point

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _reply(
    status: int,
    body: bytes = b"",
    content_type: str = "application/json",
    headers: Sequence[tuple[str, str]] = (),
) -> Route:
    def route(h: _Handler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    return route


def _redirect(status: int, location: str | Callable[[_Handler], str]) -> Route:
    def route(h: _Handler) -> None:
        target = location(h) if callable(location) else location
        _reply(status, b"", "text/plain", [("Location", target)])(h)

    return route


def _drip_body(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "100000")
    h.end_headers()
    while not h.server.stop.is_set():
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.5)


def _drip_headers(h: _Handler) -> None:
    h.wfile.write(b"HTTP/1.0 200 OK\r\nX-Drip: ")
    while not h.server.stop.is_set():
        h.wfile.write(b"a")
        h.wfile.flush()
        time.sleep(0.5)


def _stall(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "10")
    h.end_headers()
    h.wfile.flush()
    h.server.stop.wait(10)


_FIFTY_MB = 50 * 1024 * 1024


def _huge_declared(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(_FIFTY_MB))
    h.end_headers()
    _pour(h)


def _huge_undeclared(h: _Handler) -> None:
    h.send_response(200)
    h.end_headers()  # no Content-Length: the body ends when the connection closes
    _pour(h)


def _huge_chunked(h: _Handler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    block = b"y" * 65536
    sent = 0
    while sent < _FIFTY_MB and not h.server.stop.is_set():
        h.wfile.write(b"10000\r\n" + block + b"\r\n")
        sent += len(block)
    h.wfile.write(b"0\r\n\r\n")


def _pour(h: _Handler) -> None:
    block = b"\0" * 65536
    sent = 0
    while sent < _FIFTY_MB and not h.server.stop.is_set():
        h.wfile.write(block)
        sent += len(block)


def _undeclared(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.end_headers()  # the body ends when the connection closes
    h.wfile.write(b'{"until": "close"}')


def _chunked(h: _Handler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    h.wfile.write(b'3\r\n{"a\r\n5\r\n": 1}\r\n0\r\n\r\n')


def _truncated(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "100")
    h.end_headers()
    h.wfile.write(b"only ten b")


def _garbage(h: _Handler) -> None:
    h.wfile.write(b"this is not HTTP at all\r\n\r\n")


def _hang_up(h: _Handler) -> None:
    h.close_connection = True


def _echo_headers(h: _Handler) -> None:
    _reply(200, json.dumps(dict(h.headers.items())).encode())(h)


def _gzip_bomb(h: _Handler) -> None:
    body = gzip.compress(b"\0" * (20 * 1024 * 1024))
    _reply(200, body, headers=[("Content-Encoding", "gzip")])(h)


_ROUTES: dict[str, Route] = {
    "/ok": _reply(200, b'{"ok": true}', "application/ld+json"),
    "/html": _reply(200, b"<html>not json {", "text/html; charset=utf-8"),
    "/gone": _reply(410, b'{"revoked": true}'),
    "/server-error": _reply(500, b"boom"),
    "/no-content": _reply(204),
    "/echo": _echo_headers,
    "/drip-body": _drip_body,
    "/drip-headers": _drip_headers,
    "/stall": _stall,
    "/huge-declared": _huge_declared,
    "/huge-undeclared": _huge_undeclared,
    "/huge-chunked": _huge_chunked,
    "/undeclared": _undeclared,
    "/chunked": _chunked,
    "/truncated": _truncated,
    "/garbage": _garbage,
    "/hang-up": _hang_up,
    "/gzip": _reply(200, gzip.compress(b'{"zipped": 1}'), headers=[("Content-Encoding", "gzip")]),
    "/gzip-bomb": _gzip_bomb,
    "/brotli": _reply(200, b"\x0b\x02\x80", headers=[("Content-Encoding", "br")]),
    "/loop": _redirect(302, "/loop"),
    "/relative": _redirect(302, "ok"),
    "/no-location": _reply(302),
    "/to-loopback": _redirect(302, lambda h: f"http://127.0.0.1:{h.server.port}/ok"),
    "/to-internal": _redirect(302, lambda h: f"http://internal.test:{h.server.port}/ok"),
    "/to-http": _redirect(302, lambda h: f"http://badge.test:{h.server.port}/ok"),
    **{f"/redirect-{code}": _redirect(code, "/ok") for code in (301, 302, 303, 307, 308)},
}


def _serve(tls: ssl.SSLContext | None = None) -> Iterator[_Server]:
    server = _Server(tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def server() -> Iterator[_Server]:
    yield from _serve()


def _resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


def _open(**options: Any) -> HttpFetcher:
    """A fetcher that may reach the loopback test server."""
    options.setdefault("allow_http", True)
    options.setdefault("allow_private", True)
    return HttpFetcher(**options)


class _ConnectRecorder:
    """Replaces the connection seam: records every attempt, maps PUBLIC_IP to 127.0.0.1, refuses others."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], timeout: float) -> socket.socket:
        self.attempts.append(address)
        host, port = address
        if host == PUBLIC_IP:
            return socket.create_connection(("127.0.0.1", port), timeout=timeout)
        raise AssertionError(f"the fetcher tried to connect to {address}")


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> _ConnectRecorder:
    recorder = _ConnectRecorder()
    monkeypatch.setattr(fetch_module, "_create_connection", recorder)
    return recorder


# ----------------------------------------------------------------------------------------------------------
# Refusals that never touch the network (sockets stay blocked)


def test_trusted_only_never_uses_the_network(connections: _ConnectRecorder) -> None:
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return [PUBLIC_IP]

    with (
        HttpFetcher(resolver=resolve) as fetcher,
        pytest.raises(FetchError) as info,
    ):
        fetcher.fetch("https://example.org/context.json", trusted_only=True)
    assert "is not a saved copy; trusted_only requests never use the network" in info.value.message
    assert info.value.url == "https://example.org/context.json"
    assert calls == [] and connections.attempts == []


def test_plain_http_is_refused_by_default(connections: _ConnectRecorder) -> None:
    with (
        HttpFetcher(resolver=_resolver({"example.org": [PUBLIC_IP]})) as fetcher,
        pytest.raises(FetchError) as info,
    ):
        fetcher.fetch("http://example.org/issuer.json")
    assert "plain http is refused" in info.value.message
    assert info.value.hint is not None and "--allow-http" in info.value.hint
    assert connections.attempts == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("not a url", "whitespace"),
        ("example.org/issuer", "not absolute"),
        ("ftp://example.org/x", "scheme 'ftp'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("https://", "no host"),
        ("https://user:secret@example.org/", "user information"),
        ("https://example.org:99999/", "invalid URL"),
        ("https://[::1/", "invalid URL"),
        ("https://example.org/a\r\nX-Injected: 1", "control characters"),
        ("https://" + "a" * 70 + ".org/", "not valid"),
    ],
)
def test_invalid_urls_are_refused_in_one_line(url: str, why: str, connections: _ConnectRecorder) -> None:
    with HttpFetcher(resolver=_resolver({})) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    message = info.value.message
    assert why in message
    assert "\n" not in message and "\r" not in message
    assert connections.attempts == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private network"),
        ("192.168.1.10", "private network"),
        ("172.16.5.4", "private network"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared address space 100.64.0.0/10"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private network"),
        ("::ffff:169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private network"),
        ("ff02::1", "multicast"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 form of 127.0.0.1
        ("2002:a00:1::1", "private network"),  # 6to4 form of 10.0.0.1
    ],
)
def test_names_resolving_to_private_addresses_are_refused_without_connecting(
    address: str, kind: str, connections: _ConnectRecorder
) -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return [address]

    with HttpFetcher(resolver=resolve) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("https://badges.example.org/issuer.json")
    assert asked == [("badges.example.org", 443)]
    assert connections.attempts == []
    assert f"refused private address {ipaddress.ip_address(address)} ({kind})" in info.value.message
    assert info.value.message.startswith("could not fetch https://badges.example.org/issuer.json: ")
    assert info.value.hint is not None and "SSRF" in info.value.hint


def test_every_resolved_address_is_checked(connections: _ConnectRecorder) -> None:
    with (
        HttpFetcher(resolver=_resolver({"mixed.example.org": [PUBLIC_IP, "127.0.0.1"]})) as fetcher,
        pytest.raises(FetchError, match=r"refused private address 127\.0\.0\.1"),
    ):
        fetcher.fetch("https://mixed.example.org/")
    assert connections.attempts == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://[::1]/x",
        "https://0.0.0.0/",
        "https://[::ffff:7f00:1]/",
        "https://10.1.2.3/",
    ],
)
def test_ip_literals_are_checked_without_resolving(url: str, connections: _ConnectRecorder) -> None:
    def resolve(host: str, port: int) -> list[str]:
        raise AssertionError("IP literals need no resolver")

    with (
        HttpFetcher(resolver=resolve) as fetcher,
        pytest.raises(FetchError, match="refused private address"),
    ):
        fetcher.fetch(url)
    assert connections.attempts == []


@loopback
@pytest.mark.parametrize("host", ["localhost", "2130706433", "0x7f.0.0.1", "0177.0.0.1"])
def test_system_resolver_numeric_and_local_names(host: str, connections: _ConnectRecorder) -> None:
    with HttpFetcher() as fetcher, pytest.raises(FetchError, match="refused private address"):
        fetcher.fetch(f"https://{host}/issuer.json")
    assert connections.attempts == []


def test_names_that_do_not_resolve(connections: _ConnectRecorder) -> None:
    with HttpFetcher(resolver=_resolver({"empty.example.org": []})) as fetcher:
        with pytest.raises(FetchError, match=r"name nowhere\.example\.org does not resolve"):
            fetcher.fetch("https://nowhere.example.org/")
        with pytest.raises(FetchError, match=r"name empty\.example\.org does not resolve"):
            fetcher.fetch("https://empty.example.org/")
    assert connections.attempts == []


def test_closed_fetcher_refuses(connections: _ConnectRecorder) -> None:
    fetcher = HttpFetcher()
    with fetcher:
        pass
    with pytest.raises(FetchError, match="closed"):
        fetcher.fetch("https://example.org/")


def test_constructor_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        HttpFetcher(timeout=0)
    with pytest.raises(ValueError):
        HttpFetcher(max_bytes=-1)
    with pytest.raises(ValueError):
        HttpFetcher(user_agent="evil\r\nX-Injected: 1")


# ----------------------------------------------------------------------------------------------------------
# Against the loopback server


@loopback
def test_name_resolving_to_loopback_is_refused_and_server_is_never_reached(server: _Server) -> None:
    resolver = _resolver({"badge.test": ["127.0.0.1"]})
    with (
        HttpFetcher(allow_http=True, resolver=resolver) as fetcher,
        pytest.raises(FetchError, match=r"refused private address 127\.0\.0\.1 \(loopback\)"),
    ):
        fetcher.fetch(server.url("/ok", host="badge.test"))
    assert sum(server.hits.values()) == 0


@loopback
def test_ok_pins_the_validated_address_and_sends_the_original_host(server: _Server) -> None:
    with _open(resolver=_resolver({"badge.test": ["127.0.0.1"]})) as fetcher:
        got = fetcher.fetch(server.url("/echo", host="badge.test"), accept="application/did+json")
    headers = json.loads(got.body)
    assert headers["Host"] == f"badge.test:{server.port}"
    assert headers["Accept"] == "application/did+json"
    assert headers["Accept-Encoding"] == "identity"
    assert headers["User-Agent"].startswith("openbadge_ctq/")
    assert got.status == 200 and got.trusted is False


@loopback
def test_content_is_returned_as_is(server: _Server) -> None:
    with _open() as fetcher:
        ok = fetcher.fetch(server.url("/ok"))
        html = fetcher.fetch(server.url("/html"))
        empty = fetcher.fetch(server.url("/no-content"))
    assert ok == Fetched(url=server.url("/ok"), body=b'{"ok": true}', content_type="application/ld+json")
    assert html.body == b"<html>not json {" and html.content_type == "text/html; charset=utf-8"
    assert empty.status == 204 and empty.body == b""


@loopback
def test_bodies_without_content_length(server: _Server) -> None:
    with _open() as fetcher:
        assert fetcher.fetch(server.url("/undeclared")).body == b'{"until": "close"}'
        assert fetcher.fetch(server.url("/chunked")).body == b'{"a": 1}'


@loopback
def test_410_gone_is_returned_not_raised(server: _Server) -> None:
    with _open() as fetcher:
        got = fetcher.fetch(server.url("/gone"))
    assert got.status == 410 and got.body == b'{"revoked": true}'


@loopback
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/missing", "HTTP 404 Not Found"),
        ("/server-error", "HTTP 500 Internal Server Error"),
    ],
)
def test_error_statuses_raise(server: _Server, path: str, status: str) -> None:
    with _open() as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(server.url(path))
    assert info.value.message == f"could not fetch {server.url(path)}: {status}"


@loopback
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirects_are_followed(server: _Server, code: int) -> None:
    with _open() as fetcher:
        got = fetcher.fetch(server.url(f"/redirect-{code}") + "#key-1")
    assert got.url == server.url("/ok") + "#key-1"  # the fragment carries over
    assert got.body == b'{"ok": true}'


@loopback
def test_relative_redirect_and_missing_location(server: _Server) -> None:
    with _open() as fetcher:
        assert fetcher.fetch(server.url("/relative")).url == server.url("/ok")
        with pytest.raises(FetchError, match="redirect without a Location header"):
            fetcher.fetch(server.url("/no-location"))


@loopback
def test_redirect_loop_gives_too_many_redirects(server: _Server) -> None:
    with (
        _open(max_redirects=3) as fetcher,
        pytest.raises(FetchError, match=r"too many redirects \(more than 3\)"),
    ):
        fetcher.fetch(server.url("/loop"))
    assert server.hits["/loop"] == 4


@loopback
@pytest.mark.parametrize(
    ("path", "refused"),
    [("/to-loopback", "127.0.0.1 (loopback)"), ("/to-internal", "10.0.0.1 (private network)")],
)
def test_redirect_from_public_name_to_private_address_is_refused(
    server: _Server, connections: _ConnectRecorder, path: str, refused: str
) -> None:
    resolver = _resolver({"public.test": [PUBLIC_IP], "internal.test": ["10.0.0.1"]})
    with HttpFetcher(allow_http=True, resolver=resolver) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(server.url(path, host="public.test"))
    assert f"refused private address {refused}" in info.value.message
    assert "(at http://" in info.value.message
    assert connections.attempts == [(PUBLIC_IP, server.port)]
    assert server.hits[path] == 1 and server.hits["/ok"] == 0


@loopback
def test_slow_drip_body_hits_the_total_deadline(server: _Server) -> None:
    with _open(timeout=1.0, total_timeout=1.5) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 1\.5 s"):
            fetcher.fetch(server.url("/drip-body"))
    assert time.monotonic() - started < 5


@loopback
def test_slow_drip_headers_hit_the_total_deadline(server: _Server) -> None:
    with _open(timeout=1.0, total_timeout=1.5) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 1\.5 s"):
            fetcher.fetch(server.url("/drip-headers"))
    assert time.monotonic() - started < 5


@loopback
def test_silent_server_hits_the_read_timeout(server: _Server) -> None:
    with _open(timeout=0.3, total_timeout=10) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 0\.3 s waiting for the server"):
            fetcher.fetch(server.url("/stall"))
    assert time.monotonic() - started < 3


@loopback
def test_declared_50_mb_body_is_refused_before_reading(server: _Server) -> None:
    with _open() as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"larger than 5242880 bytes \(Content-Length 52428800\)"):
            fetcher.fetch(server.url("/huge-declared"))
    assert time.monotonic() - started < 3


@loopback
@pytest.mark.parametrize("path", ["/huge-undeclared", "/huge-chunked"])
def test_undeclared_50_mb_body_stops_at_the_cap(server: _Server, path: str) -> None:
    with _open(max_bytes=1024 * 1024) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError, match="larger than 1048576 bytes"):
            fetcher.fetch(server.url(path))
    assert time.monotonic() - started < 5


@loopback
def test_gzip_is_decoded_and_bounded(server: _Server) -> None:
    with _open(max_bytes=1024 * 1024) as fetcher:
        assert fetcher.fetch(server.url("/gzip")).body == b'{"zipped": 1}'
        with pytest.raises(FetchError, match="larger than 1048576 bytes"):
            fetcher.fetch(server.url("/gzip-bomb"))
        with pytest.raises(FetchError, match="unsupported Content-Encoding br"):
            fetcher.fetch(server.url("/brotli"))


@loopback
@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("/truncated", "closed before the whole body arrived"),
        ("/garbage", "invalid HTTP response"),
        ("/hang-up", "closed the connection without answering"),
    ],
)
def test_broken_responses(server: _Server, path: str, what: str) -> None:
    with _open() as fetcher, pytest.raises(FetchError, match=what):
        fetcher.fetch(server.url(path))


@loopback
def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        _open() as fetcher,
        pytest.raises(FetchError, match=f"connection refused by 127.0.0.1 port {port}"),
    ):
        fetcher.fetch(f"http://127.0.0.1:{port}/")


@loopback
def test_each_url_is_fetched_once_per_instance(server: _Server) -> None:
    with _open() as fetcher:
        first = fetcher.fetch(server.url("/ok"))
        again = fetcher.fetch(server.url("/ok"))
        for _ in range(2):
            with pytest.raises(FetchError, match="HTTP 404"):
                fetcher.fetch(server.url("/missing"))
        fetcher.fetch(server.url("/ok"), accept="text/html")  # another representation: fetched on its own
    assert first == again
    assert server.hits["/ok"] == 2 and server.hits["/missing"] == 1
    with _open() as other:
        other.fetch(server.url("/ok"))
    assert server.hits["/ok"] == 3


@loopback
def test_cache_is_bounded(server: _Server) -> None:
    with _open(cache_entries=2) as fetcher:
        for path in ("/ok", "/html", "/gone", "/ok"):
            fetcher.fetch(server.url(path))
    assert server.hits["/ok"] == 2


# ----------------------------------------------------------------------------------------------------------
# TLS (a self-signed certificate for badge.test, made with cryptography)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "badge.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("badge.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[_Server]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    yield from _serve(context)


def _trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@loopback
def test_untrusted_certificate_is_a_clean_fetch_error(tls_server: _Server) -> None:
    with (
        _open(resolver=_resolver({"badge.test": ["127.0.0.1"]})) as fetcher,
        pytest.raises(FetchError) as info,
    ):
        fetcher.fetch(tls_server.url("/ok", host="badge.test"))
    assert "TLS certificate error" in info.value.message
    assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)


@loopback
def test_tls_verifies_the_host_name_while_connecting_to_the_pinned_address(
    tls_server: _Server, certificate: tuple[Path, Path]
) -> None:
    resolver = _resolver({"badge.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    with _open(resolver=resolver, ssl_context=_trusting(certificate)) as fetcher:
        got = fetcher.fetch(tls_server.url("/ok", host="badge.test"))
        assert got.body == b'{"ok": true}' and got.url == tls_server.url("/ok", host="badge.test")
        assert fetcher.fetch(tls_server.url("/undeclared", host="badge.test")).body == b'{"until": "close"}'
        assert json.loads(fetcher.fetch(tls_server.url("/echo", host="badge.test")).body)["Host"] == (
            f"badge.test:{tls_server.port}"
        )
        with pytest.raises(FetchError, match="TLS certificate error: Hostname mismatch"):
            fetcher.fetch(tls_server.url("/ok", host="other.test"))


@loopback
def test_https_to_http_redirect_is_refused(tls_server: _Server, certificate: tuple[Path, Path]) -> None:
    resolver = _resolver({"badge.test": ["127.0.0.1"]})
    with (
        _open(resolver=resolver, ssl_context=_trusting(certificate)) as fetcher,
        pytest.raises(FetchError, match="redirect from https to http refused"),
    ):
        fetcher.fetch(tls_server.url("/to-http", host="badge.test"))
    assert tls_server.hits["/ok"] == 0


# ----------------------------------------------------------------------------------------------------------
# UrlMapFetcher and parse_url_map


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "issuers" / "ctq").mkdir(parents=True)
    (root / "issuers" / "ctq" / "index.json").write_text('{"id": "ctq"}')
    (root / "issuers" / "only-html").mkdir()
    (root / "issuers" / "only-html" / "index.html").write_text("<html></html>")
    (root / "profile.json").write_text('{"type": "Profile"}')
    (root / "context.jsonld").write_text('{"@context": {}}')
    (root / "badge.jwt").write_text("eyJ.eyJ.sig")
    (root / "image.png").write_bytes(b"\x89PNG")
    (root / "image.svg").write_text("<svg/>")
    (root / "index.json").write_text('{"root": true}')
    (root / "my file.json").write_text("{}")
    (root / "blob.bin").write_bytes(b"\0")
    return root


def test_url_map_serves_a_folder(site: Path) -> None:
    fetcher = UrlMapFetcher([("https://example.org/", site)])
    got = fetcher.fetch("https://example.org/profile.json#key-1")
    assert got == Fetched(
        url="https://example.org/profile.json#key-1",
        body=b'{"type": "Profile"}',
        content_type="application/json",
        trusted=True,
    )
    assert fetcher.fetch("https://example.org/my%20file.json").body == b"{}"
    assert fetcher.fetch("https://example.org/profile.json", trusted_only=True).trusted is True


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", b'{"root": true}'),
        ("issuers/ctq/", b'{"id": "ctq"}'),
        ("issuers/ctq", b'{"id": "ctq"}'),
        ("issuers/only-html/", b"<html></html>"),
        ("profile", b'{"type": "Profile"}'),  # .json appended when the exact file does not exist
    ],
)
def test_url_map_index_files_and_json_fallback(site: Path, path: str, body: bytes) -> None:
    fetcher = UrlMapFetcher([("https://example.org/", site)])
    assert fetcher.fetch(f"https://example.org/{path}").body == body


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("context.jsonld", "application/ld+json"),
        ("badge.jwt", "text/plain"),
        ("image.png", "image/png"),
        ("image.svg", "image/svg+xml"),
        ("issuers/only-html/", "text/html"),
        ("blob.bin", "application/octet-stream"),
    ],
)
def test_url_map_content_types(site: Path, name: str, content_type: str) -> None:
    fetcher = UrlMapFetcher([("https://example.org/", site)])
    assert fetcher.fetch(f"https://example.org/{name}").content_type == content_type


def test_url_map_file_mapping_serves_exactly_its_url(site: Path) -> None:
    fetcher = UrlMapFetcher([("https://issuer.example/profile", site / "profile.json")])
    assert fetcher.fetch("https://issuer.example/profile").body == b'{"type": "Profile"}'
    for other in ("https://issuer.example/profile/x", "https://issuer.example/profiles"):
        with pytest.raises(FetchError, match="not under any --url-map prefix"):
            fetcher.fetch(other)


def test_url_map_prefix_without_slash_matches_only_at_a_boundary(site: Path) -> None:
    fetcher = UrlMapFetcher([("https://example.org", site)])
    assert fetcher.fetch("https://example.org/profile.json").body == b'{"type": "Profile"}'
    with pytest.raises(FetchError, match="not under any --url-map prefix"):
        fetcher.fetch("https://example.org.evil.test/profile.json")


def test_url_map_longest_prefix_wins(site: Path, tmp_path: Path) -> None:
    special = tmp_path / "special.json"
    special.write_text('{"special": true}')
    fetcher = UrlMapFetcher([("https://example.org/", site), ("https://example.org/profile.json", special)])
    assert fetcher.fetch("https://example.org/profile.json").body == b'{"special": true}'


@pytest.mark.parametrize(
    "path",
    [
        "../secret.json",
        "a/../../secret.json",
        "%2e%2e/secret.json",
        "..%2Fsecret.json",
        "x%00.json",
        "a\\..\\b",
        "a//b",
    ],
)
def test_url_map_traversal_is_refused(site: Path, path: str) -> None:
    (site.parent / "secret.json").write_text('{"secret": 1}')
    fetcher = UrlMapFetcher([("https://example.org/", site)])
    with pytest.raises(FetchError, match="not a plain relative path"):
        fetcher.fetch(f"https://example.org/{path}")


def test_url_map_symlink_out_of_the_folder_is_refused(site: Path) -> None:
    secret = site.parent / "secret.json"
    secret.write_text('{"secret": 1}')
    os.symlink(secret, site / "link.json")
    (site / "inner.json").symlink_to(site / "profile.json")
    fetcher = UrlMapFetcher([("https://example.org/", site)])
    with pytest.raises(FetchError, match="leads outside the saved copy"):
        fetcher.fetch("https://example.org/link.json")
    assert fetcher.fetch("https://example.org/inner.json").body == b'{"type": "Profile"}'


def test_url_map_query_strings_are_refused(site: Path) -> None:
    mappings = [("https://example.org/", site), ("https://one.example/x", site / "profile.json")]
    fetcher = UrlMapFetcher(mappings)
    for url in ("https://example.org/profile.json?v=2", "https://one.example/x?v=2"):
        with pytest.raises(FetchError, match="has a query string"):
            fetcher.fetch(url)


def test_url_map_missing_file_names_the_saved_copy(site: Path, tmp_path: Path) -> None:
    fetcher = UrlMapFetcher([("https://example.org/", site), ("https://gone.example/", tmp_path / "nothing")])
    with pytest.raises(FetchError) as info:
        fetcher.fetch("https://example.org/issuers/missing.json")
    missing = site / "issuers" / "missing.json"
    expected = f"https://example.org/issuers/missing.json is not found in the saved copy at {missing}"
    assert info.value.message == expected
    with pytest.raises(FetchError, match=f"is not found in the saved copy at {tmp_path / 'nothing'}"):
        fetcher.fetch("https://gone.example/a.json")


def test_url_map_size_cap(site: Path) -> None:
    fetcher = UrlMapFetcher([("https://example.org/", site)], max_bytes=5)
    with pytest.raises(FetchError, match="larger than 5 bytes"):
        fetcher.fetch("https://example.org/profile.json")


def test_parse_url_map() -> None:
    assert parse_url_map("https://example.org/=./site") == ("https://example.org/", Path("site"))
    assert parse_url_map("https://example.org/a=b=c") == ("https://example.org/a", Path("b=c"))
    for bad in ("./site", "https://example.org/=", "=./site", "example.org=./site", "https://x/?q=1=./s"):
        with pytest.raises(
            InputError, match=re.escape("--url-map expects PREFIX=PATH, e.g. https://example.org/=./site")
        ):
            parse_url_map(bad)


# ----------------------------------------------------------------------------------------------------------
# make_fetcher


def test_make_fetcher_offline(site: Path) -> None:
    assert make_fetcher(offline=True) is OFFLINE
    fetcher = make_fetcher(offline=True, url_maps=[("https://example.org/", site)])
    assert isinstance(fetcher, ChainFetcher)
    assert fetcher.fetch("https://example.org/profile.json").trusted is True
    with pytest.raises(FetchError, match="not available offline"):
        fetcher.fetch("https://elsewhere.example/x.json")


def test_make_fetcher_online(site: Path, connections: _ConnectRecorder) -> None:
    fetcher = make_fetcher(offline=False, allow_http=True, timeout=3, total_timeout=4, max_bytes=10)
    assert isinstance(fetcher, HttpFetcher)
    assert (
        fetcher.allow_http,
        fetcher.allow_private,
        fetcher.timeout,
        fetcher.total_timeout,
        fetcher.max_bytes,
    ) == (
        True,
        False,
        3.0,
        4.0,
        10,
    )
    chained = make_fetcher(offline=False, url_maps=[("https://example.org/", site)])
    assert isinstance(chained, ChainFetcher) and isinstance(chained.fetchers[-1], HttpFetcher)
    assert chained.fetch("https://example.org/profile.json").trusted is True
    with pytest.raises(FetchError, match="trusted_only requests never use the network"):
        chained.fetch("https://elsewhere.example/x.json", trusted_only=True)
    assert connections.attempts == []
