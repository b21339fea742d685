"""Generated SQLite triggers that keep an erased customer's personal data out for good.

Once a customer's erasure tombstone (`customer_erasures`) is on this counter, any
INSERT or UPDATE that would put a value other than the registry's placeholder into a
personal column of one of the customer's rows is refused by the database itself,
whatever path made it (a service, an import, raw SQL, a pull). Erasure writes the
tombstone first and the placeholders after, so it passes; a later edit cannot bring
the data back (spec 13.1, "no later change resurrects the data").

Like the capture triggers, these are (re)installed by the migrations that create or
rebuild the tables: `install(connection)` reads the registry and the tables present.
"""

from __future__ import annotations

from typing import Any

from shopdesk.db.capture import drop_triggers
from shopdesk.models.personal import (
    CUSTOMER_PATH,
    ERASED_PHONE_PREFIX,
    PHONE_FROM_ID,
    scrubbed_columns,
)

MESSAGE = ("{table}: this customer's personal data was erased (right to be forgotten) "
           "and cannot be entered again; register the person anew if they return")


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _erased(table: str) -> str:
    column, parent = CUSTOMER_PATH[table]
    if parent is None:
        return f"EXISTS (SELECT 1 FROM customer_erasures e WHERE e.customer_id = NEW.{column})"
    up_column, _ = CUSTOMER_PATH[parent]
    return (f"EXISTS (SELECT 1 FROM customer_erasures e JOIN {parent} p ON "
            f"p.{up_column} = e.customer_id WHERE p.id = NEW.{column})")


def trigger_sql(table: str, present_columns: set[str]) -> list[str]:
    checks = []
    for column, rule in scrubbed_columns(table).items():
        if column not in present_columns:
            continue
        if rule.derive == PHONE_FROM_ID:
            checks.append(f"NEW.{column} NOT LIKE '{ERASED_PHONE_PREFIX}%'")
        else:
            checks.append(f"NEW.{column} IS NOT {_literal(rule.placeholder)}")
    if not checks:
        return []
    message = MESSAGE.format(table=table).replace("'", "''")
    when = f"{_erased(table)} AND ({' OR '.join(checks)})"
    return [f"CREATE TRIGGER erased_{table}_{op} BEFORE {op.upper()} ON {table} WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END" for op in ("insert", "update")]


def uninstall(connection: Any) -> None:
    drop_triggers(connection, "erased_")


def install(connection: Any) -> None:
    """(Re)create the guard triggers of every table of the registry present now."""
    tables = {r[0] for r in connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "customer_erasures" not in tables:
        return
    uninstall(connection)
    for table in CUSTOMER_PATH:
        if table not in tables or table == "audit_keys":
            continue
        columns = {r[1] for r in connection.exec_driver_sql(f"PRAGMA table_info({table})")}
        for statement in trigger_sql(table, columns):
            connection.exec_driver_sql(statement)
