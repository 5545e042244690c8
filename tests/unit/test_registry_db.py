"""The registry's database: migrations from an empty database, URLs, file permissions, the append-only audit log.

Also home of :func:`fresh_database`, which the other registry tests use: every test gets a new SQLite file or a new
PostgreSQL database. PostgreSQL tests run when ``BADGE_TEST_POSTGRES`` holds a DSN (``bash .ci/postgres.sh`` starts
a server and prints one). Without it they are skipped, except in CI (``CI=true``), where they fail: the registry
must be tested against both databases there.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from openbadge_ctq.errors import InputError, StoreError, UnsupportedError
from openbadge_ctq.registry import REGISTRY_FILE, Registry, default_url
from openbadge_ctq.registry.schema import VERSION_TABLE, Database, UTCDateTime, metadata, normalize_url

POSTGRES_ENV = "BADGE_TEST_POSTGRES"
BACKENDS = ("sqlite", "postgresql")


def postgres_dsn() -> str:
    """The test server's DSN, or skip (fail in CI) when there is none."""
    dsn = os.environ.get(POSTGRES_ENV, "").strip()
    if dsn:
        return dsn
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: run .ci/postgres.sh and export the DSN it prints")
    pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (bash .ci/postgres.sh starts a server and prints one)")


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (SQLite file or PostgreSQL database), dropped afterwards."""
    if backend == "sqlite":
        yield default_url(tmp_path / f"db-{secrets.token_hex(4)}")
        return
    import psycopg

    dsn = make_url(postgres_dsn())
    name = f"badge_test_{secrets.token_hex(6)}"
    admin = dsn.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield dsn.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


def test_migration_from_an_empty_database(db_url: str) -> None:
    database = Database(db_url)
    try:
        assert database.revision() is None
        with pytest.raises(StoreError, match="schema revision none"):
            database.check_current()
    finally:
        database.dispose()
    with Registry(db_url) as registry:
        assert registry.schema_revision() == Database.head() == "0001"
    engine = create_engine(normalize_url(db_url))
    try:
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in metadata.sorted_tables} | {VERSION_TABLE} <= tables
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM badge_meta")) == 1
    finally:
        engine.dispose()
    with Registry(db_url, migrate=False) as again:  # already current: opens without migrating
        assert again.schema_revision() == "0001"


def test_migrated_schema_matches_the_tables_the_code_uses(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    Registry(db_url).close()
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = [d for d in compare_metadata(context, metadata) if "alembic_version" not in str(d)]
    finally:
        engine.dispose()
    assert differences == []


def test_downgrade_to_empty_and_upgrade_again(db_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from openbadge_ctq.registry.schema import MIGRATIONS_DIR

    Registry(db_url).close()
    database = Database(db_url)
    try:
        with database.write() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = conn
            config.attributes["version_table"] = VERSION_TABLE
            command.downgrade(config, "base")
        assert database.revision() is None
        assert {t.name for t in metadata.sorted_tables} & set(inspect(database.engine).get_table_names()) == set()
        database.migrate()
        assert database.revision() == "0001"
    finally:
        database.dispose()


def test_a_database_from_a_newer_version_is_refused(db_url: str) -> None:
    Registry(db_url).close()
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="9999") as caught:
        Registry(db_url)
    assert caught.value.hint and "upgrade openbadge_ctq" in caught.value.hint


def test_the_audit_log_is_append_only(db_url: str) -> None:
    Registry(db_url).close()
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO badge_audit_log (credential_id, action, actor, at) "
                    "VALUES ('urn:uuid:x', 'issue', 'me', :at)"
                ),
                {"at": datetime(2026, 1, 1)},
            )
        for statement in ("UPDATE badge_audit_log SET actor = 'someone else'", "DELETE FROM badge_audit_log"):
            with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT actor FROM badge_audit_log")) == "me"
    finally:
        engine.dispose()


def test_the_sqlite_file_is_private_and_in_the_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Registry.at_home(home) as registry:
        assert registry.dialect == "sqlite"
        assert registry.url.endswith(f"{home}/{REGISTRY_FILE}")
    path = home / REGISTRY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    engine = create_engine(normalize_url(default_url(home)))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_urls() -> None:
    assert normalize_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.sqlite").drivername == "sqlite"
    with pytest.raises(UnsupportedError, match="'mysql' is not supported"):
        normalize_url("mysql://u@h/db")
    with pytest.raises(InputError, match="not a database URL"):
        normalize_url("registry.sqlite")
    registry = Registry("sqlite://")  # in memory
    try:
        assert repr(registry) == "Registry('sqlite://')"
    finally:
        registry.close()


def test_passwords_are_hidden_in_messages(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        Registry("postgresql://badge:s3cret-pw@127.0.0.1:1/nothing")
    assert "s3cret-pw" not in caught.value.message
    assert "***" in caught.value.message


def test_times_without_a_zone_are_refused() -> None:
    from sqlalchemy.dialects import sqlite

    column_type = UTCDateTime()
    with pytest.raises(InputError, match="no time zone"):
        column_type.process_bind_param(datetime(2026, 1, 1), sqlite.dialect())
    stored = column_type.process_bind_param(datetime(2026, 1, 1, 12, tzinfo=UTC), sqlite.dialect())
    assert stored == datetime(2026, 1, 1, 12)
    assert column_type.process_result_value(stored, sqlite.dialect()) == datetime(2026, 1, 1, 12, tzinfo=UTC)
