"""``python -m bench.load``: a bounded loopback load test of the verification service (not a test: it measures).

Starts ``badge serve --workers 2`` (uvicorn, ``openbadge_ctq.web.factory:app_from_env``, 2 worker processes, its
access log to /dev/null; ``--server uvicorn`` runs bare uvicorn without the access log and without the command's
TCP_NODELAY fix) on 127.0.0.1 with the rate limit lifted, and sends it verification requests of three kinds:

* ``ob3-jwt``: ``POST /credentials/verify`` with a VC-JWT (``{"verifiableCredential": "<jwt>"}``);
* ``ob3-di``: ``POST /credentials/verify`` with an eddsa-rdfc-2022 credential;
* ``baked-png``: ``POST /verify`` with a multipart upload of a PNG baked with the DI credential (the page's form,
  with its CSRF cookie), answered with the HTML report.

Every credential is a did:key credential, so nothing is fetched. A request counts as failed when the connection
fails or times out, the status is not 200, or the answer does not say "verified". Three modes:

* default, ``[--seconds S] [--requests N] [--threads T]``: one kind after the other, closed loop (T client threads
  on keep-alive connections, each sending its next request when the last one is answered), until N requests or S
  seconds per kind; prints requests/s and p50/p99 per kind. At most ``3 × 15`` s of load.
* sustained, ``--duration D [--rate R] [--interval I] [--warmup W] [--mix ...]``: the three kinds mixed for D
  seconds after a W-second warm-up. With ``--rate`` the load is open loop: arrivals are scheduled every 1/R s
  whatever the server does, and a request's latency runs from its scheduled time, so it includes any queueing
  (in the client's connection pool as well as in the server). Without ``--rate`` it is closed loop with T threads.
  Every I seconds it prints requests, errors, achieved rate, p50/p99/max, and each worker process's RSS (VmRSS),
  CPU and open files; at the end the totals, per kind, and each worker's RSS growth from the first interval to
  the last (and its least-squares trend in MB/min). Exit 1, with the reasons, when a request failed, p99 ≥
  ``--p99-limit`` (200 ms), a worker's RSS grew by more than ``--max-rss-growth-pct`` (20 %) or
  ``--max-rss-growth-mb`` (50 MB), a worker was replaced, or the server died.
* ``--find-rate``: open-loop steps of ``--step-seconds`` at increasing rates (``--start-rate``, + ``--rate-step``,
  then ``--refine`` bisections) until a step has an error or p99 ≥ the limit, within ``--max-seconds`` in all;
  prints the highest rate that held.

``--json`` prints every figure as JSON on stdout (the progress lines then go to stderr). Linux only for the
server-process figures (they read ``/proc``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import Recipient, SigningKey, issue_credential, load_catalog
from openbadge_ctq.bake import bake_png
from openbadge_ctq.web.factory import CONFIG_ENV, ServeConfig

HOST = "127.0.0.1"
ACHIEVEMENT = "writing-publicly-to-influence-policymakers"
BASE_PNG = Path(__file__).resolve().parents[1] / "issuers" / "ctq" / "images" / "mc-cultivating-a-shared-purpose.png"
KINDS = ("ob3-jwt", "ob3-di", "baked-png")
REQUEST_TIMEOUT = 30.0  # seconds; a request slower than this counts as failed ("timeout")
IDLE_RECONNECT = 4.0  # uvicorn closes idle keep-alive connections after 5 s: reconnect before it does
MAX_DURATION = 4 * 3600.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


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
    marker: bytes | None = None  # the answer must contain this (the HTML report's "verified" verdict)


# ---- server ------------------------------------------------------------------------------------------------------


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


def _start_server(port: int, workers: int, home: Path, log: TextIO, server: str = "badge") -> subprocess.Popen[bytes]:
    """``uvicorn`` runs the app as ``badge serve`` does, quietly (no access log); ``badge`` runs ``badge serve`` itself
    (its info-level access log goes to /dev/null, and costs the server what it costs in production)."""
    env = {**os.environ}
    env.pop("BADGE_API_TOKEN", None)
    if server == "badge":
        command = [
            sys.executable,
            "-m",
            "openbadge_ctq_cli",
            "--home",
            str(home),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--rate-limit",
            "1e9",
            "--burst",
            "1000000000",
        ]
    else:
        config = ServeConfig(home=str(home), rate_per_minute=1e9, rate_burst=1_000_000_000, max_upload_bytes=2 << 20)
        env[CONFIG_ENV] = config.to_env()
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
    # The server's stderr goes to a file, not a pipe: nobody reads a pipe during a long run, and a full one blocks.
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)


def _stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


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
        # /credentials/verify answers 200 only when the credential verified (400 otherwise)
        "ob3-jwt": Request(
            "POST", "/credentials/verify", json.dumps({"verifiableCredential": jwt.document}).encode(), api, 200
        ),
        "ob3-di": Request(
            "POST", "/credentials/verify", json.dumps({"verifiableCredential": di.credential}).encode(), api, 200
        ),
        # the page answers 200 either way: the verdict is in the HTML
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
            marker=b'class="result ok"',
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


# ---- server processes (/proc) ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcSample:
    pid: int
    rss_mb: float
    hwm_mb: float  # peak RSS
    cpu_s: float  # user + system
    fds: int


def _read_proc(pid: int) -> ProcSample | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None
    fields = {k: v.split() for k, _, v in (line.partition(":") for line in status.splitlines())}
    after = stat.rsplit(")", 1)[1].split()  # fields 3.. (the command name may contain spaces)
    return ProcSample(
        pid=pid,
        rss_mb=int(fields.get("VmRSS", ["0"])[0]) / 1024,
        hwm_mb=int(fields.get("VmHWM", ["0"])[0]) / 1024,
        cpu_s=(int(after[11]) + int(after[12])) / CLOCK_TICKS,
        fds=fds,
    )


def _children(pid: int) -> list[int]:
    try:
        return sorted(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except OSError:
        pass
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return sorted(found)


def _worker_pids(supervisor: int, workers: int) -> list[int]:
    """The uvicorn worker processes (``spawn_main`` children), or the server itself when it runs one worker."""
    if workers <= 1:
        return [supervisor]
    pids = []
    for child in _children(supervisor):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            pids.append(child)
    return pids


# ---- client ------------------------------------------------------------------------------------------------------


class _Client:
    """One keep-alive connection; :meth:`send` returns None for a good answer, else why it failed. Never raises."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def send(self, request: Request) -> str | None:
        if self.connection is not None and time.perf_counter() - self.last_used > IDLE_RECONNECT:
            self.close()
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            self.connection.request(request.method, request.path, body=request.body, headers=request.headers)
            response = self.connection.getresponse()
            body = response.read()
        except TimeoutError:
            self.close()
            return "timeout"
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return type(exc).__name__
        except Exception as exc:  # a client bug must be counted, not end the run
            self.close()
            return f"client {type(exc).__name__}"
        self.last_used = time.perf_counter()
        if response.will_close:
            self.close()
        if response.status != request.expect:
            return f"HTTP {response.status}"
        if request.marker is not None and request.marker not in body:
            return "not verified"
        return None


