"""Four processes issue 2,000 credentials each into one new database at the same time: 8,000 records, 8,000 distinct
status-list indexes, no errors, on SQLite and on PostgreSQL.

The workers go through the real ``Registry.issue`` (reserve an index, sign, record). They sign VC-JWTs, which cost
well under a millisecond, so the test measures index allocation and recording rather than RDF canonicalisation. They
start together (a barrier) on an empty database, so the first-open migration races too.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.identity import Recipient
from openbadge_ctq.registry import AuditAction, Registry
from openbadge_ctq.status_publish import STATUS_LIST_SIZE

from .test_registry import KEY, NOW, RIVERBEND_MC
from .test_registry_db import BACKENDS, fresh_database

WORKERS = 4
PER_WORKER = 2_000


def _worker(url: str, worker: int, barrier: Any) -> None:
    catalog = load_catalog()
    barrier.wait(timeout=120)
    with Registry(url) as registry:
        for i in range(PER_WORKER):
            registry.issue(
                catalog,
                RIVERBEND_MC,
                Recipient(email=f"w{worker}-{i}@example.org"),
                KEY,
                now=NOW,
                actor=f"worker-{worker}",
                fmt="ob3-jwt",
                status="bitstring",
            )


@pytest.mark.timeout(600)
@pytest.mark.parametrize("backend", BACKENDS)
def test_four_processes_never_share_an_index(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(WORKERS)
        workers = [context.Process(target=_worker, args=(url, n, barrier)) for n in range(WORKERS)]
        started = time.monotonic()
        for process in workers:
            process.start()
        for process in workers:
            process.join(timeout=540)
        elapsed = time.monotonic() - started
        for process in workers:
            if process.is_alive():
                process.kill()
        assert [p.exitcode for p in workers] == [0] * WORKERS, f"a worker failed ({elapsed:.0f} s)"
        print(f"{backend}: {WORKERS * PER_WORKER} credentials by {WORKERS} processes in {elapsed:.1f} s")

        with Registry(url) as registry:
            assert registry.count() == WORKERS * PER_WORKER
            records = registry.list()
            audit = registry.audit()
        slots = [(s.list_name, s.purpose, s.index) for r in records for s in r.status_indexes]
        assert len(slots) == len(set(slots)) == WORKERS * PER_WORKER
        assert all(name == "revocation-1" and 0 <= index < STATUS_LIST_SIZE for name, _, index in slots)
        for record in records:  # the signed credential carries the index the registry allocated
            (slot,) = record.status_indexes
            assert record.credential["credentialStatus"]["statusListIndex"] == str(slot.index)
        assert len({r.id for r in records}) == len({r.recipient_hash for r in records}) == WORKERS * PER_WORKER
        assert {e.action for e in audit} == {AuditAction.ISSUE}
        assert Counter(e.actor for e in audit) == {f"worker-{n}": PER_WORKER for n in range(WORKERS)}
