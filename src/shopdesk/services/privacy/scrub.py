"""Erasing customers' personal data from this counter's database, driven by the registry.

`erasure_set` finds every record of the person: the customers asked for, those merged
into them or they into (redirects both ways) and those still suspected duplicates of
them, transitively. `erase_rows` writes the tombstones, then replaces every personal
column of every row that belongs to those customers (`models.personal`), deletes their
audit keys, and scrubs the copies bookkeeping tables hold (queued changes, conflict
reports, held rows). The same function runs for an erasure made here and for one
pulled from the server; it is idempotent.

Runs on a Connection inside the caller's write transaction (a service's session, or
the sync engine's pull transaction), with SQLite's secure_delete on, so the old values
are overwritten in the file rather than left in free space. Any thread.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text

from shopdesk.models import Base
from shopdesk.models.personal import (
    CUSTOMER_PATH,
    DELETED,
    linked_tables,
    placeholder,
    scrubbed_columns,
)
from shopdesk.services.customers.customers import derived_columns

CHUNK = 500


@dataclass
class Scrubbed:
    """What an erasure changed on this counter."""

    customers: list[str] = field(default_factory=list)  # hex ids
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows scrubbed or deleted
    document_hashes: set[str] = field(default_factory=set)  # files possibly unused now
    bookkeeping: int = 0  # queued changes, conflicts and held rows scrubbed


def _hex(value: UUID | str) -> str:
    return value.hex if isinstance(value, UUID) else str(value).replace("-", "").lower()


def _in(values: list[str], prefix: str = "v") -> tuple[str, dict[str, str]]:
    return (", ".join(f":{prefix}{n}" for n in range(len(values))),
            {f"{prefix}{n}": v for n, v in enumerate(values)})


def _pk(table: str) -> str:
    keys = Base.metadata.tables[table].primary_key.columns
    return next(iter(keys)).name


def erasure_set(conn: Connection, customer_ids: Iterable[UUID | str]) -> dict[str, str]:
    """Every customer record of the person (hex id -> why it is included)."""
    found = {_hex(c): "asked" for c in customer_ids}
    frontier = list(found)
    while frontier:
        marks, values = _in(frontier)
        frontier = []
        rows = conn.execute(text(
            f"SELECT id, merged_into, 'merged into' FROM customers WHERE id IN ({marks}) "
            "AND merged_into IS NOT NULL "
            f"UNION ALL SELECT id, merged_into, 'merged from' FROM customers "
            f"WHERE merged_into IN ({marks})"), values).all()
        for source, target, how in rows:
            # source was merged into target: whichever side is new is the same person.
            new = str(target) if how == "merged into" else str(source)
            if new not in found:
                found[new] = "merged record"
                frontier.append(new)
        for a, b, kind in conn.execute(text(
                "SELECT row_a, row_b, kind FROM sync_conflicts WHERE status = 'open' AND "
                "kind LIKE 'duplicate_%' AND table_name = 'customers' AND "
                f"(row_a IN ({marks}) OR row_b IN ({marks}))"), values):
            for new in (str(a), str(b)):
                if new not in found:
                    found[new] = f"suspected duplicate (same {kind.removeprefix('duplicate_')})"
                    frontier.append(new)
    present = set()
    ids = list(found)
    for i in range(0, len(ids), CHUNK):
        marks, values = _in(ids[i:i + CHUNK])
        present |= {str(r[0]) for r in conn.execute(text(
            f"SELECT id FROM customers WHERE id IN ({marks})"), values)}
    return {k: v for k, v in found.items() if k in present}


def linked_rows(conn: Connection, table: str, customers: list[str]) -> list[str]:
    """Primary keys of `table`'s rows that belong to these customers."""
    column, parent = CUSTOMER_PATH[table]
    pk = _pk(table)
    out: list[str] = []
    for i in range(0, len(customers), CHUNK):
        marks, values = _in(customers[i:i + CHUNK])
        if parent is None:
            where = f"{column} IN ({marks})"
        else:
            up_column, _ = CUSTOMER_PATH[parent]
            where = (f"{column} IN (SELECT {_pk(parent)} FROM {parent} "
                     f"WHERE {up_column} IN ({marks}))")
        out += [str(r[0]) for r in conn.execute(text(f"SELECT {pk} FROM {table} WHERE {where}"),
                                                values)]
    return out