def _pct(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted seconds, in ms (NaN when empty)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1000


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
        client = _Client(port)
        mine: list[float] = []
        failed = 0
        try:
            while take():
                start = time.perf_counter()
                reason = client.send(request)
                mine.append(time.perf_counter() - start)
                failed += reason is not None
        finally:
            client.close()
            with lock:
                latencies.extend(mine)
                errors += failed

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 5)
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return Result(
        kind=kind,
        requests=len(ordered),
        errors=errors,
        seconds=round(elapsed, 2),
        per_second=round(len(ordered) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(_pct(ordered, 0.5), 1),
        p99_ms=round(_pct(ordered, 0.99), 1),
    )


# ---- mixed load: open loop (scheduled arrivals) or closed loop ----------------------------------------------------

Sample = tuple[int, float, float, str | None]  # kind index, latency s (from the scheduled time), lag s, failure


class _Load:
    """Client threads sending the mix for ``seconds``.

    Open loop (``rate``): slot i is due at ``t0 + i / rate``; a free thread claims the next slot, sleeps until it is
    due and sends it. When every thread is busy, slots are sent late and their latency still runs from the due
    time, so a slow server cannot slow the arrivals down (no coordinated omission). ``lag`` is how late a request
    left the client. Closed loop (``rate`` None): each thread sends its next request as soon as it has an answer.
    """

    def __init__(
        self, port: int, requests: Sequence[Request], pattern: Sequence[int], *, rate: float | None, threads: int
    ) -> None:
        self.port = port
        self.requests = requests
        self.pattern = pattern
        self.rate = rate
        self.threads = threads
        self.lock = threading.Lock()
        self.samples: list[Sample] = []
        self.slot = 0
        self.t0 = 0.0
        self.end = 0.0
        self.stopped = False
        self.pool: list[threading.Thread] = []

    def start(self, seconds: float) -> None:
        self.t0 = time.perf_counter() + 0.02
        self.end = self.t0 + seconds
        self.pool = [threading.Thread(target=self._worker, daemon=True) for _ in range(self.threads)]
        for thread in self.pool:
            thread.start()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True

    def scheduled(self) -> int:
        with self.lock:
            return self.slot

    def _claim(self) -> tuple[int, float] | None:
        with self.lock:
            if self.stopped:
                return None
            index = self.slot
            due = self.t0 + index / self.rate if self.rate else time.perf_counter()
            if due >= self.end:
                return None
            self.slot += 1
            return index, due

    def _worker(self) -> None:
        client = _Client(self.port)
        requests, pattern, period = self.requests, self.pattern, len(self.pattern)
        try:
            while (claimed := self._claim()) is not None:
                index, due = claimed
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                sent = time.perf_counter()
                kind = pattern[index % period]
                failure = client.send(requests[kind])
                done = time.perf_counter()
                with self.lock:
                    self.samples.append((kind, done - due, sent - due, failure))
        finally:
            client.close()

    def drain(self) -> list[Sample]:
        with self.lock:
            taken, self.samples = self.samples, []
        return taken

    def join(self, timeout: float) -> bool:
        """Wait for the threads to finish their last requests; False if some are still going after ``timeout``."""
        deadline = time.monotonic() + timeout
        for thread in self.pool:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self.pool)


