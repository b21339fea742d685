"""The privacy contract (issue 15): every table is erasable and exportable.

Every table and column of the models is enumerated. A table that belongs to a
customer (a foreign key chain to `customers`, or `CUSTOMER_REFS`/`PARENT_REFS` of
`models/sync.py`) must have every column classified in `models/personal.py`, a path
to its customer, and be covered, on real rows, by both erasure and export; any other
table must say why it holds no customer's data. A new table or column that forgets
this fails here.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sqlalchemy import text

from shopdesk.models import Base
from shopdesk.models.personal import (
    CUSTOMER_PATH,
    DELETED,
    DERIVED,
    NOT_EXPORTED,
    NOT_EXPORTED_COLUMNS,
    NOT_PERSONAL,
    REGISTRY,
    TREATMENTS,
    linked_tables,
    placeholder,
    scrubbed_columns,
)
from shopdesk.models.sync import CUSTOMER_REFS, PARENT_REFS, SYNCED, SYNCED_BY_NAME
from shopdesk.services.privacy.scrub import linked_rows
from shopdesk.shop import Shop
from shopdesk.sync.central import personal_rows
from shopdesk.sync.rules import RULES, check_value
from tests.core.privacy_helpers import SECRETS, full_customer


def customer_linked_tables() -> set[str]:
    """Tables whose rows belong to a customer, found from the models and sync's refs."""
    tables = Base.metadata.tables
    linked = {"customers", *CUSTOMER_REFS}
    changed = True
    while changed:
        changed = False
        for name, table in tables.items():
            parents = {fk.column.table.name for fk in table.foreign_keys}
            parents |= {p for child, _, p in PARENT_REFS if child == name}
            if name not in linked and parents & linked:
                linked.add(name)
                changed = True
    return linked


def test_every_table_is_classified_or_said_to_hold_no_customer_data() -> None:
    tables = set(Base.metadata.tables)
    linked = customer_linked_tables()
    unknown = tables - set(REGISTRY) - set(NOT_PERSONAL)
    assert not unknown, f"classify these tables in models/personal.py: {sorted(unknown)}"
    assert not set(REGISTRY) & set(NOT_PERSONAL)
    wrongly_unlinked = linked & set(NOT_PERSONAL)
    assert not wrongly_unlinked, f"these tables belong to customers: {wrongly_unlinked}"
    missing = linked - set(REGISTRY)
    assert not missing, f"these tables belong to customers, register them: {missing}"
    assert set(REGISTRY) <= tables, "the registry names tables the models do not have"


def test_every_column_of_a_customer_table_is_classified() -> None:
    for name in REGISTRY:
        columns = {c.name for c in Base.metadata.tables[name].columns}
        assert set(REGISTRY[name]) == columns, (
            f"{name}: unclassified {sorted(columns - set(REGISTRY[name]))}, "
            f"stale {sorted(set(REGISTRY[name]) - columns)}")
        assert name in CUSTOMER_PATH, f"{name}: say how it reaches its customer"
        for column, entry in REGISTRY[name].items():
            assert entry.treatment in TREATMENTS
            assert entry.scrubbed or entry.treatment == DERIVED or entry.why, (
                f"{name}.{column}: kept, but why?")


def test_placeholders_obey_the_column_rules_everywhere() -> None:
    """What erasure writes must be storable here and accepted by the server."""
    row_id = "0123456789abcdef0123456789abcdef"
    for name in set(REGISTRY) - set(DELETED):
        table = Base.metadata.tables[name]
        for column, _entry in scrubbed_columns(name).items():
            value = placeholder(name, column, row_id)
            assert value is not None or table.columns[column].nullable, (name, column)
            rule = RULES.get(name, {}).get(column)
            if rule is not None:
                assert check_value(rule, int(value) if isinstance(value, bool) else value) \
                    is None, (name, column)


def test_the_server_erases_every_synced_personal_column() -> None:
    shipped = {(t, c) for t, c, *_ in personal_rows()}
    for spec in SYNCED:
        if spec.name not in REGISTRY:
            continue
        for column in scrubbed_columns(spec.name):
            if column not in spec.local_only:
                assert (spec.name, column) in shipped
    assert {t for t in CUSTOMER_PATH if t in SYNCED_BY_NAME} >= (
        customer_linked_tables() & set(SYNCED_BY_NAME))


def test_erasure_and_export_cover_every_row_of_every_customer_table(
        shop: Shop, tmp_path: Path) -> None:
    full = full_customer(shop, tmp_path)
    ids = [full.customer.hex]
    with shop.store.read() as session:
        conn = session.connection()
        before = {t: linked_rows(conn, t, ids) for t in linked_tables()}
    # The tombstone is the one row the erasure itself writes.
    empty = [t for t, rows in before.items() if not rows and t != "customer_erasures"]
    assert not empty, f"give the test customer a row of {empty} (tests/core/privacy_helpers)"

    archive = tmp_path / "zoltan.zip"
    shop.portability.export_data(full.customer, archive)
    with zipfile.ZipFile(archive) as z:
        data = json.loads(z.read("data.json"))
        names = z.namelist()
    for table in linked_tables():
        if table in NOT_EXPORTED:
            assert table not in data["tables"]
            continue
        rows = data["tables"][table]
        assert len(rows) == len(before[table]), table
        if rows:
            assert set(rows[0]) == _exported_columns(table), table
    assert any(n.startswith("documents/") for n in names) and "README.txt" in names
    assert "Zoltan" in json.dumps(data)

    shop.erasure.forget(full.customer, "Contract test")
    with shop.store.read() as session:
        conn = session.connection()
        for table in linked_tables():
            rows = linked_rows(conn, table, ids)
            if table in DELETED:
                assert rows == [], table
                continue
            if table == "customer_erasures":
                assert rows == ids
                continue
            assert sorted(rows) == sorted(before[table]), f"{table}: rows were lost"
            pk = next(iter(Base.metadata.tables[table].primary_key.columns)).name
            for column in scrubbed_columns(table):
                for row_id, value in conn.execute(text(
                        f"SELECT {pk}, {column} FROM {table} WHERE {pk} IN "
                        f"({', '.join(repr(r) for r in rows)})")):
                    expected = placeholder(table, column, str(row_id))
                    assert value == (int(expected) if isinstance(expected, bool)
                                     else expected), (table, column)
    raw = b"".join(p.read_bytes() for p in shop.root.glob(shop.db_path.name + "*"))
    assert raw, "the database file was not found"
    for secret in SECRETS:
        assert secret.encode() not in raw, f"{secret!r} survived the erasure"
    assert not [p for p in (shop.root / "documents").rglob("*") if p.is_file()]
    assert shop.audit.verify().ok

    # What is kept stays exportable (the tombstone too); nothing personal is in it.
    again = tmp_path / "after.zip"
    shop.portability.export_data(full.customer, again)
    with zipfile.ZipFile(again) as z:
        text_after = z.read("data.json").decode()
        kept = json.loads(text_after)["tables"]
    assert set(kept["customer_erasures"][0]) == _exported_columns("customer_erasures")
    assert len(kept["repair_tickets"]) == len(before["repair_tickets"])
    for secret in SECRETS:
        assert secret not in text_after


def _exported_columns(table: str) -> set[str]:
    return {c.name for c in Base.metadata.tables[table].columns
            if (table, c.name) not in NOT_EXPORTED_COLUMNS}
