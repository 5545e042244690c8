"""Alembic environment of the registry.

Migrations run only through :meth:`openbadge_ctq.registry.Registry.migrate`, which opens the transaction, takes the
lock and passes its connection and version table here. There is no ``alembic.ini`` and no offline (``--sql``) mode.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("registry migrations run through openbadge_ctq.registry.Registry(url).migrate()")

context.configure(
    connection=connection,
    version_table=config.attributes.get("version_table", "badge_alembic_version"),
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
