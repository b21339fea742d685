"""What a synced row may hold: one rule per column, read from the models themselves.

The same rules run on both sides of sync, so a row one counter may store is a row
every counter may store:

- the central server gets them as a registry (`central setup` writes them into
  `sync.columns`): its `sync.validate` refuses a pushed row that breaks one, and its
  insert path a new row that lacks a required column (`ColumnRule.required`);
- a counter checks each pulled row with `check_row` before storing it, and
  quarantines one it cannot store instead of failing the whole round.

Rules come from the column types (text length, whole numbers, exact money, 0/1
booleans, 32-hex ids, ISO dates and instants), NOT NULL, and the tables' named
CHECK constraints, which are parsed here. A column is *required* in a new row when it
is NOT NULL with no SQL (server) default, and is not the primary key (the server
fills that from the row id): a counter pulling a row without it could not store it,
since a pull writes only the columns a row carries and a Python-side `default=` is
never applied there. A column added to an already synced table must therefore be
nullable or carry a `server_default`, or counters of the older schema could never
insert into that table again (tests/sync/test_required_columns.py guards this).

A CHECK of a shape this module does not know raises at import time (and in the
tests), so a new constraint cannot be silently left to one side only.

Pure functions; any thread.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Column, Date, Integer, String, Table, Text, Uuid

from shopdesk.models import Base
from shopdesk.models.base import Money, UTCDateTime
from shopdesk.models.sync import SYNCED, SyncedTable

# A Text column with no length of its own holds at most this many characters.
TEXT_LIMIT = 10_000
# A whole row, as JSON, may not be larger than this (a 2 MB "note" is refused).
ROW_BYTES = 64 * 1024
# SQLite's and Postgres's 64-bit integers.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

KINDS = ("text", "int", "money", "bool", "uuid", "datetime", "date", "json")
_UUID = re.compile(r"^[0-9a-f]{32}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class ColumnRule:
    table: str
    column: str
    kind: str
    nullable: bool
    max_length: int | None = None
    choices: tuple[str, ...] | None = None
    minimum: int | None = None
    min_exclusive: bool = False
    maximum: int | None = None
    exact_length: int | None = None
    prefix: str | None = None
    lower: bool = False
    required: bool = False  # a new row must carry it (NOT NULL, no SQL default, not the pk)

    def as_row(self) -> tuple[Any, ...]:
        """The registry row `central setup` writes into `sync.columns`."""
        return (self.table, self.column, self.kind, self.nullable, self.max_length,
                list(self.choices) if self.choices is not None else None, self.minimum,
                self.min_exclusive, self.maximum, self.exact_length, self.prefix, self.lower,
                self.required)


def _kind(column: Column[Any]) -> str:
    kind = column.type
    if column.info.get("json"):
        return "json"
    if isinstance(kind, Money):
        return "money"
    if isinstance(kind, UTCDateTime):
        return "datetime"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Uuid):
        return "uuid"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, String | Text):
        return "text"
    raise TypeError(f"{column.table.name}.{column.name}: no sync rule for {kind!r}")


_IN = re.compile(r"^(\w+) IN \((.*)\)$")
_CMP = re.compile(r"^(\w+) (>=|>|<=|<) (-?\d+)$")
_BETWEEN = re.compile(r"^(\w+) BETWEEN (-?\d+) AND (-?\d+)$")
_LENGTH = re.compile(r"^length\((\w+)\) = (\d+)$")
_LIKE = re.compile(r"^(\w+) LIKE '([^%_']*)%'$")
_LOWER = re.compile(r"^(\w+) = lower\((\w+)\)$")
_NULL_OR = re.compile(r"^(\w+) IS NULL OR (.*)$")


def _parse_check(text: str, table: str) -> list[tuple[str, dict[str, Any]]]:
    """(column, rule fields) for each clause of a CHECK constraint."""
    out: list[tuple[str, dict[str, Any]]] = []
    for clause in re.split(r"\s+AND\s+(?![^()]*\))(?!-?\d+$)", text.strip()):
        clause = clause.strip()
        nullable = _NULL_OR.match(clause)
        if nullable:
            clause = nullable.group(2).strip()
        if m := _IN.match(clause):
            values = tuple(v.strip().strip("'") for v in m.group(2).split(","))
            out.append((m.group(1), {"choices": values}))
        elif m := _BETWEEN.match(clause):
            out.append((m.group(1), {"minimum": int(m.group(2)), "maximum": int(m.group(3))}))
        elif m := _CMP.match(clause):
            op, value = m.group(2), int(m.group(3))
            fields: dict[str, Any] = ({"minimum": value, "min_exclusive": op == ">"}
                                      if op in (">=", ">") else
                                      {"maximum": value - (op == "<")})
            out.append((m.group(1), fields))
        elif m := _LENGTH.match(clause):
            out.append((m.group(1), {"exact_length": int(m.group(2))}))
        elif m := _LIKE.match(clause):
            out.append((m.group(1), {"prefix": m.group(2)}))
        elif (m := _LOWER.match(clause)) and m.group(1) == m.group(2):
            out.append((m.group(1), {"lower": True}))
        else:
            raise ValueError(f"{table}: CHECK ({text}) has a shape sync/rules.py does not "
                             "know; teach it, so the server and the counters enforce it too")
    return out


def table_rules(spec: SyncedTable) -> list[ColumnRule]:
    table: Table = Base.metadata.tables[spec.name]
    extra: dict[str, dict[str, Any]] = {}
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint):
            for name, fields in _parse_check(str(constraint.sqltext), spec.name):
                extra.setdefault(name, {}).update(fields)
    rules = []
    for column in table.columns:
        if column.name in spec.local_only:
            continue
        kind = _kind(column)
        length = getattr(column.type, "length", None)
        max_length = None
        if kind in ("text", "json"):
            max_length = column.info.get("max_length") or length or TEXT_LIMIT
        required = (not column.nullable and column.server_default is None
                    and column.name != spec.pk)
        rules.append(ColumnRule(spec.name, column.name, kind, bool(column.nullable),
                                max_length, required=required, **extra.pop(column.name, {})))
    if extra:
        raise ValueError(f"{spec.name}: CHECK names unknown columns {sorted(extra)}")
    return rules


RULES: dict[str, dict[str, ColumnRule]] = {
    spec.name: {r.column: r for r in table_rules(spec)} for spec in SYNCED}


def all_rules() -> list[ColumnRule]:
    return [rule for table in RULES.values() for rule in table.values()]


def required_columns(table: str) -> list[str]:
    """The columns a new row of `table` must carry, in the model's order."""
    return [rule.column for rule in RULES.get(table, {}).values() if rule.required]


