"""Alembic migrations of the issuance registry, run by ``Registry.migrate()`` (never by the alembic command)."""
