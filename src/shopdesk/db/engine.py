"""The SQLite engine: WAL, foreign keys, and BEGIN IMMEDIATE for writers.

pysqlite's own transaction handling is switched off (the SQLAlchemy-documented
recipe) so that we emit BEGIN ourselves: write sessions begin IMMEDIATE and
take the database write lock up front, so two processes (the app and a CLI
import) queue on `busy_timeout` instead of failing half-way with SQLITE_BUSY.

Connections are SQLCipher's (`db.cipher.connect`, keyed before SQLAlchemy sees
them); the dialect is pysqlite driving the `sqlcipher3` module, so its errors map
to SQLAlchemy's as the standard library's would.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from shopdesk.db import cipher, dbkey

_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
)
# How long one BEGIN IMMEDIATE waits inside SQLite for another process's write lock;
# `Store.write()` retries on top of it up to its own bound.
BUSY_TIMEOUT = 10.0
BUSY_ENV = "SHOPDESK_BUSY_TIMEOUT"  # seconds a write waits for a busy database
DEFAULT_BUSY_SECONDS = 30.0


def busy_seconds() -> float:
    """How long a write waits for another process's write lock before giving up:
    ``$SHOPDESK_BUSY_TIMEOUT`` seconds (0.1 to 3600), else 30."""
    try:
        value = float(os.environ.get(BUSY_ENV, DEFAULT_BUSY_SECONDS))
    except ValueError:
        return DEFAULT_BUSY_SECONDS
    return min(max(value, 0.1), 3600.0)


def is_busy(error: BaseException) -> bool:
    """True for SQLite's "database is locked/busy" (another process holds the write lock)."""
    if isinstance(error, DBAPIError):
        error = error.orig or error
    text = str(error).lower()
    # the standard library's and SQLCipher's OperationalError alike
    return isinstance(error, sqlite3.OperationalError | cipher.sqlcipher.OperationalError) and (
        "database is locked" in text or "database is busy" in text)


def make_engine(db_path: Path, key: cipher.DbKey | None = None,
                foreign_keys: bool = True, busy_timeout: float = BUSY_TIMEOUT) -> Engine:
    """The engine on `db_path`, keyed with `key` (None: this database's key, found
    as `db.dbkey` finds it). Sync applies pulled pages with `foreign_keys=False`:
    pages arrive in server commit order, so a child may land a page before its
    parent; the server checked the reference when it accepted the row."""
    key = key or dbkey.for_database(db_path)

    def connect() -> Any:
        return cipher.connect(db_path, key, timeout=busy_timeout)

    # QueuePool, as pysqlite uses for a file (the pysqlcipher dialect would pick a
    # thread-bound pool); the creator keys each connection before anything reads.
    engine = create_engine(f"sqlite:///{db_path}", module=cipher.sqlcipher, creator=connect,
                           poolclass=QueuePool, future=True)
    pragmas = (*(_PRAGMAS if foreign_keys else ("PRAGMA foreign_keys=OFF", *_PRAGMAS[1:])),
               f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def session_factories(engine: Engine) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """(reader, writer) session factories; the writer's transactions begin IMMEDIATE."""
    reader = sessionmaker(engine, expire_on_commit=False)
    writer = sessionmaker(
        engine.execution_options(sqlite_immediate=True), expire_on_commit=False
    )
    return reader, writer
