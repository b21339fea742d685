"""Inserts must carry the columns a row requires (the server refused only bad values).

Until now `sync.validate` checked the columns an insert *sends*: a terminal (hostile,
or buggy) could insert a customer without `code`, a ticket without `customer_id`. The
server kept the row, and every counter then pulled a row it could not store and held
it in its quarantine. Now a push that inserts a new row (the server has no row with
that id; `op` is 'insert') is refused, that change alone and with a one-line reason
naming the table, the column and the rule, when the row lacks a required column or
sends it as null:

    repair_tickets.customer_id: is required in a new row (NOT NULL, no default);
    this insert left it out

Updates are unchanged: they send only the columns that changed.

Which columns are required comes from the app's models, like every other column rule
(`shopdesk.sync.rules`, written by `central setup` into the new `sync.columns.required`):
NOT NULL, no SQL (server) default, and not the primary key (the server takes that from
the row id). A Python-side `default=` does not count: a counter storing a pulled row
writes only the columns the row carries, so only a SQL default fills a missing one.

Older counters. A counter at an older schema sends the columns it knows. The rule is
safe for it as long as no column that is NOT NULL without a SQL default is added to a
table that already syncs: such a column is one the older counter's rows could never be
stored without on the newer counters either. The rule the app keeps instead (and
`tests/sync/test_required_columns.py` enforces against a snapshot of every synced
table's required columns): a column added to an already synced table is nullable or
has a `server_default`, so it is never required and older counters' inserts go on
being accepted (the newer counters fill it with the default). A new table may require
what it likes: no older counter writes to it.

Rows an older server accepted without a required column stay as they are (counters
keep them quarantined, as before); only new inserts are checked.

The check wraps `sync.apply_row` (c0003's, itself wrapping c0002's) and runs before it,
so nothing is written and the push goes on with the next change, as for every other
refused change. `sync.validate` is left as it is: it is also called, with no old row,
for a merge's survivor and an erasure's record, which are not inserts of a
terminal's row.

Revision ID: c0006
Revises: c0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = 'c0006'
down_revision = 'c0005'
branch_labels = None
depends_on = None

SQL = [
    # Filled by `central setup` (refresh_registries) from the models; false until then.
    "ALTER TABLE sync.columns ADD COLUMN required boolean NOT NULL DEFAULT false",

    """CREATE FUNCTION sync.check_required(p_table text, p_pk text, d jsonb) RETURNS text
        LANGUAGE plpgsql STABLE AS $$
    DECLARE missing text[]; first text; more text := '';
    BEGIN
      SELECT array_agg(c.column_name ORDER BY c.column_name) INTO missing FROM sync.columns c
       WHERE c.table_name = p_table AND c.required AND c.column_name IS DISTINCT FROM p_pk
         AND (NOT d ? c.column_name OR jsonb_typeof(d -> c.column_name) = 'null');
      IF missing IS NULL THEN RETURN NULL; END IF;
      first := missing[1];
      IF cardinality(missing) > 1 THEN
        more := format(' (also missing: %s)', array_to_string(missing[2:], ', '));
      END IF;
      RETURN format('%s.%s: is required in a new row (NOT NULL, no default); this insert %s%s',
                    p_table, first, CASE WHEN d ? first THEN 'sent null' ELSE 'left it out' END,
                    more);
    END $$""",

    "ALTER FUNCTION sync.apply_row(sync.devices, jsonb) RENAME TO apply_row_c0003",
    """CREATE FUNCTION sync.apply_row(dev sync.devices, m jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE t text := m->>'table'; rid text := m->>'row'; newv jsonb := m->'new'; pk text;
      reason text;
    BEGIN
      -- Only a genuine insert (a row the server does not have yet): a re-sent insert
      -- of an existing row merges like an update, which sends what changed.
      IF m->>'op' = 'insert' AND jsonb_typeof(newv) = 'object'
         AND coalesce(rid, '') ~ '^[0-9a-f]{32}$' THEN
        SELECT s.pk INTO pk FROM sync.synced_tables s WHERE s.table_name = t;
        IF FOUND AND NOT EXISTS (SELECT 1 FROM sync.rows r WHERE r.table_name = t AND r.row_id = rid) THEN
          reason := sync.check_required(t, pk, newv);
          IF reason IS NOT NULL THEN RAISE EXCEPTION '%', reason; END IF;
        END IF;
      END IF;
      RETURN sync.apply_row_c0003(dev, m);
    END $$""",

    "ALTER FUNCTION sync.check_required(text, text, jsonb) SET search_path = sync, pg_temp",
    "ALTER FUNCTION sync.apply_row(sync.devices, jsonb) SET search_path = sync, pg_temp",
    "REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA sync FROM PUBLIC, anon, authenticated, service_role",
]


def upgrade() -> None:
    # Straight to psycopg, as c0002: the plpgsql bodies hold '%' and ':'.
    raw = op.get_bind().connection.driver_connection
    for statement in SQL:
        raw.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the central schema is only upgraded (`shopdesk central setup`)")
