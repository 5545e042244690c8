"""Fault injection: when the database, the disk or a status-list host fails, nothing is lost or half done.

Faults are real where the platform allows it, and injected at a precise moment through a narrow seam otherwise:

* **Registry database** (``Registry.issue`` and ``badge issue``): a genuinely full SQLite database
  (``PRAGMA max_page_count`` at the current size: the engine reports ``SQLITE_FULL``), a database opened read-only
  (``mode=ro``: ``SQLITE_READONLY``), files that cannot be opened or are not databases, a PostgreSQL server that
  refuses connections, and (with ``BADGE_TEST_POSTGRES``) a PostgreSQL backend terminated between the status-index
  reservation and the record. Each gives one clean ``StoreError`` line (CLI: ``Error: …``, exit 3, no traceback),
  nothing is returned or written as issued, no credential row lacks its audit row, and a Bitstring index reserved
  for a failed issuance is burned: never handed to a later credential. A locked database is not tested: the busy
  timeout is fixed at 60 s (see the report of issue #10).
* **Full disk for files**: a child process with ``RLIMIT_FSIZE`` (``SIGXFSZ`` ignored, so writes fail with
  ``EFBIG``) writes keys (generate, rotate, retire, revoke), ``badge bake -o`` in place, and ``badge issue --out``/
  ``--bake``. Stored data is byte-for-byte unchanged and no temporary file is left.
* **Status-list host down** (OB 3.0 Data Integrity and VC-JWT, Bitstring and 1EdTech lists): connection refused,
  no answer (timeout), HTTP 500, a body that is not JSON, JSON that is not a list — the ``status`` check fails
  closed; verifying offline (``OFFLINE``/``MapFetcher``/``badge verify --offline``) turns it into a warning, and a
  server cannot fake that warning with words in its answer (regression).

No assertion is about time: timeouts are short and only their outcome is checked.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import Pool

from openbadge_ctq import verify
from openbadge_ctq.catalog import load_catalog
from openbadge_ctq.did import build_did_web_document, did_web_from_base_url, did_web_to_url
from openbadge_ctq.errors import StoreError
from openbadge_ctq.fetch import HttpFetcher
from openbadge_ctq.identity import Recipient
from openbadge_ctq.interfaces import ChainFetcher, Fetched, Fetcher, MapFetcher
from openbadge_ctq.issue import SigningKey, issue_credential
from openbadge_ctq.issue_ob2 import issue_ob2
from openbadge_ctq.keys import MIN_PBKDF2_ROUNDS
from openbadge_ctq.model import Catalog
from openbadge_ctq.registry import Issuance, Registry, status_alloc
from openbadge_ctq.registry.schema import default_url, normalize_url
from openbadge_ctq.status_publish import (
    STATUS_LIST_SIZE,
    StatusListContent,
    bitstring_entry,
    build_status_documents,
    revocation_list_entry,
)
from openbadge_ctq.store import KeyStore
from openbadge_ctq.verify import Check, Status, VerificationReport
from openbadge_ctq_cli.main import badge

from ..conftest import REPO
from ..unit.test_registry import KEY, RIVERBEND_MC
from ..unit.test_registry_db import BACKENDS, fresh_database

NOW_UTC = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PASSPHRASE = "correct horse battery staple"
BASE = "https://riverbend.example/badges/"
DID = did_web_from_base_url(BASE)
DID_URL = did_web_to_url(DID)
loopback = pytest.mark.allow_hosts(["127.0.0.1"])
RSA = SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "key-rsa1")  # OB 2.0 signs RS256


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# ==========================================================================================================
# 1. The registry database fails during issuance


@dataclass(frozen=True)
class Facts:
    """What the registry's tables hold, read past the library (so a bug in it cannot hide a half-written row)."""

    credentials: frozenset[str]
    issue_audits: tuple[str, ...]
    audited: frozenset[str]
    reservations: tuple[tuple[str, str, int], ...]  # (credential id, list, index)

    def check_consistent(self) -> None:
        """Every credential has exactly one ``issue`` audit line, and every audit line names a credential."""
        assert sorted(self.issue_audits) == sorted(self.credentials), "a credential without its audit line"
        assert self.audited <= self.credentials, "an audit line of a credential that was not recorded"

    @property
    def burned(self) -> list[tuple[str, int]]:
        """Slots reserved for credentials that were never recorded."""
        return [(lst, idx) for cid, lst, idx in self.reservations if cid not in self.credentials]

    @property
    def used(self) -> list[tuple[str, int]]:
        return [(lst, idx) for cid, lst, idx in self.reservations if cid in self.credentials]


