"""Alembic environment of the central Postgres (separate from the counters' SQLite).

Its version table lives in the `sync` schema, so the central schema can share
a Supabase project's database with anything else.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

config = context.config


def _run(connection):  # type: ignore[no-untyped-def]
    connection.execute(text("CREATE SCHEMA IF NOT EXISTS sync"))
    connection.commit()
    context.configure(connection=connection, version_table="alembic_version",
                      version_table_schema="sync", transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


connectable = config.attributes.get("connection")
if connectable is None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
else:
    _run(connectable)
