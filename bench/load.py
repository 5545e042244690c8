"""``python -m bench.load [--seconds S] [--requests N] [--threads T] [--workers W] [--json]``: a bounded loopback load
test of the verification service (not a test: it measures).

Starts what ``badge serve --workers 2`` starts (uvicorn, ``openbadge_ctq.web.factory:app_from_env``, 2 worker
processes) on 127.0.0.1 with the rate limit lifted, then, one kind after the other, sends verification requests from
T client threads (keep-alive connections) until N requests or S seconds:

* ``ob3-jwt``: ``POST /credentials/verify`` with a VC-JWT (``{"verifiableCredential": "<jwt>"}``);
* ``ob3-di``: ``POST /credentials/verify`` with an eddsa-rdfc-2022 credential;
* ``baked-png``: ``POST /verify`` with a multipart upload of a PNG baked with the DI credential (the page's form,
  with its CSRF cookie), answered with the HTML report.

Every credential is a did:key credential, so nothing is fetched. Prints requests/s and p50/p99 latency per kind.
The run stops by itself: at most ``3 × S`` seconds of load plus the server's start (capped at 15 s) and stop.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import Recipient, SigningKey, issue_credential, load_catalog
from openbadge_ctq.bake import bake_png
from openbadge_ctq.web.factory import CONFIG_ENV, ServeConfig

HOST = "127.0.0.1"
ACHIEVEMENT = "writing-publicly-to-influence-policymakers"
BASE_PNG = Path(__file__).resolve().parents[1] / "issuers" / "ctq" / "images" / "mc-cultivating-a-shared-purpose.png"


@dataclass(frozen=True, slots=True)
class Result:
    kind: str
    requests: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    expect: int


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/openapi.json")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


def _requests(port: int) -> dict[str, Request]:
    now = datetime.now(UTC)
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(range(32))), "key-bench")
    catalog = load_catalog()
    recipient = Recipient(email="teacher@example.org", name="Jo Rivera")
    di = issue_credential(catalog, ACHIEVEMENT, recipient, key, now=now, levels="Exemplary")
    jwt = issue_credential(catalog, ACHIEVEMENT, recipient, key, now=now, levels="Exemplary", fmt="ob3-jwt")
    baked = bake_png(BASE_PNG.read_bytes(), json.dumps(di.credential))
    csrf = _csrf_cookie(port)
    boundary = "bench" + secrets.token_hex(8)
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="badge.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + baked
        + f"\r\n--{boundary}--\r\n".encode()
    )
    api = {"content-type": "application/json", "accept": "application/json"}
    return {
        "ob3-jwt": Request(
            "POST", "/credentials/verify", json.dumps({"verifiableCredential": jwt.document}).encode(), api, 200
        ),
        "ob3-di": Request(
            "POST", "/credentials/verify", json.dumps({"verifiableCredential": di.credential}).encode(), api, 200
        ),
        "baked-png": Request(
            "POST",
            "/verify",
            form,
            {
                "content-type": f"multipart/form-data; boundary={boundary}",
                "cookie": f"badge_csrf={csrf}",
                "accept": "text/html",
            },
            200,
        ),
    }


def _csrf_cookie(port: int) -> str:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    connection.request("GET", "/verify", headers={"accept": "text/html"})
    response = connection.getresponse()
    response.read()
    connection.close()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("badge_csrf="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise SystemExit("GET /verify set no CSRF cookie")


def _run_kind(kind: str, request: Request, port: int, *, threads: int, limit: int, seconds: float) -> Result:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + seconds

    def take() -> bool:
        nonlocal issued
        with lock:
            if issued >= limit or time.monotonic() >= deadline:
                return False
            issued += 1
            return True

    def worker() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        failed = 0
        try:
            while take():
                start = time.perf_counter()
                try:
                    connection.request(request.method, request.path, body=request.body, headers=request.headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == request.expect
                except (OSError, http.client.HTTPException):
                    ok = False
                    connection.close()
                    connection = http.client.HTTPConnection(HOST, port, timeout=30)
                mine.append(time.perf_counter() - start)
                failed += 0 if ok else 1
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)
                errors += failed

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 35)
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    return Result(
        kind=kind,
        requests=len(ordered),
        errors=errors,
        seconds=round(elapsed, 2),
        per_second=round(len(ordered) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(statistics.median(ordered) * 1000 if ordered else float("nan"), 1),
        p99_ms=round(pct(0.99), 1),
    )


def _start_server(port: int, workers: int, home: Path) -> subprocess.Popen[bytes]:
    config = ServeConfig(home=str(home), rate_per_minute=1e9, rate_burst=1_000_000_000, max_upload_bytes=2 << 20)
    env = {**os.environ, CONFIG_ENV: config.to_env()}
    env.pop("BADGE_API_TOKEN", None)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "openbadge_ctq.web.factory:app_from_env",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-server-header",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="at most this long per kind (default 10)")
    parser.add_argument("--requests", type=int, default=5000, help="at most this many per kind (default 5000)")
    parser.add_argument("--threads", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    seconds = max(0.5, min(args.seconds, 15.0))  # keeps the whole run under ~60 s
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="badge-load-") as home:
        process = _start_server(port, args.workers, Path(home))
        results: list[Result] = []
        try:
            _wait_ready(port, process, timeout=15)
            for kind, request in _requests(port).items():
                results.append(
                    _run_kind(kind, request, port, threads=args.threads, limit=args.requests, seconds=seconds)
                )
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
    if args.json:
        print(json.dumps({"workers": args.workers, "threads": args.threads, "results": [asdict(r) for r in results]}))
    else:
        print(f"uvicorn, {args.workers} workers, {args.threads} client threads, loopback ({os.cpu_count()} CPUs)")
        print(f"{'kind':<10} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for r in results:
            print(f"{r.kind:<10} {r.requests:>8} {r.errors:>6} {r.per_second:>8.1f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f}")
    return 1 if any(r.errors or not r.requests for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