# -- checking a row --------------------------------------------------------------
def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    number = int(value)
    return number if INT_MIN <= number <= INT_MAX else None


def check_value(rule: ColumnRule, value: Any) -> str | None:
    """Why `value` may not be stored in this column, or None when it may."""
    where = f"{rule.table}.{rule.column}"
    if value is None:
        return None if rule.nullable else f"{where}: is required"
    if rule.kind in ("int", "money"):
        number = _whole(value)
        if number is None:
            return f"{where}: must be a whole number, not {json.dumps(value)[:40]}"
        if rule.minimum is not None and (number < rule.minimum or
                                         (rule.min_exclusive and number == rule.minimum)):
            sign = ">" if rule.min_exclusive else "at least"
            return f"{where}: must be {sign} {rule.minimum} (got {number})"
        if rule.maximum is not None and number > rule.maximum:
            return f"{where}: must be at most {rule.maximum} (got {number})"
        return None
    if rule.kind == "bool":
        return None if value in (0, 1) and not isinstance(value, float) else \
            f"{where}: must be true or false (0 or 1), not {json.dumps(value)[:40]}"
    if not isinstance(value, str):
        return f"{where}: must be text, not {type(value).__name__}"
    return _check_text(rule, where, value)


def _check_text(rule: ColumnRule, where: str, value: str) -> str | None:
    if rule.kind == "uuid":
        return None if _UUID.match(value) else f"{where}: is not an id (32 hex digits)"
    if rule.kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"{where}: '{value[:40]}' is not a date (YYYY-MM-DD)"
        return None if _DATE.match(value) else f"{where}: '{value[:40]}' is not a YYYY-MM-DD date"
    if rule.kind == "datetime":
        try:
            ok = bool(_INSTANT.match(value)) and datetime.fromisoformat(value).tzinfo is not None
        except ValueError:
            ok = False
        return None if ok else f"{where}: '{value[:40]}' is not an ISO 8601 instant with offset"
    if rule.max_length is not None and len(value) > rule.max_length:
        return f"{where}: must be at most {rule.max_length} characters (got {len(value)})"
    if rule.exact_length is not None and len(value) != rule.exact_length:
        return f"{where}: must be exactly {rule.exact_length} characters"
    if rule.choices is not None and value not in rule.choices:
        return f"{where}: '{value[:40]}' is not one of: {', '.join(rule.choices)}"
    if rule.prefix is not None and not value.startswith(rule.prefix):
        return f"{where}: must start with '{rule.prefix}'"
    if rule.lower and value != value.lower():
        return f"{where}: must be lower-case"
    if rule.kind == "json":
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            return f"{where}: must be a JSON object"
    return None


def check_row(table: str, data: Any, *, ignore_unknown: bool = False) -> str | None:
    """Why a whole row may not be stored, or None. Columns the row lacks are left to
    the table's defaults (an older counter's row). Unknown columns are refused, or
    with `ignore_unknown` (a counter pulling a newer version's rows) passed over."""
    rules = RULES.get(table)
    if rules is None:
        return f"{table}: is not a table this counter syncs"
    if not isinstance(data, dict):
        return f"{table}: a row must be a JSON object"
    size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    if size > ROW_BYTES:
        return f"{table}: the row is {size} bytes; at most {ROW_BYTES} are accepted"
    unknown = sorted(set(data) - set(rules))
    if unknown and not ignore_unknown:
        return f"{table}.{unknown[0]}: is not a column of {table}"
    for column, value in data.items():
        rule = rules.get(column)
        reason = check_value(rule, value) if rule is not None else None
        if reason:
            return reason
    return None


__all__ = ["KINDS", "ROW_BYTES", "RULES", "TEXT_LIMIT", "ColumnRule", "all_rules",
           "check_row", "check_value", "required_columns", "table_rules"]