def _mix_pattern(weights: dict[str, int]) -> list[int]:
    """A smooth weighted round robin over the kinds (``ob3-jwt=1,ob3-di=1,baked-png=1`` → 0, 1, 2)."""
    current = dict.fromkeys(weights, 0)
    total = sum(weights.values())
    pattern = []
    for _ in range(total):
        for kind, weight in weights.items():
            current[kind] += weight
        chosen = max(current, key=lambda k: current[k])
        current[chosen] -= total
        pattern.append(KINDS.index(chosen))
    return pattern


def _parse_mix(text: str) -> dict[str, int]:
    weights: dict[str, int] = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        kind = kind.strip()
        if kind not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
        try:
            weights[kind] = int(weight) if weight else 1
        except ValueError:
            raise argparse.ArgumentTypeError(f"weight of {kind} is not a whole number: {weight!r}") from None
        if weights[kind] < 0:
            raise argparse.ArgumentTypeError(f"negative weight for {kind}")
    weights = {k: w for k, w in weights.items() if w}
    if not weights:
        raise argparse.ArgumentTypeError("the mix is empty")
    return weights


# ---- figures -----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Figures:
    requests: int
    errors: int
    per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    lag_p99_ms: float  # how late requests left the client (open loop); high = the client pool was the bottleneck
    failures: dict[str, int] = field(default_factory=dict)


