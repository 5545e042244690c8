"""``badge issue --csv`` survives being killed: kill -9 a run of 5,000 rows mid-way, run it again, and the registry
holds exactly 5,000 credentials, none twice, with a report that accounts for every row. Ctrl-C stops a run cleanly.

The runs are real ``badge`` processes. They sign VC-JWTs (fast) so that the test is about recording, not signing;
the key and ``--now`` are fixed.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from openbadge_ctq.keys import MIN_PBKDF2_ROUNDS
from openbadge_ctq.registry import CSV_COLUMNS, Registry
from openbadge_ctq.store import KeyStore

from .test_registry import KEY, RIVERBEND_MC
from .test_registry_db import BACKENDS, fresh_database

ROWS = 5_000
PASSPHRASE = "correct horse battery staple"
NOW = "2026-11-23T12:00:00Z"


def write_roster(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for i in range(rows):
            writer.writerow([f"teacher{i}@example.org", f"Teacher {i}", RIVERBEND_MC, "", "", "", "", "", "", "en"])


def start(home: Path, db_url: str, roster: Path, report: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "openbadge_ctq_cli", "--home", str(home), "issue", "--issuer", "riverbend"]
    command += ["--csv", str(roster), "--format", "ob3-jwt", "--status", "bitstring", "--now", NOW]
    command += ["--report", str(report), "--db", db_url, "--actor", "crash-test"]
    env = {**os.environ, "BADGE_PASSPHRASE": PASSPHRASE}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def setup(tmp_path: Path, rows: int) -> tuple[Path, Path]:
    home = tmp_path / "home"
    KeyStore(home, kdf_rounds=MIN_PBKDF2_ROUNDS).add("riverbend", KEY.private_key, passphrase=PASSPHRASE.encode())
    roster = tmp_path / "roster.csv"
    write_roster(roster, rows)
    return home, roster


@pytest.mark.timeout(600)
@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_mid_run_then_rerun(backend: str, tmp_path: Path) -> None:
    home, roster = setup(tmp_path, ROWS)
    with fresh_database(backend, tmp_path) as url, Registry(url) as registry:
        first_report = tmp_path / "first.csv"
        run = start(home, url, roster, first_report)
        try:
            wait_until(lambda: registry.count() >= ROWS // 5 or run.poll() is not None, 240, "1,000 rows")
            assert run.poll() is None, run.communicate()[1].decode()
            run.send_signal(signal.SIGKILL)
        finally:
            run.kill()
            run.communicate(timeout=60)
        assert run.returncode == -signal.SIGKILL
        killed_at = registry.count()
        assert ROWS // 5 <= killed_at < ROWS
        with first_report.open(encoding="utf-8", newline="") as handle:
            partial = list(csv.DictReader(handle))
        recorded = {r.id for r in registry.list()}
        # the report written before the kill names only recorded credentials (at most the last row is missing)
        assert killed_at - 1 <= len(partial) <= killed_at
        assert all(row["outcome"] == "issued" and row["credential_id"] in recorded for row in partial)

        second_report = tmp_path / "second.json"
        rerun = start(home, url, roster, second_report)
        out, err = rerun.communicate(timeout=480)
        assert rerun.returncode == 0, err.decode()
        assert f"Issued {ROWS - killed_at}, already issued {killed_at}, failed 0 of {ROWS} rows" in out.decode()

        records = registry.list()
        assert registry.count() == len(records) == ROWS
        assert len({r.recipient_hash for r in records}) == len({r.natural_key for r in records}) == ROWS
        slots = [(s.list_name, s.index) for r in records for s in r.status_indexes]
        assert len(slots) == len(set(slots)) == ROWS
        report = json.loads(second_report.read_text(encoding="utf-8"))
        assert report["complete"] is True
        rows = report["rows"]
        assert [r["row"] for r in rows] == list(range(2, ROWS + 2))
        outcomes = [r["outcome"] for r in rows]
        assert outcomes.count("skipped") == killed_at and outcomes.count("issued") == ROWS - killed_at
        assert {r["credentialId"] for r in rows} == {r.id for r in records}
        assert {r["recipientEmail"] for r in rows} == {f"teacher{i}@example.org" for i in range(ROWS)}
        previously = {row["credential_id"] for row in partial}
        assert all(r["outcome"] == "skipped" for r in rows if r["credentialId"] in previously)


def test_ctrl_c_stops_cleanly_and_the_rerun_finishes(tmp_path: Path) -> None:
    rows = 1_500
    home, roster = setup(tmp_path, rows)
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    with Registry(url) as registry:
        report = tmp_path / "report.json"
        run = start(home, url, roster, report)
        try:
            wait_until(lambda: registry.count() >= 100 or run.poll() is not None, 240, "100 rows")
            assert run.poll() is None, run.communicate()[1].decode()
            run.send_signal(signal.SIGINT)
            _, err = run.communicate(timeout=60)
        finally:
            run.kill()
            run.communicate(timeout=60)
        assert run.returncode == 130, err.decode()
        done = registry.count()
        assert 100 <= done < rows
        assert f"Interrupted after {done} of {rows} rows; every finished row is recorded." in err.decode()
        assert "Stopping after the rows under way" in err.decode()
        partial = json.loads(report.read_text(encoding="utf-8"))
        assert partial["complete"] is False and len(partial["rows"]) == done
        assert {r["credentialId"] for r in partial["rows"]} == {r.id for r in registry.list()}

        rerun = start(home, url, roster, report)
        _, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err.decode()
        assert registry.count() == rows
        final = json.loads(report.read_text(encoding="utf-8"))
        assert final["complete"] is True and len(final["rows"]) == rows