def facts(url: str) -> Facts:
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            credentials = frozenset(conn.scalars(text("SELECT id FROM badge_credentials")))
            issued = tuple(conn.scalars(text("SELECT credential_id FROM badge_audit_log WHERE action = 'issue'")))
            audited = frozenset(conn.scalars(text("SELECT credential_id FROM badge_audit_log")))
            rows = conn.execute(text("SELECT credential_id, list_name, idx FROM badge_status_indexes")).all()
    finally:
        engine.dispose()
    return Facts(credentials, issued, audited, tuple((str(r[0]), str(r[1]), int(r[2])) for r in rows))


def award(registry: Registry, catalog: Catalog, email: str, *, status: str, fmt: str = "ob3-di") -> Issuance:
    return registry.issue(
        catalog, RIVERBEND_MC, Recipient(email=email), KEY, now=NOW_UTC, actor="fault-test", status=status, fmt=fmt
    )


def sqlite_file(url: str) -> Path:
    return Path(normalize_url(url).database or "")


def page_count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])


@contextmanager
def sqlite_cannot_grow(pages: int) -> Iterator[None]:
    """Every SQLite connection opened meanwhile has ``max_page_count`` = ``pages``: a write that needs one page
    more fails inside SQLite with SQLITE_FULL ("database or disk is full"), exactly as on a full disk."""

    def limit(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Pool, "connect", limit)
    try:
        yield
    finally:
        event.remove(Pool, "connect", limit)