def _figures(samples: Sequence[Sample], seconds: float) -> Figures:
    ordered = sorted(s[1] for s in samples)
    lags = sorted(s[2] for s in samples)
    failures = Counter(s[3] for s in samples if s[3] is not None)
    return Figures(
        requests=len(samples),
        errors=sum(failures.values()),
        per_second=round(len(samples) / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=round(_pct(ordered, 0.5), 1),
        p99_ms=round(_pct(ordered, 0.99), 1),
        max_ms=round(ordered[-1] * 1000, 1) if ordered else float("nan"),
        lag_p99_ms=round(_pct(lags, 0.99), 1),
        failures=dict(failures.most_common()),
    )


@dataclass(slots=True)
class WorkerFigures:
    pid: int
    rss_mb: float
    hwm_mb: float
    cpu_pct: float  # of one core, over the interval
    fds: int


@dataclass(slots=True)
class Interval:
    label: str
    start_s: float  # since the start of the load (after the warm-up)
    seconds: float
    figures: Figures
    by_kind: dict[str, Figures]
    workers: list[WorkerFigures]
    client_cpu_pct: float


class _Monitor:
    """Samples the server's worker processes and the client's own CPU between intervals."""

    def __init__(self, process: subprocess.Popen[bytes], workers: int) -> None:
        self.process = process
        self.workers = workers
        self.cpu: dict[int, float] = {}
        self.seen: list[list[int]] = []
        self.wall = time.perf_counter()
        self.client_cpu = time.process_time()
        self.initial = self.sample()[0]  # idle, before any load

    def sample(self) -> tuple[list[WorkerFigures], float]:
        now, client_cpu = time.perf_counter(), time.process_time()
        elapsed = max(1e-9, now - self.wall)
        figures = []
        pids = _worker_pids(self.process.pid, self.workers)
        for pid in pids:
            proc = _read_proc(pid)
            if proc is None:
                continue
            before = self.cpu.get(pid)
            cpu_pct = 100 * (proc.cpu_s - before) / elapsed if before is not None else float("nan")
            self.cpu[pid] = proc.cpu_s
            figures.append(
                WorkerFigures(pid, round(proc.rss_mb, 1), round(proc.hwm_mb, 1), round(cpu_pct, 1), proc.fds)
            )
        client_pct = 100 * (client_cpu - self.client_cpu) / elapsed
        self.wall, self.client_cpu = now, client_cpu
        self.seen.append(pids)
        return figures, round(client_pct, 1)


def _interval(
    label: str, start: float, seconds: float, samples: Sequence[Sample], monitor: _Monitor, kinds: Sequence[int]
) -> Interval:
    workers, client_cpu = monitor.sample()
    by_kind = {KINDS[k]: _figures([s for s in samples if s[0] == k], seconds) for k in kinds}
    return Interval(label, round(start, 1), round(seconds, 1), _figures(samples, seconds), by_kind, workers, client_cpu)


def _fmt(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _header(workers: int) -> str:
    cells = "".join(f" {'w' + str(i + 1) + ' RSS':>8} {'CPU%':>5}" for i in range(workers))
    return (
        f"{'interval':<14} {'reqs':>6} {'err':>4} {'req/s':>6} {'p50':>6} {'p99':>6} {'max':>6} {'lag99':>6}"
        f"{cells} {'client%':>7}"
    )


def _line(interval: Interval) -> str:
    f = interval.figures
    cells = "".join(f" {w.rss_mb:>6.1f}MB {_fmt(w.cpu_pct):>5}" for w in interval.workers)
    return (
        f"{interval.label:<14} {f.requests:>6} {f.errors:>4} {f.per_second:>6.1f} {_fmt(f.p50_ms):>6}"
        f" {_fmt(f.p99_ms):>6} {_fmt(f.max_ms):>6} {_fmt(f.lag_p99_ms):>6}{cells} {_fmt(interval.client_cpu_pct):>7}"
    )


def _slope_mb_per_min(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per minute (NaN with fewer than 3 points)."""
    if len(points) < 3:
        return float("nan")
    mean_t = sum(t for t, _ in points) / len(points)
    mean_m = sum(m for _, m in points) / len(points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return float("nan")
    return 60 * sum((t - mean_t) * (m - mean_m) for t, m in points) / var


@dataclass(slots=True)
class Growth:
    pid: int
    first_mb: float
    last_mb: float
    growth_mb: float
    growth_pct: float
    peak_mb: float
    slope_mb_per_min: float
    fds_idle_before: int  # open files before any load
    fds_idle_after: int  # and after the run, its connections closed


def _growth(intervals: Sequence[Interval]) -> list[Growth]:
    if not intervals:
        return []
    first = {w.pid: w for w in intervals[0].workers}
    last = {w.pid: w for w in intervals[-1].workers}
    out = []
    for pid, w0 in first.items():
        if pid not in last:
            continue
        w1 = last[pid]
        points = [(i.start_s + i.seconds, w.rss_mb) for i in intervals for w in i.workers if w.pid == pid]
        out.append(
            Growth(
                pid=pid,
                first_mb=w0.rss_mb,
                last_mb=w1.rss_mb,
                growth_mb=round(w1.rss_mb - w0.rss_mb, 1),
                growth_pct=round(100 * (w1.rss_mb - w0.rss_mb) / w0.rss_mb, 1) if w0.rss_mb else float("nan"),
                peak_mb=max(w.hwm_mb for i in intervals for w in i.workers if w.pid == pid),
                slope_mb_per_min=round(_slope_mb_per_min(points), 3),
                fds_idle_before=-1,
                fds_idle_after=-1,
            )
        )
    return out


def _failure_text(failures: dict[str, int]) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in failures.items())


# ---- driving the load, interval by interval ----------------------------------------------------------------------


@dataclass(slots=True)
class Drive:
    intervals: list[Interval]
    samples: list[Sample]
    seconds: float  # the scheduled length actually run
    finished: bool  # every request was answered (or failed) before the end
    problem: str | None  # the server exited, or the run was interrupted


@dataclass(slots=True)
class _Context:
    port: int
    process: subprocess.Popen[bytes]
    requests: list[Request]  # in KINDS order
    pattern: list[int]
    kinds: list[int]
    monitor: _Monitor
    out: TextIO


def _drive(
    ctx: _Context,
    *,
    rate: float | None,
    threads: int,
    seconds: float,
    interval: float,
    label: Callable[[float, float], str],
) -> Drive:
    load = _Load(ctx.port, ctx.requests, ctx.pattern, rate=rate, threads=threads)
    load.start(seconds)
    intervals: list[Interval] = []
    kept: list[Sample] = []
    problem = None
    begun = 0.0  # seconds since load.t0 where the current interval began
    boundary = load.t0
    try:
        while True:
            boundary = min(load.end, boundary + interval)
            while (left := boundary - time.perf_counter()) > 0 and ctx.process.poll() is None:
                time.sleep(min(left, 1.0))
            if ctx.process.poll() is not None:
                problem = f"the server exited with code {ctx.process.returncode}"
                load.stop()
                break
            if boundary >= load.end:
                break  # the last interval also takes the answers still on their way
            now = time.perf_counter() - load.t0
            samples = load.drain()
            kept.extend(samples)
            intervals.append(_interval(label(begun, now), begun, now - begun, samples, ctx.monitor, ctx.kinds))
            print(_line(intervals[-1]), file=ctx.out, flush=True)
            begun = now
    except KeyboardInterrupt:
        problem = "interrupted"
        load.stop()
    finished = load.join(REQUEST_TIMEOUT + 5)
    if not finished:
        load.stop()  # send no more of the late requests: the run is over
    end = min(time.perf_counter(), load.end) - load.t0  # the last interval's rate is over its scheduled part
    samples = load.drain()
    kept.extend(samples)
    if samples or not intervals:
        intervals.append(_interval(label(begun, end), begun, end - begun, samples, ctx.monitor, ctx.kinds))
        print(_line(intervals[-1]), file=ctx.out, flush=True)
    return Drive(intervals, kept, end, finished, problem)


def _setup(
    args: argparse.Namespace, port: int, process: subprocess.Popen[bytes], requests: dict[str, Request], out: TextIO
) -> _Context:
    pattern = _mix_pattern(args.mix)
    return _Context(
        port=port,
        process=process,
        requests=[requests[k] for k in KINDS],
        pattern=pattern,
        kinds=sorted(set(pattern)),
        monitor=_Monitor(process, args.workers),
        out=out,
    )


def _server_label(args: argparse.Namespace) -> str:
    return "badge serve" if args.server == "badge" else "uvicorn (as badge serve runs it, no access log)"


def _mix_text(weights: dict[str, int]) -> str:
    return ", ".join(f"{k}×{w}" for k, w in weights.items())


def _sustained(args: argparse.Namespace, ctx: _Context) -> dict[str, Any]:
    threads: int = args.threads or (64 if args.rate else 8)
    mode = f"open loop at {args.rate:g} req/s" if args.rate else "closed loop"
    out = ctx.out
    print(
        f"{_server_label(args)}, {args.workers} workers, loopback ({os.cpu_count()} CPUs);"
        f" {mode}, {threads} connections;"
        f" mix {_mix_text(args.mix)}; warm-up {args.warmup:g} s, then {args.duration:g} s in {args.interval:g}-s"
        " intervals; latencies in ms (from the scheduled time in open loop)",
        file=out,
        flush=True,
    )
    print(_header(args.workers), file=out, flush=True)
    reasons: list[str] = []
    warm: Drive | None = None
    if args.warmup > 0:
        warm = _drive(
            ctx,
            rate=args.rate,
            threads=threads,
            seconds=args.warmup,
            interval=args.warmup,
            label=lambda a, b: "warm-up",
        )
        if warm.problem:
            reasons.append(warm.problem)
        if not warm.finished:
            reasons.append("requests were still unanswered at the end of the warm-up")
    run = Drive([], [], 0.0, True, None)
    if not reasons:
        run = _drive(
            ctx,
            rate=args.rate,
            threads=threads,
            seconds=args.duration,
            interval=args.interval,
            label=lambda a, b: f"{a:.0f}-{b:.0f} s",
        )
        if run.problem:
            reasons.append(run.problem)
        if not run.finished:
            reasons.append(f"requests were still unanswered {REQUEST_TIMEOUT + 5:.0f} s after the end")
    intervals = run.intervals
    total = _figures(run.samples, run.seconds)
    by_kind = {KINDS[k]: _figures([s for s in run.samples if s[0] == k], run.seconds) for k in ctx.kinds}
    growth = _growth(intervals)
    time.sleep(0.5)  # let the workers close the client's connections
    idle_after = {w.pid: w.fds for w in ctx.monitor.sample()[0]}
    idle_before = {w.pid: w.fds for w in ctx.monitor.initial}
    for g in growth:
        g.fds_idle_before, g.fds_idle_after = idle_before.get(g.pid, -1), idle_after.get(g.pid, -1)
    notes = []
    if warm is not None:
        warm_figures = _figures(warm.samples, warm.seconds)
        if warm_figures.errors:
            reasons.append(
                f"{warm_figures.errors} request(s) failed in the warm-up ({_failure_text(warm_figures.failures)})"
            )
    if total.errors:
        reasons.append(f"{total.errors} request(s) failed ({_failure_text(total.failures)})")
    if not total.requests:
        reasons.append("no request was answered")
    elif not total.p99_ms < args.p99_limit:
        reasons.append(f"p99 {total.p99_ms:.1f} ms ≥ {args.p99_limit:g} ms")
    if args.rate and total.requests and total.per_second < 0.95 * args.rate:
        reasons.append(f"achieved {total.per_second:.1f} req/s, under 95% of the {args.rate:g} req/s asked for")
    if len(intervals) < 2:
        notes.append("one interval only: memory growth is not judged (make --duration at least 2 × --interval)")
    else:
        for g in growth:
            if g.growth_mb > args.max_rss_growth_mb or g.growth_pct > args.max_rss_growth_pct:
                reasons.append(
                    f"worker {g.pid} RSS grew {g.growth_mb:+.1f} MB ({g.growth_pct:+.1f}%) from {g.first_mb:.1f} to"
                    f" {g.last_mb:.1f} MB (limits: {args.max_rss_growth_mb:g} MB, {args.max_rss_growth_pct:g}%)"
                )
    seen = [tuple(pids) for pids in ctx.monitor.seen]
    changes = [pids for n, pids in enumerate(seen) if n == 0 or pids != seen[n - 1]]
    if len(changes) > 1 or (seen and len(seen[-1]) != args.workers):
        reasons.append(
            f"the worker processes changed (expected {args.workers}): {' → '.join(str(list(p)) for p in changes)}"
        )

    print(file=out)
    print(_header(0).replace("interval", "total   ").removesuffix(f" {'client%':>7}"), file=out)
    print(_total_line("all", total), file=out)
    for kind, f in by_kind.items():
        print(_total_line(kind, f), file=out)
    if intervals:
        worst = max(intervals, key=lambda i: -1.0 if math.isnan(i.figures.p99_ms) else i.figures.p99_ms)
        print(f"worst interval p99: {_fmt(worst.figures.p99_ms)} ms ({worst.label})", file=out)
    for g in growth:
        print(
            f"worker {g.pid}: RSS {g.first_mb:.1f} → {g.last_mb:.1f} MB ({g.growth_mb:+.1f} MB, {g.growth_pct:+.1f}%)"
            f" from the first interval to the last, trend {_fmt(g.slope_mb_per_min)} MB/min,"
            f" peak {g.peak_mb:.1f} MB; open files when idle {g.fds_idle_before} → {g.fds_idle_after}",
            file=out,
        )
    for note in notes:
        print(f"note: {note}", file=out)
    print("PASS" if not reasons else "FAIL: " + "; ".join(reasons), file=out, flush=True)
    return {
        "mode": "sustained",
        "server": args.server,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "rate": args.rate,
        "threads": threads,
        "mix": args.mix,
        "duration_s": args.duration,
        "interval_s": args.interval,
        "warmup_s": args.warmup,
        "limits": {
            "p99_ms": args.p99_limit,
            "rss_growth_mb": args.max_rss_growth_mb,
            "rss_growth_pct": args.max_rss_growth_pct,
        },
        "warmup": asdict(_figures(warm.samples, warm.seconds)) if warm is not None else None,
        "warmup_workers": asdict(warm.intervals[-1])["workers"] if warm is not None and warm.intervals else None,
        "intervals": [asdict(i) for i in intervals],
        "total": asdict(total),
        "by_kind": {k: asdict(f) for k, f in by_kind.items()},
        "memory": [asdict(g) for g in growth],
        "notes": notes,
        "ok": not reasons,
        "reasons": reasons,
    }


def _total_line(label: str, f: Figures) -> str:
    return (
        f"{label:<14} {f.requests:>6} {f.errors:>4} {f.per_second:>6.1f} {_fmt(f.p50_ms):>6}"
        f" {_fmt(f.p99_ms):>6} {_fmt(f.max_ms):>6} {_fmt(f.lag_p99_ms):>6}"
    )


# ---- finding the highest rate that holds -------------------------------------------------------------------------


def _find_rate(args: argparse.Namespace, ctx: _Context) -> dict[str, Any]:
    out = ctx.out
    threads: int = args.threads or 64
    budget_end = time.monotonic() + args.max_seconds
    print(
        f"{_server_label(args)}, {args.workers} workers, loopback ({os.cpu_count()} CPUs);"
        f" open-loop steps of {args.step_seconds:g} s"
        f" from {args.start_rate:g} req/s (+{args.rate_step:g}, then {args.refine} bisections), {threads} connections;"
        f" mix {_mix_text(args.mix)}; a step holds when no request fails and p99 < {args.p99_limit:g} ms;"
        f" at most {args.max_seconds:g} s",
        file=out,
        flush=True,
    )
    print(_header(args.workers).replace("interval      ", "step (req/s)  "), file=out, flush=True)
    steps: list[dict[str, Any]] = []
    problem = None
    if args.warmup > 0:
        warm = _drive(
            ctx,
            rate=args.start_rate,
            threads=threads,
            seconds=args.warmup,
            interval=args.warmup,
            label=lambda a, b: "warm-up",
        )
        problem = warm.problem

    def step(rate: float) -> bool:
        nonlocal problem
        run = _drive(
            ctx,
            rate=rate,
            threads=threads,
            seconds=args.step_seconds,
            interval=args.step_seconds,
            label=lambda a, b: f"{rate:g}",
        )
        figures = _figures(run.samples, run.seconds)
        why = []
        if run.problem:
            problem = run.problem
            why.append(run.problem)
        if figures.errors:
            why.append(f"{figures.errors} failed ({_failure_text(figures.failures)})")
        if not run.finished:
            why.append("requests still unanswered at the end")
        if not figures.requests:
            why.append("no answer")
        elif not figures.p99_ms < args.p99_limit:
            why.append(f"p99 {figures.p99_ms:.1f} ms ≥ {args.p99_limit:g} ms")
        steps.append({"rate": rate, "held": not why, "why": why, **asdict(run.intervals[-1])})
        return not why

    def time_for_step() -> bool:
        return problem is None and time.monotonic() + args.step_seconds + 1 <= budget_end

    held: float | None = None
    failed: float | None = None
    rate = args.start_rate
    while rate <= args.max_rate and time_for_step():
        if step(rate):
            held = rate
            rate += args.rate_step
        else:
            failed = rate
            break
    refinements = 0
    while failed is not None and refinements < args.refine and time_for_step():
        low = held if held is not None else 0.0
        middle = round((low + failed) / 2 / 5) * 5  # a multiple of 5 req/s
        if middle <= low or middle >= failed:
            break
        refinements += 1
        if step(middle):
            held = middle
        else:
            failed = middle
    print(file=out)
    if held is None:
        print(f"no rate held (the first step, {args.start_rate:g} req/s, did not)", file=out)
    else:
        if failed is not None:
            above = f"; {failed:g} req/s did not"
        elif held + args.rate_step > args.max_rate:
            above = " (no step failed below --max-rate)"
        else:
            above = " (no step failed before --max-seconds ran out: start higher or allow longer)"
        print(f"highest rate that held: {held:g} req/s{above}", file=out)
        print(
            f"sustained run: python -m bench.load --duration 600 --rate {held:g}"
            f" (or a little lower for margin, e.g. --rate {math.floor(held * 0.9):g})",
            file=out,
        )
    if problem:
        print(f"stopped: {problem}", file=out)
    print(flush=True, file=out)
    return {
        "mode": "find-rate",
        "server": args.server,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "threads": threads,
        "mix": args.mix,
        "step_s": args.step_seconds,
        "p99_limit_ms": args.p99_limit,
        "steps": steps,
        "held_rate": held,
        "failed_rate": failed,
        "ok": held is not None and problem is None,
        "problem": problem,
    }


# ---- the kinds one after the other (the original mode) -----------------------------------------------------------


def _by_kind(args: argparse.Namespace, port: int, requests: dict[str, Request]) -> dict[str, Any]:
    seconds = max(0.5, min(args.seconds, 15.0))  # keeps the whole run under ~60 s
    threads: int = args.threads or 8
    results = [
        _run_kind(kind, request, port, threads=threads, limit=args.requests, seconds=seconds)
        for kind, request in requests.items()
    ]
    if not args.json:
        print(
            f"{_server_label(args)}, {args.workers} workers, {threads} client threads, loopback ({os.cpu_count()} CPUs)"
        )
        print(f"{'kind':<10} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for r in results:
            print(f"{r.kind:<10} {r.requests:>8} {r.errors:>6} {r.per_second:>8.1f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f}")
    return {
        "server": args.server,
        "workers": args.workers,
        "threads": threads,
        "results": [asdict(r) for r in results],
        "ok": not any(r.errors or not r.requests for r in results),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=(__doc__ or "").split("\n\n")[0].replace("``", "").split(": ", 1)[-1],
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument(
        "--server",
        choices=("uvicorn", "badge"),
        default="badge",
        help="badge (default): the badge serve command (TCP_NODELAY, access log); uvicorn: bare uvicorn, no access log",
    )
    parser.add_argument(
        "--threads", type=int, help="client threads, one keep-alive connection each (default: 8 closed loop, 64 open)"
    )
    parser.add_argument("--json", action="store_true", help="print every figure as JSON (progress goes to stderr)")
    one = parser.add_argument_group("the kinds one after the other (the default mode), closed loop")
    one.add_argument("--seconds", type=float, default=10.0, help="at most this long per kind (default 10, at most 15)")
    one.add_argument("--requests", type=int, default=5000, help="at most this many per kind (default 5000)")
    mixed = parser.add_argument_group("sustained mixed load")
    mixed.add_argument("--duration", type=float, help="run the mix this many seconds (after the warm-up)")
    mixed.add_argument("--rate", type=float, help="open loop: this many requests per second (default: closed loop)")
    mixed.add_argument(
        "--interval", type=float, default=30.0, help="print figures every this many seconds (default 30)"
    )
    mixed.add_argument(
        "--warmup", type=float, help="seconds of load first, not counted (default: 10; 5 for --find-rate)"
    )
    mixed.add_argument(
        "--mix",
        type=_parse_mix,
        default="ob3-jwt=1,ob3-di=1,baked-png=1",
        help="the kinds and their weights (default ob3-jwt=1,ob3-di=1,baked-png=1)",
    )
    mixed.add_argument(
        "--p99-limit", type=float, default=200.0, help="fail when p99 reaches this many ms (default 200)"
    )
    mixed.add_argument(
        "--max-rss-growth-mb", type=float, default=50.0, help="fail when a worker's RSS grows more (default 50)"
    )
    mixed.add_argument(
        "--max-rss-growth-pct", type=float, default=20.0, help="fail when a worker's RSS grows more (default 20)"
    )
    find = parser.add_argument_group("--find-rate: open-loop steps of increasing rate until p99 ≥ the limit or errors")
    find.add_argument("--find-rate", action="store_true", help="find the highest rate that holds")
    find.add_argument("--step-seconds", type=float, default=15.0, help="seconds per step (default 15)")
    find.add_argument("--start-rate", type=float, default=50.0, help="the first step's rate in req/s (default 50)")
    find.add_argument("--rate-step", type=float, default=50.0, help="added at each step until one fails (default 50)")
    find.add_argument("--refine", type=int, default=2, help="then this many bisection steps (default 2)")
    find.add_argument("--max-rate", type=float, default=1000.0, help="go no higher (default 1000)")
    find.add_argument(
        "--max-seconds",
        type=float,
        default=240.0,
        help="at most this many seconds in all, warm-up included (default 240)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    sustained = args.duration is not None
    if args.rate is not None and not sustained:
        parser.error("--rate goes with --duration (or use --find-rate)")
    if sustained and args.find_rate:
        parser.error("--duration and --find-rate are separate runs")
    if sustained and not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be in (0, {MAX_DURATION:.0f}] seconds")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be positive")
    if args.interval <= 0 or args.step_seconds <= 0 or args.start_rate <= 0 or args.rate_step <= 0:
        parser.error("--interval, --step-seconds, --start-rate and --rate-step must be positive")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.warmup is None:
        args.warmup = 5.0 if args.find_rate else 10.0
    args.max_seconds = min(args.max_seconds, MAX_DURATION)
    out = sys.stderr if args.json else sys.stdout
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="badge-load-") as home:
        log_path = Path(home) / "server.log"
        with log_path.open("w") as log:
            (Path(home) / "home").mkdir()
            process = _start_server(port, args.workers, Path(home) / "home", log, args.server)
        try:
            _wait_ready(port, process, timeout=15)
            requests = _requests(port)
            if sustained:
                report = _sustained(args, _setup(args, port, process, requests, out))
            elif args.find_rate:
                report = _find_rate(args, _setup(args, port, process, requests, out))
            else:
                report = _by_kind(args, port, requests)
        finally:
            _stop_server(process)
            server_log = log_path.read_text(errors="replace")
    if server_log.strip() and not report["ok"]:
        tail = server_log.strip().splitlines()[-20:]
        print("server stderr (last lines):\n  " + "\n  ".join(tail), file=sys.stderr)
    if args.json:
        print(json.dumps(_finite(report), allow_nan=False))
    return 0 if report["ok"] else 1


def _finite(value: Any) -> Any:
    """The report with NaN (no sample) as null, so that the JSON is strict."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