def erase_rows(conn: Connection, customers: list[str], *, erased_at: datetime,
               erased_by: UUID | None, reason: str) -> Scrubbed:
    """Erase these customers (hex ids, already the whole `erasure_set`) here."""
    result = Scrubbed(customers=sorted(customers))
    if not customers:
        return result
    conn.exec_driver_sql("PRAGMA secure_delete = ON")
    conn.execute(text(
        "INSERT INTO customer_erasures (customer_id, erased_at, erased_by, reason) "
        "VALUES (:c, :at, :by, :why) ON CONFLICT(customer_id) DO NOTHING"),
        [{"c": c, "at": erased_at.isoformat(timespec="microseconds"),
          "by": erased_by.hex if erased_by else None, "why": reason} for c in customers])
    touched: dict[str, list[str]] = {}
    for table in linked_tables():
        if table not in Base.metadata.tables:
            continue
        rows = linked_rows(conn, table, result.customers)
        touched[table] = rows
        if not rows:
            continue
        pk = _pk(table)
        if table in DELETED:
            for i in range(0, len(rows), CHUNK):
                marks, values = _in(rows[i:i + CHUNK])
                conn.execute(text(f"DELETE FROM {table} WHERE {pk} IN ({marks})"), values)
            result.rows[table] = len(rows)
            continue
        columns = scrubbed_columns(table)
        if not columns:
            continue  # nothing personal in it: kept as it is
        if table == "customer_documents":
            for i in range(0, len(rows), CHUNK):
                marks, values = _in(rows[i:i + CHUNK])
                result.document_hashes |= {str(r[0]) for r in conn.execute(text(
                    f"SELECT content_hash FROM customer_documents WHERE id IN ({marks})"),
                    values)}
        params = [{"_pk": r, **{c: placeholder(table, c, r) for c in columns}} for r in rows]
        if table == "customers":
            params = _with_search_keys(conn, params)
        sets = ", ".join(f"{c} = :{c}" for c in params[0] if c != "_pk")
        conn.execute(text(f"UPDATE {table} SET {sets} WHERE {pk} = :_pk"), params)
        result.rows[table] = len(rows)
    result.bookkeeping = _scrub_bookkeeping(conn, touched)
    return result


def _with_search_keys(conn: Connection, params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The derived search columns, recomputed from what stays (so the erased words leave
    the search index when it refreshes these customers)."""
    kept: dict[str, str | None] = {}
    for i in range(0, len(params), CHUNK):
        marks, ids = _in([p["_pk"] for p in params[i:i + CHUNK]])
        kept.update({str(r[0]): r[1] for r in conn.execute(text(
            f"SELECT id, city FROM customers WHERE id IN ({marks})"), ids)})
    out = []
    for p in params:
        values: dict[str, Any] = {"company": None, "address_line1": None, "postcode": None,
                                  "city": kept.get(p["_pk"]), **p}
        out.append({**p, **derived_columns(values)})
    return out


def _scrub_bookkeeping(conn: Connection, touched: dict[str, list[str]]) -> int:
    """Queued changes keep only placeholders; conflict reports and held rows about these
    rows lose their copies of the values."""
    done = 0
    every: list[str] = [r for rows in touched.values() for r in rows]
    for table, rows in touched.items():
        columns = scrubbed_columns(table)
        if not rows or not columns:
            continue
        for i in range(0, len(rows), CHUNK):
            marks, values = _in(rows[i:i + CHUNK])
            entries = conn.execute(text(
                "SELECT device_seq, row_id, new_values, base_values FROM sync_outbox "
                f"WHERE table_name = :t AND row_id IN ({marks})"), {"t": table, **values}).all()
            updates = []
            for seq, row_id, new, base in entries:
                updates.append({"s": seq, "n": _scrubbed_json(table, str(row_id), new, columns),
                                "b": _scrubbed_json(table, str(row_id), base, columns)})
            if updates:
                conn.execute(text("UPDATE sync_outbox SET new_values = :n, base_values = :b "
                                  "WHERE device_seq = :s"), updates)
                done += len(updates)
    for i in range(0, len(every), CHUNK):
        marks, values = _in(every[i:i + CHUNK])
        done += conn.execute(text(
            "UPDATE sync_conflicts SET details = '{\"erased\": true}', "
            "status = CASE WHEN status = 'open' THEN 'resolved' ELSE status END, "
            "resolution = CASE WHEN status = 'open' THEN 'erased' ELSE resolution END "
            f"WHERE row_a IN ({marks}) OR row_b IN ({marks})"), values).rowcount or 0
        done += conn.execute(text(
            "UPDATE sync_quarantine SET data = '{}', reason = 'the customer''s data was "
            f"erased' WHERE row_id IN ({marks})"), values).rowcount or 0
    return done


def _scrubbed_json(table: str, row_id: str, raw: str | None,
                   columns: dict[str, Any]) -> str | None:
    if not raw:
        return raw
    try:
        data = json.loads(raw)
    except ValueError:
        return "{}"
    if not isinstance(data, dict):
        return "{}"
    for column in columns:
        if column in data:
            data[column] = placeholder(table, column, row_id)
    return json.dumps(data, ensure_ascii=False)


def checkpoint(conn: Connection) -> None:
    """Fold the write-ahead log into the file and empty it, so the old pages are gone
    from the WAL too (best effort: a reader still open keeps them until it ends)."""
    with contextlib.suppress(Exception):  # never fail an erasure over housekeeping
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
