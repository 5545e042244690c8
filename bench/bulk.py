"""The bulk issuance target: registry + eddsa-rdfc-2022 + baked PNG for N rows, with peak memory.

``issue_many`` (chunks of rows recorded per transaction, signed and baked in one worker process per CPU) issues N
CTQ micro-credentials into a fresh SQLite registry in a temporary folder; the baseline is the same work one row at a
time in one process (``Registry.issue`` + ``bake_image``, one transaction per row), measured in the same run on a
smaller count. Memory: the peak RSS of the parent and of the largest worker, and the parent's RSS after 10 % of
the rows and at the end (it must not grow with the count).
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openbadge_ctq import Evidence, Recipient, SigningKey, load_catalog
from openbadge_ctq.bake import bake_image, unbake_png
from openbadge_ctq.registry import Registry, RowOutcome, issue_many

ACHIEVEMENT = "writing-publicly-to-influence-colleagues"
NOW = datetime(2026, 11, 23, tzinfo=UTC)
ART = Path(__file__).resolve().parents[1] / "issuers/ctq/images/wpi-colleagues.png"


class BulkError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class BulkFigures:
    rows: int
    workers: int
    seconds: float
    per_s: float
    baseline_rows: int
    baseline_per_s: float
    parent_peak_mb: float
    worker_peak_mb: float
    parent_rss_early_mb: float
    parent_rss_end_mb: float


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rows(n: int, offset: int = 0) -> Iterator[dict[str, str]]:
    for i in range(offset, offset + n):
        yield {
            "recipient_email": f"teacher{i}@example.org",
            "recipient_name": f"Teacher {i}",
            "achievement": ACHIEVEMENT,
            "evidence_url": f"https://example.org/evidence/{i}",
            "level": "Proficient",
        }


def run_bulk(rows: int, baseline_rows: int, workers: int | None = None) -> BulkFigures:
    workers = workers or os.cpu_count() or 1
    catalog = load_catalog()
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(b"\x05" * 32), "bench")
    art = ART.read_bytes()
    with tempfile.TemporaryDirectory(prefix="badge-bench-bulk-") as folder:
        # baseline: one row at a time
        with Registry(f"sqlite:///{folder}/baseline.sqlite") as registry:
            started = time.perf_counter()
            for i, row in enumerate(_rows(baseline_rows)):
                issued = registry.issue(
                    catalog,
                    ACHIEVEMENT,
                    Recipient(email=row["recipient_email"], name=row["recipient_name"], hashed=True),
                    key,
                    now=NOW,
                    actor="bench",
                    levels="Proficient",
                    evidence=[Evidence(url=row["evidence_url"])],
                    natural_key=f"baseline-{i}",
                )
                bake_image(art, issued.record.document, ob_version=3)
            baseline_per_s = baseline_rows / (time.perf_counter() - started)
        # ours: the bulk pipeline
        with Registry(f"sqlite:///{folder}/bulk.sqlite") as registry:
            early = 0.0
            count = 0
            started = time.perf_counter()
            for result in issue_many(
                _rows(rows),
                registry=registry,
                catalog=catalog,
                key=key,
                issuer_id="ctq",
                now=NOW,
                actor="bench",
                workers=workers,
                bake={ACHIEVEMENT: art},
            ):
                if result.outcome is not RowOutcome.ISSUED or result.baked is None:
                    raise BulkError(f"bulk row {result.row}: {result.outcome} {result.reason}")
                count += 1
                if count == max(1, rows // 10):
                    early = _rss_mb()
                document = result.record.document if result.record is not None else ""
                if count in (1, rows) and json.loads(unbake_png(result.baked).payload) != json.loads(document):
                    raise BulkError(f"bulk row {result.row}: the baked image does not carry the credential")
            seconds = time.perf_counter() - started
            end = _rss_mb()
            if count != rows or registry.count() != rows:
                raise BulkError(f"bulk: {count} results and {registry.count()} records for {rows} rows")
    return BulkFigures(
        rows=rows,
        workers=workers,
        seconds=seconds,
        per_s=rows / seconds,
        baseline_rows=baseline_rows,
        baseline_per_s=baseline_per_s,
        parent_peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        worker_peak_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        parent_rss_early_mb=early,
        parent_rss_end_mb=end,
    )


def main(argv: list[str] | None = None) -> int:
    import argparse
    from dataclasses import asdict

    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows to issue (default 50,000)")
    parser.add_argument("--baseline-rows", type=int, default=500, help="rows for the one-at-a-time baseline")
    parser.add_argument("--workers", type=int, help="signing processes (default: one per CPU)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    args = parser.parse_args(argv)
    try:
        figures = run_bulk(args.rows, args.baseline_rows, args.workers)
    except BulkError as exc:
        print(f"bench.bulk: error: {exc}")
        return 2
    if args.json:
        print(json.dumps(asdict(figures)))
    else:
        f = figures
        print(
            f"{f.rows:,} rows in {f.seconds:.1f} s ({f.per_s:,.0f}/s, {f.workers} workers); one at a time: "
            f"{f.baseline_per_s:,.0f}/s; peak RSS parent {f.parent_peak_mb:.0f} MB, largest worker "
            f"{f.worker_peak_mb:.0f} MB; parent RSS after 10 %: {f.parent_rss_early_mb:.0f} MB, at the end: "
            f"{f.parent_rss_end_mb:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
