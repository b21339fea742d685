"""Storing one pulled page on this counter, without ever breaking its own integrity.

The engine calls `apply_page` inside one local write transaction with capture off.
Promises (issue 10):
- a row that breaks a rule of this counter (type, choice, length, date, size; checked
  with `sync.rules`, the same rules the server keeps) is not stored: it goes to
  `sync_quarantine` with the reason, and the rest of the page is applied;
- a row the database itself refuses (a CHECK, a UNIQUE code) is found by retrying
  its group row by row inside savepoints, and quarantined the same way;
- a row the server marks deleted is never deleted here (shopdesk never deletes
  synced rows, and a delete with foreign keys off would orphan its children): it is
  quarantined for a manager to look at;
- a later version of a quarantined row that can be stored resolves its entry;
- `orphans()` flags rows of this round that refer to a row this counter lacks.

Called on the sync thread, inside the engine's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from shopdesk.models import Base
from shopdesk.models.sync import SYNCED_BY_NAME
from shopdesk.services.customers.customers import derived_columns
from shopdesk.sync.rules import ROW_BYTES, check_row

# Which `Changes` field a pulled table's ids go in (screens refresh from it).
CHANGES_FIELD = {"customers": "customers", "devices": "devices", "repair_tickets": "tickets",
                 "support_tickets": "support", "customer_loyalty": "customers",
                 "customer_preferences": "customers", "loyalty_entries": "loyalty",
                 "feedback": "feedback", "feedback_actions": "feedback"}
CONFLICT_COLUMNS = ["id", "kind", "table_name", "row_a", "row_b", "column_name", "details",
                    "status", "resolution", "created_at", "resolved_at"]
Item = tuple[str, int, bool, Any]  # row id, server seq, deleted, data


class PageApplier:
    """Applies pages for one engine; remembers each table's local columns."""

    def __init__(self) -> None:
        self._columns: dict[str, list[str]] = {}

    def local_columns(self, conn: Connection, table: str) -> list[str]:
        if table not in self._columns:
            spec = SYNCED_BY_NAME[table]
            self._columns[table] = [r[1] for r in conn.exec_driver_sql(
                f"PRAGMA table_info({table})") if r[1] not in spec.local_only]
        return self._columns[table]

    def apply_table(self, conn: Connection, table: str, items: list[Item],
                    touched: dict[str, set[UUID]]) -> None:
        if table == "sync_conflicts":
            rows = [tuple(d.get(c) for c in CONFLICT_COLUMNS) for _, _, _, d in items
                    if isinstance(d, dict)]
            upsert(conn, "sync_conflicts", "id", CONFLICT_COLUMNS, rows)
            return
        spec = SYNCED_BY_NAME.get(table)
        if spec is None:
            return  # a table a newer shopdesk syncs: not ours to keep
        known = tuple(self.local_columns(conn, table))
        every = frozenset(known)
        groups: dict[tuple[str, ...], list[tuple[Item, tuple[Any, ...]]]] = defaultdict(list)
        for item in items:
            row_id, _seq, deleted, data = item
            reason = ("the server marked this row deleted; shopdesk never deletes synced "
                      "rows, so it was kept" if deleted else
                      check_row(table, data, ignore_unknown=True))
            if reason is None and not _is_hex_id(row_id, spec.pk, data):
                reason = f"{table}: the row id '{str(row_id)[:40]}' is not this row's id"
            if reason is not None:
                quarantine(conn, table, item, reason)
                continue
            # Schema skew: a newer counter's unknown columns are left out, and a row
            # without some of ours writes only the columns it has.
            have = known if every <= data.keys() else tuple(c for c in known if c in data)
            if table == "customers":
                values = {c: data[c] for c in have}
                values.update(derived_columns(defaultdict(lambda: None, values)))
                groups[tuple(values)].append((item, tuple(values.values())))
            else:
                groups[have].append((item, tuple(map(data.__getitem__, have))))
        stored: list[str] = []
        for column_set, group in groups.items():
            stored += self._store_group(conn, table, spec.pk, list(column_set), group)
        if stored:
            resolve(conn, table, stored)
        kind = CHANGES_FIELD.get(table)
        if kind:
            touched[kind].update(UUID(hex=r) for r in stored)

    @staticmethod
    def _store_group(conn: Connection, table: str, pk: str, cols: list[str],
                     rows: list[tuple[Item, tuple[Any, ...]]]) -> list[str]:
        """Upsert a group in one executemany; if the database refuses it, row by row."""
        conn.exec_driver_sql("SAVEPOINT sync_group")
        try:
            upsert(conn, table, pk, cols, [values for _, values in rows])
            conn.exec_driver_sql("RELEASE sync_group")
            return [item[0] for item, _ in rows]
        except (DBAPIError, sqlite3.Error, ValueError, TypeError):
            conn.exec_driver_sql("ROLLBACK TO sync_group")
            conn.exec_driver_sql("RELEASE sync_group")
        stored = []
        for item, values in rows:
            conn.exec_driver_sql("SAVEPOINT sync_row")
            try:
                upsert(conn, table, pk, cols, [values])
                conn.exec_driver_sql("RELEASE sync_row")
                stored.append(item[0])
            except (DBAPIError, sqlite3.Error, ValueError, TypeError) as exc:
                conn.exec_driver_sql("ROLLBACK TO sync_row")
                conn.exec_driver_sql("RELEASE sync_row")
                cause = getattr(exc, "orig", exc)
                quarantine(conn, table, item, f"{table}: this counter's database refused the "
                           f"row: {str(cause).splitlines()[0][:300]}")
        return stored


