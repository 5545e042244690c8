"""The registry from an empty database: credentials, status lists and indexes, append-only audit log, HMAC secret.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: INTEGER PRIMARY KEY is the rowid

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER badge_audit_log_no_update BEFORE UPDATE ON badge_audit_log "
    "BEGIN SELECT RAISE(ABORT, 'badge_audit_log is append-only'); END",
    "CREATE TRIGGER badge_audit_log_no_delete BEFORE DELETE ON badge_audit_log "
    "BEGIN SELECT RAISE(ABORT, 'badge_audit_log is append-only'); END",
)
_POSTGRESQL_TRIGGERS = (
    "CREATE FUNCTION badge_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'badge_audit_log is append-only'; END $$",
    "CREATE TRIGGER badge_audit_log_no_change BEFORE UPDATE OR DELETE ON badge_audit_log "
    "FOR EACH ROW EXECUTE FUNCTION badge_audit_log_append_only()",
    "CREATE TRIGGER badge_audit_log_no_truncate BEFORE TRUNCATE ON badge_audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION badge_audit_log_append_only()",
)


def upgrade() -> None:
    meta = op.create_table(
        "badge_meta",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "badge_credentials",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("issuer_id", sa.Text(), nullable=False),
        sa.Column("issuer_did", sa.Text(), nullable=False),
        sa.Column("achievement_id", sa.Text(), nullable=False),
        sa.Column("recipient_hash", sa.Text(), nullable=False),
        sa.Column("recipient_email", sa.Text(), nullable=True),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("valid_until", _TS, nullable=True),
        sa.Column("state", sa.Text(), nullable=False, server_default="active"),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("state_changed_at", _TS, nullable=True),
        sa.Column("natural_key", sa.Text(), nullable=True),
        sa.Column("locale", sa.Text(), nullable=True),
        sa.Column("status_method", sa.Text(), nullable=False, server_default="none"),
        sa.Column("document", sa.Text(), nullable=False),
        sa.CheckConstraint("state IN ('active', 'suspended', 'revoked')", name="ck_badge_credentials_state"),
        sa.CheckConstraint(
            "status_method IN ('none', '1edtech', 'bitstring')", name="ck_badge_credentials_status_method"
        ),
        sa.UniqueConstraint("natural_key", name="uq_badge_credentials_natural_key"),
    )
    op.create_index("ix_badge_credentials_issuer_issued", "badge_credentials", ["issuer_id", "issued_at"])
    op.create_index("ix_badge_credentials_achievement", "badge_credentials", ["achievement_id"])
    op.create_index("ix_badge_credentials_recipient", "badge_credentials", ["recipient_hash"])
    op.create_index("ix_badge_credentials_state", "badge_credentials", ["state"])
    op.create_table(
        "badge_status_lists",
        sa.Column("issuer_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("issuer_id", "name", name="pk_badge_status_lists"),
        sa.UniqueConstraint("issuer_id", "purpose", "seq", name="uq_badge_status_lists_seq"),
        sa.CheckConstraint("purpose IN ('revocation', 'suspension')", name="ck_badge_status_lists_purpose"),
    )
    op.create_table(
        "badge_status_indexes",
        sa.Column("issuer_id", sa.Text(), nullable=False),
        sa.Column("list_name", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Text(), nullable=False),
        sa.Column("reserved_at", _TS, nullable=False),
        sa.UniqueConstraint("issuer_id", "list_name", "purpose", "idx", name="uq_badge_status_indexes_slot"),
    )
    op.create_index("ix_badge_status_indexes_credential", "badge_status_indexes", ["credential_id"])
    op.create_table(
        "badge_audit_log",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("credential_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint("action IN ('issue', 'revoke', 'suspend', 'reinstate')", name="ck_badge_audit_log_action"),
    )
    op.create_index("ix_badge_audit_log_credential", "badge_audit_log", ["credential_id"])
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRESQL_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)
    op.bulk_insert(meta, [{"key": "recipient_hmac_key", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS badge_audit_log_no_change ON badge_audit_log")
        op.execute("DROP TRIGGER IF EXISTS badge_audit_log_no_truncate ON badge_audit_log")
        op.execute("DROP FUNCTION IF EXISTS badge_audit_log_append_only()")
    for table in ("badge_audit_log", "badge_status_indexes", "badge_status_lists", "badge_credentials", "badge_meta"):
        op.drop_table(table)
