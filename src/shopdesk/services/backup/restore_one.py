"""One customer out of a backup: the rows that hang off them, and putting them back.

`graph` follows `models.sync` CUSTOMER_REFS (the tables pointing at a customer) and
PARENT_REFS (their children, and the parents those children point at) through a
backup's database opened read-only (`vfs`); `upsert` writes one row into the live
database: inserted when missing, else only the columns that differ are updated, so an
unchanged row makes no change to sync. Used by `restore.RestoreService.customer`
inside its write transaction; any thread but the GUI's.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text

from shopdesk.db import cipher
from shopdesk.models.sync import CUSTOMER_REFS, PARENT_REFS, SYNCED

# Parents before children, so foreign keys hold at every insert.
PARENTS_FIRST = [t.name for t in SYNCED if t.name in CUSTOMER_REFS or t.name == "customers"
                 or any(t.name in (c, p) for c, _, p in PARENT_REFS)]


def as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _rows(con: Any, table: str, column: str, values: list[Any]) -> list[dict[str, Any]]:
    if not values:
        return []
    names = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
    rows = con.execute(f'SELECT {", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)} FROM '
                       f'"{table}" WHERE "{column}" IN ({",".join("?" * len(values))})',
                       values).fetchall()
    return [dict(zip(names, row, strict=True)) for row in rows]


def graph(con: Any, customer_id: Any) -> dict[str, list[dict[str, Any]]]:
    """The customer's rows in the backup, by table (every reference followed)."""
    tables = set(cipher.tables(con))
    graph: dict[str, dict[Any, dict[str, Any]]] = {}

    def add(table: str, rows: list[dict[str, Any]]) -> bool:
        pk = next(t.pk for t in SYNCED if t.name == table)
        kept = graph.setdefault(table, {})
        new = [r for r in rows if r[pk] not in kept]
        kept.update({r[pk]: r for r in new})
        return bool(new)

    add("customers", _rows(con, "customers", "id", [customer_id]))
    for table, column in CUSTOMER_REFS.items():
        if table in tables:
            add(table, _rows(con, table, column, [customer_id]))
    grew = True
    while grew:  # children of what was found, and the parents they point at
        grew = False
        for child, column, parent in PARENT_REFS:
            if child not in tables or parent not in tables:
                continue
            parent_pk = next(t.pk for t in SYNCED if t.name == parent)
            ids = list(graph.get(parent, {}))
            grew |= add(child, _rows(con, child, column, ids))
            wanted = [r[column] for r in graph.get(child, {}).values()
                      if r[column] is not None and r[column] not in graph.get(parent, {})]
            grew |= add(parent, _rows(con, parent, parent_pk, wanted))
    return {t: list(rows.values()) for t, rows in graph.items()}


def upsert(conn: Any, table: str, row: dict[str, Any]) -> str:
    """Insert `row`, or update the columns that differ; 'inserted', 'updated' or ''."""
    pk = next(t.pk for t in SYNCED if t.name == table)
    live_columns = {r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')}
    values = {c: v for c, v in row.items() if c in live_columns}
    current = conn.execute(text(f'SELECT * FROM "{table}" WHERE "{pk}" = :pk'),
                           {"pk": values[pk]}).mappings().first()
    if current is None:
        columns = ", ".join(f'"{c}"' for c in values)
        marks = ", ".join(f":{c}" for c in values)
        conn.execute(text(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'), values)
        return "inserted"
    differ = {c: v for c, v in values.items() if c != pk and current[c] != v}
    if not differ:
        return ""
    sets = ", ".join(f'"{c}" = :{c}' for c in differ)
    conn.execute(text(f'UPDATE "{table}" SET {sets} WHERE "{pk}" = :pk_value'),
                 {**differ, "pk_value": values[pk]})
    return "updated"