def upsert(conn: Connection, table: str, pk: str, cols: list[str],
           rows: list[tuple[Any, ...]]) -> None:
    """Insert or update `rows` (values in `cols` order) in one executemany."""
    if not rows:
        return
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != pk)
    sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
           f"({', '.join('?' for _ in cols)}) ON CONFLICT({pk}) DO "
           + (f"UPDATE SET {updates}" if updates else "NOTHING"))
    # Straight to sqlite3's executemany: SQLAlchemy's per-row parameter handling
    # for text() cost a third as much as the inserts themselves.
    conn.exec_driver_sql(sql, rows)


def _is_hex_id(row_id: Any, pk: str, data: Any) -> bool:
    return (isinstance(row_id, str) and len(row_id) == 32
            and all(c in "0123456789abcdef" for c in row_id)
            and (pk not in data or data[pk] == row_id))


def quarantine(conn: Connection, table: str, item: Item, reason: str,
               kind: str = "refused") -> None:
    """Keep a row this counter did not store ('refused'), or flag one it stored that
    points nowhere ('orphan'), for a manager to see."""
    row_id, seq, _deleted, data = item
    raw = json.dumps(data, ensure_ascii=False, default=str)
    if len(raw.encode()) > ROW_BYTES:
        raw = json.dumps({"_truncated": raw[:2000]})
    conn.execute(text(
        "INSERT INTO sync_quarantine (kind, table_name, row_id, server_seq, data, reason, "
        "received_at, status) VALUES (:k, :t, :r, :s, :d, :why, :at, 'open')"),
        {"k": kind, "t": str(table)[:40], "r": str(row_id)[:64], "s": int(seq or 0), "d": raw,
         "why": reason[:1000], "at": datetime.now(UTC).isoformat(timespec="seconds")})


def resolve(conn: Connection, table: str, row_ids: list[str]) -> None:
    """A stored version of a row settles its open 'refused' entries."""
    # `+status`: look rows up by (table, row id), not by status (thousands may be open).
    conn.execute(text("UPDATE sync_quarantine SET status = 'resolved' WHERE +status = 'open' "
                      "AND kind = 'refused' AND table_name = :t AND row_id = :r"),
                 [{"t": table, "r": r} for r in row_ids])


def orphans(conn: Connection, touched_rows: dict[str, set[str]]) -> int:
    """Flag (as open 'orphan' entries) rows stored this round whose references point at a
    row this counter does not have, and resolve the entries of rows whose parent has
    arrived since. The server checks references, so an orphan means a row held back
    (a counter not yet upgraded, say) or a server fault; a manager should know either
    way. Returns how many rows are orphans now. Small rounds check just their rows and
    the open entries; a large one (a first sync) checks the whole table once."""
    open_rows: dict[str, set[str]] = defaultdict(set)
    for table, row_id in conn.exec_driver_sql(
            "SELECT table_name, row_id FROM sync_quarantine WHERE kind = 'orphan' "
            "AND status = 'open'"):
        open_rows[table].add(row_id)
    still: dict[str, set[str]] = defaultdict(set)
    rechecked: dict[str, set[str]] = defaultdict(set)
    for table in set(touched_rows) | set(open_rows):
        model = Base.metadata.tables.get(table)
        spec = SYNCED_BY_NAME.get(table)
        if model is None or spec is None:
            continue
        # An open orphan is looked at again only when one of its parent tables moved.
        parents = {fk.column.table.name for fk in model.foreign_keys}
        if parents & set(touched_rows):
            rechecked[table] = set(open_rows.get(table, set()))
        ids = touched_rows.get(table, set()) | rechecked[table]
        if not ids:
            continue
        if len(ids) > 5000:
            found = conn.exec_driver_sql(
                f"SELECT t.{spec.pk}, c.parent FROM pragma_foreign_key_check('{table}') c "
                f"JOIN {table} t ON t.rowid = c.rowid")
            for row_id, parent in found:
                still[table].add(row_id)
                _flag(conn, table, row_id, parent, open_rows)
            continue
        marks = ", ".join(f"'{i}'" for i in ids)
        for fk in model.foreign_keys:
            column, parent, target = fk.parent.name, fk.column.table.name, fk.column.name
            for (row_id,) in conn.exec_driver_sql(
                    f"SELECT {spec.pk} FROM {table} WHERE {spec.pk} IN ({marks}) AND {column} "
                    f"IS NOT NULL AND {column} NOT IN (SELECT {target} FROM {parent})"):
                still[table].add(row_id)
                _flag(conn, table, row_id, parent, open_rows)
    settled = [{"t": t, "r": r} for t, rows in rechecked.items() for r in rows
               if r not in still[t]]
    if settled:
        conn.execute(text("UPDATE sync_quarantine SET status = 'resolved' WHERE kind = 'orphan' "
                          "AND +status = 'open' AND table_name = :t AND row_id = :r"), settled)
    return sum(len(rows) for rows in still.values())


def _flag(conn: Connection, table: str, row_id: str, parent: str,
          open_rows: dict[str, set[str]]) -> None:
    if row_id in open_rows[table]:
        return  # already listed
    open_rows[table].add(row_id)
    quarantine(conn, table, (row_id, 0, False, {}), f"{table}: stored, but it refers to "
               f"a {parent} row this counter does not have", kind="orphan")
