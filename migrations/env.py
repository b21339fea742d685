"""Alembic environment: SQLite in batch mode, metadata from shopdesk.models.

The database is opened as the app opens it (`make_engine`: SQLCipher, with the key
in `config.attributes["db_key"]`, else the database's own), unless the caller hands
over a connection in `config.attributes["connection"]`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import context

from shopdesk.db.engine import make_engine
from shopdesk.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        url = config.get_main_option("sqlalchemy.url") or ""
        # Foreign keys off, as SQLite's batch migrations need (a table rebuilt by
        # copy must not cascade into, or be refused by, the tables pointing at it).
        engine = make_engine(Path(url.removeprefix("sqlite:///")),
                             config.attributes.get("db_key"), foreign_keys=False)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection):  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
