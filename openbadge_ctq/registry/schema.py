"""The registry's database: tables, engine set-up for SQLite and PostgreSQL, transactions, and migrations.

Tables are prefixed ``badge_`` so that the registry can share a database with a host platform::

    badge_meta              key/value: the registry's HMAC secret for recipient hashes
    badge_credentials       one row per issued credential, with its signed document
    badge_status_lists      the Bitstring Status Lists of each issuer, per purpose
    badge_status_indexes    (issuer, list, purpose, index) → credential; the unique key makes allocation atomic
    badge_audit_log         append-only (the database refuses UPDATE and DELETE)
    badge_alembic_version   the schema revision (Alembic's version table, renamed)

SQLite runs in WAL mode; every write transaction starts with ``BEGIN IMMEDIATE`` (it takes the write lock at once,
so two writers never deadlock upgrading a read lock) and waits up to 60 s for a busy database. PostgreSQL runs at
READ COMMITTED; allocation relies on unique keys, not on isolation.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from ..errors import BadgeError, InputError, StoreError, UnsupportedError

__all__ = [
    "MIGRATIONS_DIR",
    "REGISTRY_FILE",
    "VERSION_TABLE",
    "Database",
    "UTCDateTime",
    "audit_table",
    "credentials_table",
    "default_url",
    "meta_table",
    "metadata",
    "normalize_url",
    "status_indexes_table",
    "status_lists_table",
]

log = logging.getLogger(__name__)

REGISTRY_FILE: Final = "registry.sqlite"
VERSION_TABLE: Final = "badge_alembic_version"
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
SECRET_KEY: Final = "recipient_hmac_key"
_MIGRATION_LOCK: Final = 0x6F62_3363_7471  # pg_advisory_xact_lock key ("ob3ctq")
_WRITE: Final = "badge_write"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite stores them as naive UTC text, PostgreSQL as timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise InputError(f"date-time {value.isoformat()} has no time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()
"""The tables as the code uses them. The migrations create them; a test checks that the two agree."""

meta_table = Table(
    "badge_meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

credentials_table = Table(
    "badge_credentials",
    metadata,
    Column("id", Text, primary_key=True),
    Column("issuer_id", Text, nullable=False),
    Column("issuer_did", Text, nullable=False),
    Column("achievement_id", Text, nullable=False),
    Column("recipient_hash", Text, nullable=False),
    Column("recipient_email", Text, nullable=True),
    Column("format", Text, nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=True),
    Column("state", Text, nullable=False, server_default="active"),
    Column("state_reason", Text, nullable=True),
    Column("state_changed_at", UTCDateTime(), nullable=True),
    Column("natural_key", Text, nullable=True),
    Column("locale", Text, nullable=True),
    Column("status_method", Text, nullable=False, server_default="none"),
    Column("document", Text, nullable=False),
    CheckConstraint("state IN ('active', 'suspended', 'revoked')", name="ck_badge_credentials_state"),
    CheckConstraint("status_method IN ('none', '1edtech', 'bitstring')", name="ck_badge_credentials_status_method"),
    UniqueConstraint("natural_key", name="uq_badge_credentials_natural_key"),
    Index("ix_badge_credentials_issuer_issued", "issuer_id", "issued_at"),
    Index("ix_badge_credentials_achievement", "achievement_id"),
    Index("ix_badge_credentials_recipient", "recipient_hash"),
    Index("ix_badge_credentials_state", "state"),
)

status_lists_table = Table(
    "badge_status_lists",
    metadata,
    Column("issuer_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("issuer_id", "name", name="pk_badge_status_lists"),
    UniqueConstraint("issuer_id", "purpose", "seq", name="uq_badge_status_lists_seq"),
    CheckConstraint("purpose IN ('revocation', 'suspension')", name="ck_badge_status_lists_purpose"),
)

status_indexes_table = Table(
    "badge_status_indexes",
    metadata,
    Column("issuer_id", Text, nullable=False),
    Column("list_name", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("idx", Integer, nullable=False),
    Column("credential_id", Text, nullable=False),
    Column("reserved_at", UTCDateTime(), nullable=False),
    UniqueConstraint("issuer_id", "list_name", "purpose", "idx", name="uq_badge_status_indexes_slot"),
    Index("ix_badge_status_indexes_credential", "credential_id"),
)

audit_table = Table(
    "badge_audit_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("credential_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=True),
    CheckConstraint("action IN ('issue', 'revoke', 'suspend', 'reinstate')", name="ck_badge_audit_log_action"),
    Index("ix_badge_audit_log_credential", "credential_id"),
)


def default_url(home: Path) -> str:
    """``sqlite:///<home>/registry.sqlite``."""
    return URL.create("sqlite", database=str(Path(home) / REGISTRY_FILE)).render_as_string(hide_password=False)


