"""Change capture for sync: generated SQLite triggers that fill the outbox.

Triggers, not ORM events, because they see every write (ORM, Core executemany,
raw SQL) and run inside the writer's own transaction: a business write and its
outbox row commit together or not at all. They fire only while
`sync_state.capture = 1`, which is off before this counter joins a store and
while pulled changes are applied (so nothing echoes back).

Every migration that changes a synced table calls `install(connection)` again:
the trigger column lists are read from the table as it is then.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shopdesk.models.sync import SYNCED, SyncedTable

_ENABLED = "(SELECT capture FROM sync_state WHERE one = 1) = 1"
_NEXT = "UPDATE sync_state SET next_seq = next_seq + 1 WHERE one = 1;"
_SEQ = "(SELECT next_seq FROM sync_state WHERE one = 1)"
_UUID = "lower(hex(randomblob(16)))"
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


def synced_columns(connection: Any, table: SyncedTable) -> list[str]:
    rows = connection.exec_driver_sql(f"PRAGMA table_info({table.name})").fetchall()
    return [r[1] for r in rows if r[1] not in table.local_only]


def json_object_sql(prefix: str, columns: list[str]) -> str:
    return "json_object(" + ", ".join(f"'{c}', {prefix}.{c}" for c in columns) + ")"


def _changed_object(prefix: str, columns: list[str]) -> str:
    parts = " UNION ALL ".join(
        f"SELECT '{c}' AS k, {prefix}.{c} AS v WHERE OLD.{c} IS NOT NEW.{c}" for c in columns)
    return f"(SELECT json_group_object(k, v) FROM ({parts}))"


def trigger_sql(table: SyncedTable, columns: list[str]) -> list[str]:
    """The CREATE TRIGGER statements for one synced table."""
    t, pk = table.name, table.pk
    insert_cols = ("device_seq, mutation_id, kind, table_name, row_id, op, new_values, "
                   "base_values, status, attempts, created_at")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    return [
        f"""CREATE TRIGGER sync_{t}_insert AFTER INSERT ON {t} WHEN {_ENABLED}
BEGIN {_NEXT}
INSERT INTO sync_outbox ({insert_cols}) VALUES ({_SEQ}, {_UUID}, 'row', '{t}', NEW.{pk},
 'insert', {json_object_sql('NEW', columns)}, NULL, 'pending', 0, {_NOW});
END""",
        f"""CREATE TRIGGER sync_{t}_update AFTER UPDATE ON {t} WHEN {_ENABLED} AND ({changed})
BEGIN {_NEXT}
INSERT INTO sync_outbox ({insert_cols}) VALUES ({_SEQ}, {_UUID}, 'row', '{t}', NEW.{pk},
 'update', {_changed_object('NEW', columns)}, {_changed_object('OLD', columns)},
 'pending', 0, {_NOW});
END""",
        f"""CREATE TRIGGER sync_{t}_delete AFTER DELETE ON {t} WHEN {_ENABLED}
BEGIN {_NEXT}
INSERT INTO sync_outbox ({insert_cols}) VALUES ({_SEQ}, {_UUID}, 'row', '{t}', OLD.{pk},
 'delete', NULL, {json_object_sql('OLD', columns)}, 'pending', 0, {_NOW});
END""",
    ]


def drop_triggers(connection: Any, prefix: str) -> None:
    """Drop every trigger whose name starts with `prefix` (a family of generated ones)."""
    escaped = prefix.replace("_", "\\_")
    names = [r[0] for r in connection.exec_driver_sql(
        f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '{escaped}%' "
        "ESCAPE '\\'")]
    for name in names:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def uninstall(connection: Any) -> None:
    """Drop every capture trigger (a migration that rebuilds tables does this first)."""
    drop_triggers(connection, "sync_")


def install(connection: Any) -> None:
    """(Re)create the capture triggers of every synced table from its current columns.

    A migration runs this with the tables as they are at that revision: a synced table
    a later revision creates is skipped here and gets its triggers there."""
    present = {r[0] for r in connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in SYNCED:
        if table.name not in present:
            continue
        for op in ("insert", "update", "delete"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS sync_{table.name}_{op}")
        for statement in trigger_sql(table, synced_columns(connection, table)):
            connection.exec_driver_sql(statement)


@contextmanager
def paused(connection: Any) -> Iterator[None]:
    """Writes made inside are not captured: they came from the server (a pull) or
    the server will make them itself (a merge). Use inside a write transaction;
    if it fails, the rollback undoes the switch too. A counter that never joined
    has no sync_state row, so its writes stay uncaptured either way."""
    connection.exec_driver_sql("UPDATE sync_state SET capture = 0 WHERE one = 1")
    yield
    connection.exec_driver_sql("UPDATE sync_state SET capture = 1 WHERE one = 1")


def queue_command(connection: Any, kind: str, payload: dict[str, Any]) -> bool:
    """Queue a staff decision the server must apply too (a merge, a conflict resolution,
    an erasure) in the caller's transaction, at the next position of the outbox.
    A counter standing alone has no one to tell: returns False and queues nothing."""
    joined = connection.exec_driver_sql("SELECT capture FROM sync_state").first()
    if joined is None:
        return False
    connection.exec_driver_sql("UPDATE sync_state SET next_seq = next_seq + 1")
    connection.exec_driver_sql(
        "INSERT INTO sync_outbox (device_seq, mutation_id, kind, new_values, status, attempts) "
        "VALUES ((SELECT next_seq FROM sync_state), ?, ?, ?, 'pending', 0)",
        (uuid.uuid4().hex, kind, json.dumps(payload)))
    return True