@contextmanager
def before_recording(action: Callable[[Any], None]) -> Iterator[list[bool]]:
    """Run ``action(connection)`` once, just before the first credential row is inserted (after the status index
    was reserved and the credential signed): the moment between steps 1 and 3 of ``Registry.issue``."""
    fired: list[bool] = []

    def before(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not fired and statement.lstrip().upper().startswith("INSERT INTO BADGE_CREDENTIALS"):
            fired.append(True)
            action(conn)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield fired
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def assert_one_line_store_error(error: StoreError, *expected: str) -> None:
    assert isinstance(error, StoreError)
    assert "\n" not in error.message and "Traceback" not in error.message
    for part in expected:
        assert part in error.message, error.message


def assert_burned_and_never_reused(url: str, catalog: Catalog, recorded_before: int) -> None:
    """One slot is burned; filling the (8-slot) list around it and opening the next never hands it out."""
    before = facts(url)
    before.check_consistent()
    assert len(before.credentials) == recorded_before
    (burned,) = before.burned
    with Registry(url) as registry:
        later = [award(registry, catalog, f"later{i}@example.org", status="bitstring").record for i in range(10)]
    after = facts(url)
    after.check_consistent()
    assert after.burned == [burned]
    used = after.used
    assert burned not in used
    assert len(used) == len(set(used)) == recorded_before + 10
    list_1 = {idx for lst, idx in used if lst == burned[0]}
    assert list_1 == set(range(8)) - {burned[1]}, "the full list was filled around the burned slot"
    assert {s.list_name for r in later for s in r.status_indexes} == {burned[0], "revocation-2"}


@pytest.fixture
def small_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Status lists of 8 entries, so a test can fill one and see where every index went."""
    monkeypatch.setattr(status_alloc, "STATUS_LIST_SIZE", 8)


@pytest.mark.usefixtures("small_lists")
def test_sqlite_full_after_the_reservation_burns_the_index(tmp_path: Path, catalog: Catalog) -> None:
    url = default_url(tmp_path / "reg")
    with Registry(url) as registry:
        first = award(registry, catalog, "first@example.org", status="bitstring")
    with (
        sqlite_cannot_grow(page_count(sqlite_file(url))),
        Registry(url) as registry,
        pytest.raises(StoreError) as caught,
    ):
        award(registry, catalog, "unlucky@example.org", status="bitstring")
    assert_one_line_store_error(caught.value, "database or disk is full", "registry sqlite:///")
    after = facts(url)
    assert after.credentials == {first.record.id}
    assert len(after.burned) == 1, "the reservation (its own transaction) committed; the record did not"
    assert_burned_and_never_reused(url, catalog, recorded_before=1)


@pytest.mark.parametrize(("status", "fmt"), [("1edtech", "ob3-di"), ("none", "ob3-jwt")])
def test_sqlite_full_records_nothing_for_other_status_methods(
    tmp_path: Path, catalog: Catalog, status: str, fmt: str
) -> None:
    url = default_url(tmp_path / "reg")
    with Registry(url) as registry:
        award(registry, catalog, "first@example.org", status=status, fmt=fmt)
    before = facts(url)
    with sqlite_cannot_grow(page_count(sqlite_file(url))), Registry(url) as registry:
        with pytest.raises(StoreError) as caught:
            award(registry, catalog, "unlucky@example.org", status=status, fmt=fmt)
        assert registry.count() == 1
    assert_one_line_store_error(caught.value, "database or disk is full")
    assert facts(url) == before


def test_a_read_only_database_refuses_before_reserving(tmp_path: Path, catalog: Catalog) -> None:
    url = default_url(tmp_path / "reg")
    with Registry(url) as registry:
        award(registry, catalog, "first@example.org", status="bitstring")
    before = facts(url)
    read_only = f"sqlite:///file:{sqlite_file(url)}?mode=ro&uri=true"
    with Registry(read_only) as registry:
        assert registry.count() == 1  # it reads
        for status in ("bitstring", "1edtech"):
            with pytest.raises(StoreError) as caught:
                award(registry, catalog, "unlucky@example.org", status=status)
            assert_one_line_store_error(caught.value, "attempt to write a readonly database")
    assert facts(url) == before  # not even a reservation


def test_a_registry_that_cannot_be_opened_is_one_clean_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        Registry(default_url(blocker))  # its folder is a file
    assert_one_line_store_error(caught.value, "unable to open database file")

    thesis = tmp_path / "thesis.txt"
    thesis.write_bytes(b"chapter one\n" * 100)
    with pytest.raises(StoreError) as caught:
        Registry(f"sqlite:///{thesis}")
    assert_one_line_store_error(caught.value, "file is not a database")
    assert thesis.read_bytes() == b"chapter one\n" * 100  # and the file is left alone


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@loopback
def test_a_postgresql_server_that_is_down_is_one_clean_error() -> None:
    url = f"postgresql://badge:secret-password@127.0.0.1:{closed_port()}/badge"
    with pytest.raises(StoreError) as caught:
        Registry(url)
    assert_one_line_store_error(caught.value, "Connection refused", "registry postgresql+psycopg://badge:***@")
    assert "secret-password" not in caught.value.message


@pytest.mark.usefixtures("small_lists")
def test_postgresql_backend_killed_after_the_reservation_burns_the_index(tmp_path: Path, catalog: Catalog) -> None:
    """Needs BADGE_TEST_POSTGRES (skipped otherwise): the server ends the registry's session between the
    reservation and the record, as a restart or failover would."""
    import psycopg

    with fresh_database("postgresql", tmp_path) as url:
        admin = normalize_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

        def terminate(conn: Any) -> None:
            pid = conn.connection.dbapi_connection.info.backend_pid
            with psycopg.connect(admin, autocommit=True) as other:
                assert other.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone() == (True,)

        with Registry(url) as registry:
            first = award(registry, catalog, "first@example.org", status="bitstring")
            with before_recording(terminate) as fired, pytest.raises(StoreError) as caught:
                award(registry, catalog, "unlucky@example.org", status="bitstring")
            assert fired == [True]
            assert_one_line_store_error(caught.value, "registry postgresql+psycopg://")
            assert registry.count() == 1
        assert facts(url).credentials == {first.record.id}
        assert_burned_and_never_reused(url, catalog, recorded_before=1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failed_record_leaves_the_registry_usable(tmp_path: Path, catalog: Catalog, backend: str) -> None:
    """After a failure the same Registry object issues again (no poisoned connection or transaction)."""
    with fresh_database(backend, tmp_path) as url, Registry(url) as registry:
        award(registry, catalog, "first@example.org", status="bitstring")

        def break_the_insert(conn: Any) -> None:
            conn.exec_driver_sql("SELECT * FROM no_such_table_fault_injected")

        with before_recording(break_the_insert), pytest.raises(StoreError) as caught:
            award(registry, catalog, "unlucky@example.org", status="bitstring")
        assert "no_such_table_fault_injected" in caught.value.message and "\n" not in caught.value.message
        award(registry, catalog, "after@example.org", status="bitstring")
        assert registry.count() == 2
    # (fresh_database dropped a PostgreSQL database; the SQLite file stays in tmp_path)


@pytest.mark.parametrize("how", ["deleted", "moved"])
def test_a_registry_file_deleted_or_moved_while_open_is_an_error_not_a_silent_loss(
    tmp_path: Path, catalog: Catalog, how: str
) -> None:
    url = default_url(tmp_path / "reg")
    path = sqlite_file(url)
    with Registry(url) as registry:
        award(registry, catalog, "first@example.org", status="bitstring")

        def vanish(_conn: Any) -> None:
            if how == "moved":  # only the main file, as `mv registry.sqlite backup/` does
                path.rename(path.with_name("moved.sqlite"))
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)

        with before_recording(vanish), pytest.raises(StoreError) as caught:
            award(registry, catalog, "lost@example.org", status="bitstring")
    assert_one_line_store_error(caught.value, str(path))


# ----------------------------------------------------------------------------------------------------------
# ... and through the CLI


@pytest.fixture
def home(badge_home: Path) -> Path:
    KeyStore(badge_home, kdf_rounds=MIN_PBKDF2_ROUNDS).add("riverbend", KEY.private_key, passphrase=PASSPHRASE.encode())
    return badge_home


def badge_issue(home: Path, out: Path, *extra: str, email: str = "t@example.org") -> Result:
    args = ["--home", str(home), "issue", "--issuer", "riverbend", "--achievement", RIVERBEND_MC]
    args += ["--recipient", email, "--now", "2026-11-23T12:00:00Z", "--out", str(out), *extra]
    return CliRunner().invoke(badge, args, env={"BADGE_PASSPHRASE": PASSPHRASE})


def error_line(stderr: str) -> str:
    """The ``Error: …`` line of a clean CLI failure: one line, at most followed by one ``Hint: …`` line."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) in (1, 2) and lines[0].startswith("Error: "), stderr
    assert len(lines) == 1 or lines[1].startswith("Hint: "), stderr
    return lines[0]


def assert_clean_cli_error(result: Result, *expected: str) -> None:
    assert result.exit_code == 3, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""  # nothing printed as issued
    line = error_line(result.stderr)
    for part in expected:
        assert part in line, line


@pytest.mark.usefixtures("small_lists")
@pytest.mark.parametrize("status", ["1edtech", "bitstring"])
def test_cli_issue_into_a_full_registry(home: Path, tmp_path: Path, status: str) -> None:
    first = badge_issue(home, tmp_path / "first.json", "--status", status)
    assert first.exit_code == 0, first.output
    url = default_url(home)
    before = facts(url)
    out = tmp_path / "unlucky.json"
    with sqlite_cannot_grow(page_count(sqlite_file(url))):
        result = badge_issue(home, out, "--status", status, email="unlucky@example.org")
    assert_clean_cli_error(result, "database or disk is full")
    assert not out.exists()
    after = facts(url)
    after.check_consistent()
    assert after.credentials == before.credentials
    assert len(after.burned) == (1 if status == "bitstring" else 0)


@loopback
def test_cli_issue_with_an_unavailable_registry(home: Path, tmp_path: Path) -> None:
    thesis = tmp_path / "thesis.txt"
    thesis.write_bytes(b"chapter one\n" * 100)
    for db, expected in (
        (f"postgresql://badge:pw@127.0.0.1:{closed_port()}/badge", "Connection refused"),
        (f"sqlite:///{thesis}", "file is not a database"),
    ):
        out = tmp_path / "never.json"
        result = badge_issue(home, out, "--db", db)
        assert_clean_cli_error(result, expected)
        assert not out.exists()
    assert thesis.read_bytes() == b"chapter one\n" * 100


# ==========================================================================================================
# 2. The disk fills up while files are written

CHILD = """
import json, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us


def disk_full(limit=64):
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
"""


def run_child(body: str, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BADGE_PASSPHRASE": PASSPHRASE, "PYTHONDONTWRITEBYTECODE": "1"}
    if home is not None:
        env["BADGE_HOME"] = str(home)
    code = CHILD + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120, cwd=REPO
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (temporary files included) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


KEY_STORE_CHILD = """
from pathlib import Path
from openbadge_ctq.errors import StoreError
from openbadge_ctq.keys import MIN_PBKDF2_ROUNDS
from openbadge_ctq.store import KeyStore

home, operation, key_id = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
store = KeyStore(home, kdf_rounds=MIN_PBKDF2_ROUNDS)
if operation == "rotate":  # the disk fills up right after the new key was written, while the old one is retired
    original = KeyStore.retire

    def retire(self, *args, **kwargs):
        disk_full()
        return original(self, *args, **kwargs)

    KeyStore.retire = retire
else:
    disk_full()
try:
    if operation in ("generate", "rotate"):
        store.generate("riverbend", passphrase=b"correct horse battery staple")
    else:
        getattr(store, operation)("riverbend", key_id)
    print(json.dumps({"ok": True}))
except StoreError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": exc.message}))
"""


@pytest.mark.parametrize("operation", ["generate", "rotate", "retire", "revoke"])
def test_the_key_store_on_a_full_disk_changes_nothing(tmp_path: Path, operation: str) -> None:
    home = tmp_path / "home"
    existing = KeyStore(home, kdf_rounds=MIN_PBKDF2_ROUNDS).add(
        "riverbend", KEY.private_key, passphrase=PASSPHRASE.encode()
    )
    before = snapshot(home)
    child = run_child(KEY_STORE_CHILD, str(home), operation, existing.key_id)
    assert child.returncode == 0, child.stderr
    outcome = json.loads(child.stdout)
    assert outcome.get("error") == "StoreError", outcome
    message = outcome["message"]
    assert "File too large" in message and "\n" not in message
    if operation == "rotate":  # regression: the new key used to stay, next to an old key still active
        assert message.startswith(f"could not retire key riverbend/{existing.key_id}, so the new key riverbend/key-")
        assert "was not kept (nothing changed)" in message
    else:
        assert message.startswith("cannot write key file ")
    assert snapshot(home) == before  # no new key, no temporary file, the stored key byte for byte
    assert KeyStore(home).active("riverbend").key_id == existing.key_id


CLI_CHILD = """
from openbadge_ctq.registry import Registry
original = Registry.issue


def issue(self, *args, **kwargs):
    issued = original(self, *args, **kwargs)
    disk_full(int(sys.argv[1]))  # the disk fills up once the credential is recorded, before the files are written
    return issued


Registry.issue = issue
from openbadge_ctq_cli.main import badge

sys.exit(badge.main(args=sys.argv[2:], prog_name="badge"))
"""


def cli_issue_on_a_full_disk(home: Path, *outputs: str) -> subprocess.CompletedProcess[str]:
    args = ["issue", "--issuer", "riverbend", "--achievement", RIVERBEND_MC, "--recipient", "t@example.org"]
    args += ["--now", "2026-11-23T12:00:00Z", *outputs]
    return run_child(CLI_CHILD, "512", *args, home=home)


@pytest.mark.parametrize("option", ["--out", "--bake"])
def test_cli_issue_output_on_a_full_disk_is_a_clean_error_and_the_credential_is_recorded(
    home: Path, tmp_path: Path, option: str
) -> None:
    target = tmp_path / ("credential.json" if option == "--out" else "badge.png")
    child = cli_issue_on_a_full_disk(home, option, str(target))
    assert child.returncode == 3, child.stderr
    assert "File too large" in error_line(child.stderr)
    recorded = facts(default_url(home))
    recorded.check_consistent()
    assert len(recorded.credentials) == 1  # issued and recorded (its document is in the registry): not lost


@pytest.mark.parametrize("option", ["--out", "--bake"])
def test_cli_issue_output_on_a_full_disk_leaves_the_earlier_file_intact(
    home: Path, tmp_path: Path, option: str
) -> None:
    target = tmp_path / ("credential.json" if option == "--out" else "badge.png")
    target.write_bytes(b"the credential issued last week\n")
    child = cli_issue_on_a_full_disk(home, option, str(target))
    assert child.returncode == 3, child.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == [target.name]  # no temporary file
    assert target.read_bytes() == b"the credential issued last week\n"
    assert str(target) in error_line(child.stderr)  # the message names the file


BAKE_CHILD = """
disk_full(int(sys.argv[1]))
from openbadge_ctq_cli.main import badge

sys.exit(badge.main(args=sys.argv[2:], prog_name="badge"))
"""


def test_regression_rebaking_in_place_on_a_full_disk_keeps_the_art(tmp_path: Path, catalog: Catalog) -> None:
    """``badge bake ART CREDENTIAL -o ART`` replaces the baked credential in place. It used to truncate ART and then
    fail, destroying the art; now the new image is written beside it and moved over it only when complete."""
    image = catalog.achievement(RIVERBEND_MC).image
    assert image is not None
    art = tmp_path / "badge.png"
    art.write_bytes(catalog.image_path(image, RIVERBEND_MC).with_suffix(".png").read_bytes())
    credential = tmp_path / "credential.json"
    credential.write_text(
        issue_credential(catalog, RIVERBEND_MC, Recipient(email="t@example.org"), KEY, now=NOW_UTC).document
    )
    before = art.read_bytes()
    child = run_child(BAKE_CHILD, str(len(before) // 2), "bake", str(art), str(credential), "-o", str(art))
    assert child.returncode == 3, child.stderr
    assert error_line(child.stderr) == f"Error: cannot write {art}: File too large"
    assert art.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["badge.png", "credential.json"]


# ==========================================================================================================
# 3. The status-list host is down


STATUS_ENTRIES = {
    "bitstring": bitstring_entry(BASE, "revocation-1", "revocation", 4242),
    "1edtech": revocation_list_entry(BASE),
}
NOT_A_LIST = {
    "bitstring": "is not a BitstringStatusListCredential",
    "1edtech": "is not a 1EdTech revocation list",
}
FORMATS = ("ob3-di", "ob3-jwt")


@pytest.fixture(scope="module")
def credentials(catalog: Catalog) -> dict[tuple[str, str], str]:
    """(dialect, format) → a Riverbend credential (did:web) with that status entry, signed with the fixed key."""
    return {
        (dialect, fmt): issue_credential(
            catalog,
            RIVERBEND_MC,
            Recipient(email="t@example.org"),
            KEY,
            fmt=fmt,
            now=NOW_UTC,
            credential_status=[entry],
        ).document
        for dialect, entry in STATUS_ENTRIES.items()
        for fmt in FORMATS
    }


DID_DOCUMENT = json.dumps(build_did_web_document(DID, [(KEY.key_id, KEY.private_key.public_key())])).encode()
SAVED = MapFetcher({DID_URL: DID_DOCUMENT})  # the issuer's DID document, saved: only the status list is missing


@dataclass(frozen=True)
class Rehosted:
    """The issuer's host, moved to a loopback port: ``BASE…`` is fetched as ``http://127.0.0.1:PORT/…`` by a real
    HttpFetcher, so connection errors, timeouts and bad answers are the real ones."""

    http: HttpFetcher
    port: int

    def fetch(self, url: str, *, accept: str = "application/json", trusted_only: bool = False) -> Fetched:
        assert url.startswith(BASE), url
        return self.http.fetch(f"http://127.0.0.1:{self.port}/{url[len(BASE) :]}", accept=accept)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, reply: Callable[[BaseHTTPRequestHandler], None]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reply = reply
        self.port = int(self.server_address[1])
        self.requests: list[str] = []
        self.stop = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that give up (the timeout case) are expected."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        with suppress(OSError):
            self.server.reply(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def answer(status: int, body: bytes, **headers: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def reply(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Length", str(len(body)))
        for name, value in {"Content-Type": "application/json", **headers}.items():
            h.send_header(name.replace("_", "-"), value)
        h.end_headers()
        h.wfile.write(body)

    return reply


def silence(h: BaseHTTPRequestHandler) -> None:
    """Accept the connection and never answer (until the test ends)."""
    assert isinstance(h.server, _Server)
    h.server.stop.wait(30)


def loopback_fetcher(*, quick: bool = False) -> HttpFetcher:
    """The network fetcher, allowed onto loopback; ``quick`` gives up on a silent host after 0.3 s (the others get
    a generous deadline, so a slow machine cannot turn an HTTP 500 into a timeout)."""
    timeout, total = (0.3, 0.6) if quick else (10.0, 20.0)
    return HttpFetcher(allow_http=True, allow_private=True, timeout=timeout, total_timeout=total)


@contextmanager
def status_host(fault: str) -> Iterator[tuple[Fetcher, _Server | None]]:
    if fault == "refused":
        port, server = closed_port(), None
    else:
        replies: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
            "timeout": silence,
            "http-500": answer(500, b"Internal Server Error", Content_Type="text/plain"),
            "garbage": answer(200, b"\x00\xff<html>maintenance</html>"),
            "not-a-list": answer(200, b'{"status": "ok"}'),
            "spoof-redirect": answer(302, b"", Location="/status/not available offline"),
            "spoof-encoding": answer(200, b"{}", Content_Encoding="not available offline"),
        }
        server = _Server(replies[fault])
        port = server.port
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    http = loopback_fetcher(quick=fault == "timeout")
    try:
        yield ChainFetcher((SAVED, Rehosted(http, port))), server
    finally:
        http.close()
        if server is not None:
            server.stop.set()
            server.shutdown()
            server.server_close()


def status_check(report: VerificationReport) -> Check:
    (check,) = [c for c in report.checks if c.id == "status"]
    return check


def failed(report: VerificationReport) -> list[str]:
    return [c.id for c in report.checks if c.status is Status.FAIL]


FAULTS = {
    "refused": "connection refused by 127.0.0.1 port",
    "timeout": "timed out after",
    "http-500": "HTTP 500 Internal Server Error",
    "garbage": "is not valid JSON",
    "not-a-list": "",  # per dialect, NOT_A_LIST
}


@loopback
@pytest.mark.timeout(60)
@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dialect", list(STATUS_ENTRIES))
def test_an_unreachable_status_list_fails_closed(
    credentials: dict[tuple[str, str], str], dialect: str, fmt: str, fault: str
) -> None:
    with status_host(fault) as (fetcher, server):
        report = verify(credentials[dialect, fmt], fetcher=fetcher, now=NOW_UTC + timedelta(days=1))
    assert not report.verified
    assert failed(report) == ["status"], report.to_json()
    check = status_check(report)
    expected = FAULTS[fault] or NOT_A_LIST[dialect]
    assert expected in check.message and "\n" not in check.message, check.message
    if server is not None:  # the fetch really reached the (broken) host
        assert server.requests == ["/status/" + ("revocation-1.json" if dialect == "bitstring" else "revocations.json")]
    # the same credential with its list served (not revoked) verifies: the failure above is the host's alone
    served = MapFetcher({DID_URL: DID_DOCUMENT, **served_lists()})
    assert verify(credentials[dialect, fmt], fetcher=served, now=NOW_UTC + timedelta(days=1)).verified


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dialect", list(STATUS_ENTRIES))
def test_verifying_offline_turns_an_unreachable_list_into_a_warning(
    credentials: dict[tuple[str, str], str], dialect: str, fmt: str
) -> None:
    report = verify(credentials[dialect, fmt], fetcher=SAVED, now=NOW_UTC + timedelta(days=1))
    assert report.verified, report.to_json()
    check = status_check(report)
    assert check.status is Status.WARN and check.message.startswith("status not checked: ")
    assert check.message.endswith("is not available offline")


@pytest.mark.parametrize("dialect", list(STATUS_ENTRIES))
def test_badge_verify_offline_warns_that_the_status_was_not_checked(
    credentials: dict[tuple[str, str], str], tmp_path: Path, dialect: str
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "did.json").write_bytes(DID_DOCUMENT)
    document = tmp_path / "credential.json"
    document.write_text(credentials[dialect, "ob3-di"], encoding="utf-8")
    args = ["verify", str(document), "--offline", "--url-map", f"{BASE}={site}", "--now", "2026-11-24T12:00:00Z"]
    result = CliRunner().invoke(badge, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["verified"] is True
    assert [w["id"] for w in report["warnings"]] == ["status"]


@loopback
@pytest.mark.timeout(60)
@pytest.mark.parametrize("fault", ["spoof-redirect", "spoof-encoding"])
@pytest.mark.parametrize("dialect", list(STATUS_ENTRIES))
def test_regression_a_status_host_cannot_fake_the_offline_warning(
    credentials: dict[tuple[str, str], str], dialect: str, fault: str
) -> None:
    """The offline warning used to be chosen by looking for "not available offline" in the fetch error's message,
    and a message can quote the server (a redirect target, a Content-Encoding): a host answering with those words
    turned the fail-closed status check into a warning, and a revoked credential verified."""
    with status_host(fault) as (fetcher, server):
        report = verify(credentials[dialect, "ob3-di"], fetcher=fetcher, now=NOW_UTC + timedelta(days=1))
    assert server is not None and server.requests
    check = status_check(report)
    assert "not available offline" in check.message  # the words did reach the message ...
    assert check.status is Status.FAIL and not report.verified  # ... and changed nothing


@loopback
@pytest.mark.timeout(60)
def test_regression_an_ob2_revocation_list_host_cannot_fake_the_offline_warning(catalog: Catalog) -> None:
    """The same fix in the Open Badges 2.0 verifier (its issuer's ``revocationList``)."""
    signed = issue_ob2(catalog, RIVERBEND_MC, Recipient(email="t@example.org"), fmt="ob2-signed", now=NOW_UTC, key=RSA)
    listing = "ob2/revocations.json"
    assert listing in signed.files
    site = MapFetcher({signed.base_url + path: data for path, data in signed.files.items() if path != listing})
    later = NOW_UTC + timedelta(days=1)
    offline = status_check(verify(signed.document, fetcher=site, now=later))
    assert offline.status is Status.WARN and offline.message.endswith("is not available offline")
    with status_host("spoof-redirect") as (_, server):
        assert server is not None
        fetcher = ChainFetcher((site, Rehosted(loopback_fetcher(), server.port)))
        report = verify(signed.document, fetcher=fetcher, now=later)
    assert server.requests == ["/" + listing]
    check = status_check(report)
    assert "not available offline" in check.message
    assert check.status is Status.FAIL and not report.verified


@cache
def served_lists() -> dict[str, bytes]:
    """Both status documents with nothing revoked, signed by the issuer's key, at their URLs."""
    empty = StatusListContent(name="revocation-1", purpose="revocation", size=STATUS_LIST_SIZE, set_indexes=frozenset())
    documents = build_status_documents(load_catalog().organization("riverbend"), KEY, [empty], [], now=NOW_UTC)
    return {BASE + relative: data for relative, data in documents.items()}