def normalize_url(url: str | URL) -> URL:
    """Parse a registry URL; ``postgresql://`` and ``postgres://`` use psycopg 3. Only SQLite and PostgreSQL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(
            "the registry URL is not a database URL (expected sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    if parsed.drivername in {"postgres", "postgresql"}:
        return parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend == "postgres":
        return parsed.set(drivername="postgresql" + parsed.drivername[len("postgres") :])
    if backend not in {"sqlite", "postgresql"}:
        raise UnsupportedError(f"registry database {backend!r} is not supported (expected sqlite or postgresql)")
    return parsed


def _db_message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    on_disk = bool(database) and database != ":memory:" and not database.startswith("file:")
    if on_disk:
        path = Path(database).expanduser()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # never readable by others
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreError(f"cannot create the registry {path}: {exc.strerror or exc}") from None
        engine = create_engine(url.set(database=str(path)), connect_args={"timeout": 60})
    else:
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the "begin" hook below issues BEGIN itself
        for attempt in range(200):
            try:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA busy_timeout = 60000")
                cursor.execute("PRAGMA foreign_keys = ON")
                if on_disk:
                    cursor.execute("PRAGMA journal_mode = WAL")
                cursor.close()
                return
            except sqlite3.OperationalError as exc:  # another process is creating the file or switching to WAL
                if "locked" not in str(exc) or attempt == 199:
                    raise
                time.sleep(0.05)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def _engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ImportError, NoSuchModuleError):
        raise StoreError(
            "the PostgreSQL driver psycopg 3 is not installed",
            hint="pip install 'openbadge_ctq[postgresql]' (psycopg[binary])",
        ) from None


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class Database:
    """An engine with the registry's transaction rules; every database error becomes a StoreError."""

    def __init__(self, url: str | URL) -> None:
        self.url = normalize_url(url)
        self.engine = _engine(self.url)
        self.dialect = self.engine.dialect.name
        # SQLite in WAL mode goes on writing into a file that was deleted or moved while open: every write checks,
        # under the write lock and before committing, that the path still names the file it opened
        self._file = _sqlite_file(self.url)
        self._identity = _file_identity(self._file) if self._file is not None else None

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def errors(self) -> Iterator[None]:
        try:
            yield
        except BadgeError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"registry {self.display_url}: {_db_message(exc)}") from exc

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (SQLite: BEGIN IMMEDIATE); commits when the block ends without an exception."""
        with self.errors(), self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn
                self._check_file()

    def _check_file(self) -> None:
        if self._file is None or _file_identity(self._file) == self._identity:
            return
        raise StoreError(
            f"registry {self._file} was deleted or moved while in use, so nothing was recorded",
            hint="put the file back (with its -wal and -shm files) and run the command again",
        )

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.errors(), self.engine.connect() as conn, conn.begin():
            yield conn

    # -- migrations ------------------------------------------------------------------------------------------

    @staticmethod
    def head() -> str:
        """The newest schema revision this version of the package knows."""
        from alembic.script import ScriptDirectory

        head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
        if head is None:  # pragma: no cover - the package ships its migrations
            raise StoreError(f"no migrations found in {MIGRATIONS_DIR}")
        return head

    @staticmethod
    def _revision(conn: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()

    def revision(self) -> str | None:
        """The schema revision the database is at (None for an empty database)."""
        with self.read() as conn:
            return self._revision(conn)

    def migrate(self) -> None:
        """Bring the database up to :meth:`head`, from empty or from any older revision, in one transaction.

        Safe when several processes open a new database at once: PostgreSQL takes an advisory lock, SQLite the
        write lock, and the revision is read again under the lock.
        """
        from alembic import command
        from alembic.config import Config
        from alembic.util.exc import CommandError

        head = self.head()
        if self.revision() == head:
            return
        with self.write() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            current = self._revision(conn)
            if current == head:
                return
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = conn
            config.attributes["version_table"] = VERSION_TABLE
            log.info("migrating registry %s from %s to %s", self.display_url, current or "empty", head)
            try:
                command.upgrade(config, "head")
            except CommandError as exc:
                raise StoreError(
                    f"registry {self.display_url} is at schema revision {current}, which this version of "
                    f"openbadge_ctq does not know ({exc})",
                    hint="upgrade openbadge_ctq to the version that wrote this registry",
                ) from None

    def check_current(self) -> None:
        head, current = self.head(), self.revision()
        if current != head:
            raise StoreError(
                f"registry {self.display_url} is at schema revision {current or 'none (empty)'}, this version "
                f"needs {head}",
                hint="open it once with migrations enabled (the badge command does) to upgrade it",
            )

    def secret(self) -> bytes:
        """The registry's HMAC key for recipient hashes (created by the first migration)."""
        with self.read() as conn:
            value = conn.scalar(select(meta_table.c.value).where(meta_table.c.key == SECRET_KEY))
        if not value:
            raise StoreError(f"registry {self.display_url} is damaged: its recipient hash secret is missing")
        return bytes.fromhex(value)
