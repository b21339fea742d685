"""Privacy (issue 15): erasure as a command, tombstones that keep erased data out.

- Registries, refreshed by `central setup` from the app's models: `sync.personal`
  (which column of which table holds personal data, and the placeholder erasure
  writes) and `sync.customer_paths` (how each table reaches its customer).
- Mutation kind ``erase``: the server erases the customers named and every record of
  the same person it knows (merge redirects both ways, open duplicate reports), in
  every table that belongs to them: personal columns get their placeholders, phone
  and e-mail claims are dropped, conflict reports lose their copies of the values,
  and a tombstone row (`customer_erasures`) is written per customer, which every
  counter pulls and applies. A tombstone pushed as a row (a counter that erased while
  standing alone, then joined) is the same erasure.
- From then on `sync.apply_row` takes no personal value for an erased customer: an
  update leaves those columns out, an insert (a new ticket, a document) gets the
  placeholders, and the row is stamped again so its counter pulls the scrubbed
  version. A counter offline for weeks that edits the customer cannot bring the data
  back; a merge that involves an erased customer erases the other record too.
- Pushes dispatch through `sync.apply_mutation`, so a new kind replaces one small
  function instead of `sync.push` (whose CASE is patched to call it).

Revision ID: c0003
Revises: c0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import re
from typing import Any

from alembic import op

revision = 'c0003'
down_revision = 'c0002'
branch_labels = None
depends_on = None

_ISO = "to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
_NEW_TABLES = ("personal", "customer_paths")

SQL = [
    """CREATE TABLE sync.personal (table_name text, column_name text,
        treatment text NOT NULL CONSTRAINT ck_personal_treatment
            CHECK (treatment IN ('erase', 'pseudonymise', 'reset')),
        placeholder jsonb, derive text,
        CONSTRAINT pk_personal PRIMARY KEY (table_name, column_name))""",
    """CREATE TABLE sync.customer_paths (table_name text CONSTRAINT pk_customer_paths PRIMARY KEY,
        column_name text NOT NULL, parent_table text)""",
    # Children found by their parent, and merged customers found by their target.
    "CREATE INDEX ix_rows_ticket ON sync.rows (table_name, (data->>'ticket_id')) WHERE data ? 'ticket_id'",
    "CREATE INDEX ix_rows_service ON sync.rows (table_name, (data->>'service_id')) WHERE data ? 'service_id'",
    """CREATE INDEX ix_rows_merged ON sync.rows ((data->>'merged_into'))
        WHERE table_name = 'customers' AND data->>'merged_into' IS NOT NULL""",

    """CREATE FUNCTION sync.erased(p_customer text) RETURNS boolean LANGUAGE sql STABLE AS $$
      SELECT EXISTS (SELECT 1 FROM sync.rows WHERE table_name = 'customer_erasures' AND row_id = p_customer)
    $$""",

    # The app's `models.personal.erased_phone`: +999 and 11 digits from the row id.
    """CREATE FUNCTION sync.erased_phone(p_id text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT '+999' || lpad(((('x' || lpad(substr(p_id, 1, 12), 16, '0'))::bit(64)::bigint)
                             % 100000000000)::text, 11, '0')
    $$""",

    """CREATE FUNCTION sync.scrub(p_table text, d jsonb, p_row text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
    DECLARE p sync.personal;
    BEGIN
      FOR p IN SELECT * FROM sync.personal WHERE table_name = p_table LOOP
        d := jsonb_set(d, ARRAY[p.column_name],
                       CASE WHEN p.derive = 'phone_from_id' THEN to_jsonb(sync.erased_phone(p_row))
                            ELSE coalesce(p.placeholder, 'null'::jsonb) END, true);
      END LOOP;
      RETURN d;
    END $$""",

    """CREATE FUNCTION sync.row_customer(p_table text, d jsonb) RETURNS text LANGUAGE plpgsql STABLE AS $$
    DECLARE path sync.customer_paths; parent jsonb;
    BEGIN
      SELECT * INTO path FROM sync.customer_paths WHERE table_name = p_table;
      IF NOT FOUND OR d IS NULL OR jsonb_typeof(d) <> 'object' THEN RETURN NULL; END IF;
      IF path.parent_table IS NULL THEN RETURN d->>path.column_name; END IF;
      SELECT data INTO parent FROM sync.rows
       WHERE table_name = path.parent_table AND row_id = d->>path.column_name;
      RETURN sync.row_customer(path.parent_table, parent);
    END $$""",

    """CREATE FUNCTION sync.linked_rows(p_table text, p_customers text[]) RETURNS SETOF text
        LANGUAGE plpgsql STABLE AS $$
    DECLARE path sync.customer_paths; pk text;
    BEGIN
      SELECT * INTO path FROM sync.customer_paths WHERE table_name = p_table;
      SELECT s.pk INTO pk FROM sync.synced_tables s WHERE s.table_name = p_table;
      IF path.parent_table IS NULL AND path.column_name = pk THEN
        RETURN QUERY SELECT r.row_id FROM sync.rows r WHERE r.table_name = p_table AND r.row_id = ANY(p_customers);
      ELSIF path.parent_table IS NULL THEN
        RETURN QUERY SELECT r.row_id FROM sync.rows r WHERE r.table_name = p_table
          AND r.data ? path.column_name AND r.data->>path.column_name = ANY(p_customers);
      ELSE
        RETURN QUERY SELECT r.row_id FROM sync.rows r WHERE r.table_name = p_table
          AND r.data ? path.column_name
          AND r.data->>path.column_name = ANY(ARRAY(SELECT sync.linked_rows(path.parent_table, p_customers)));
      END IF;
    END $$""",

    # Every customer record of the same person: redirects both ways, open duplicates.
    """CREATE FUNCTION sync.erasure_closure(p_ids text[]) RETURNS text[] LANGUAGE plpgsql STABLE AS $$
    DECLARE found text[]; frontier text[]; nxt text[];
    BEGIN
      found := ARRAY(SELECT row_id FROM sync.rows WHERE table_name = 'customers' AND row_id = ANY(p_ids));
      frontier := found;
      WHILE cardinality(frontier) > 0 LOOP
        nxt := ARRAY(SELECT DISTINCT x FROM (
            SELECT data->>'merged_into' AS x FROM sync.rows
             WHERE table_name = 'customers' AND row_id = ANY(frontier)
            UNION SELECT row_id FROM sync.rows
             WHERE table_name = 'customers' AND data->>'merged_into' IS NOT NULL
               AND data->>'merged_into' = ANY(frontier)
            UNION SELECT unnest(ARRAY[data->>'row_a', data->>'row_b']) FROM sync.rows
             WHERE table_name = 'sync_conflicts' AND data->>'status' = 'open'
               AND data->>'kind' LIKE 'duplicate_%' AND data->>'table_name' = 'customers'
               AND (data->>'row_a' = ANY(frontier) OR data->>'row_b' = ANY(frontier))) s
          WHERE x IS NOT NULL AND NOT (x = ANY(found))
            AND EXISTS (SELECT 1 FROM sync.rows WHERE table_name = 'customers' AND row_id = x));
        found := found || nxt;
        frontier := nxt;
      END LOOP;
      RETURN found;
    END $$""",

    f"""CREATE FUNCTION sync.erase(dev sync.devices, p_ids text[], p_reason text, p_at text, p_by text)
        RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE fam text[]; t record; linked text[]; every text[] := '{{}}'; n int; counts jsonb := '{{}}'::jsonb;
      cid text; stone jsonb;
    BEGIN
      fam := sync.erasure_closure(p_ids);
      IF cardinality(fam) = 0 THEN
        RAISE EXCEPTION 'erase: the server has none of these customers (%)', left(array_to_string(p_ids, ', '), 120);
      END IF;
      stone := jsonb_build_object('customer_id', fam[1], 'erased_at', p_at, 'erased_by', p_by,
                                  'reason', p_reason);
      PERFORM sync.validate('customer_erasures', stone, NULL);
      FOR t IN SELECT c.table_name FROM sync.customer_paths c
                 JOIN sync.synced_tables s ON s.table_name = c.table_name ORDER BY c.table_name LOOP
        linked := ARRAY(SELECT sync.linked_rows(t.table_name, fam));
        every := every || linked;
        IF cardinality(linked) > 0 AND EXISTS (SELECT 1 FROM sync.personal WHERE table_name = t.table_name) THEN
          UPDATE sync.rows r SET data = sync.scrub(r.table_name, r.data, r.row_id), updated_by = dev.id
           WHERE r.table_name = t.table_name AND r.row_id = ANY(linked)
             AND r.data IS DISTINCT FROM sync.scrub(r.table_name, r.data, r.row_id);
          GET DIAGNOSTICS n = ROW_COUNT;
          counts := counts || jsonb_build_object(t.table_name, n);
        END IF;
      END LOOP;
      -- The numbers and addresses are no one's any more: no duplicate can be claimed on them.
      DELETE FROM sync.claims WHERE kind IN ('phone', 'email') AND row_id = ANY(fam);
      UPDATE sync.rows SET data = data || jsonb_build_object(
          'details', '{{"erased": true}}',
          'status', CASE WHEN data->>'status' = 'open' THEN 'resolved' ELSE data->>'status' END,
          'resolution', CASE WHEN data->>'status' = 'open' THEN to_jsonb('erased'::text) ELSE data->'resolution' END,
          'resolved_at', CASE WHEN data->>'status' = 'open' THEN to_jsonb({_ISO}) ELSE data->'resolved_at' END),
          updated_by = dev.id
       WHERE table_name = 'sync_conflicts'
         AND (data->>'row_a' = ANY(every || fam) OR data->>'row_b' = ANY(every || fam));
      FOREACH cid IN ARRAY fam LOOP
        INSERT INTO sync.rows (table_name, row_id, data, store_id, updated_by)
        VALUES ('customer_erasures', cid, stone || jsonb_build_object('customer_id', cid), dev.store_id, dev.id)
        ON CONFLICT (table_name, row_id) DO NOTHING;
      END LOOP;
      RETURN jsonb_build_object('status', 'applied', 'erased', to_jsonb(fam), 'rows', counts);
    END $$""",

    """CREATE FUNCTION sync.apply_erase(dev sync.devices, m jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE ids text[];
    BEGIN
      IF jsonb_typeof(m->'customers') IS DISTINCT FROM 'array'
         OR jsonb_array_length(m->'customers') NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION 'erase: customers must be a list of 1 to 500 customer ids';
      END IF;
      ids := ARRAY(SELECT jsonb_array_elements_text(m->'customers'));
      IF EXISTS (SELECT 1 FROM unnest(ids) i WHERE i !~ '^[0-9a-f]{32}$') THEN
        RAISE EXCEPTION 'erase: customers must be ids (32 hex digits)';
      END IF;
      RETURN sync.erase(dev, ids, m->>'reason', m->>'at', m->>'by');
    END $$""",

    # The row path, wrapped: tombstones are erasures; an erased customer's rows take no
    # personal value any more.
    "ALTER FUNCTION sync.apply_row(sync.devices, jsonb) RENAME TO apply_row_c0002",
    """CREATE FUNCTION sync.apply_row(dev sync.devices, m jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE t text := m->>'table'; rid text := m->>'row'; cur sync.rows; newv jsonb; cust text;
      r jsonb; k text;
    BEGIN
      IF t = 'customer_erasures' THEN
        newv := m->'new';
        IF m->>'op' IS DISTINCT FROM 'insert' THEN
          RAISE EXCEPTION 'customer_erasures: rows are written once and never changed';
        END IF;
        IF coalesce(rid, '') !~ '^[0-9a-f]{32}$' OR jsonb_typeof(newv) IS DISTINCT FROM 'object'
           OR newv->>'customer_id' IS DISTINCT FROM rid THEN
          RAISE EXCEPTION 'customer_erasures: "%" is not a customer id matching the row', left(coalesce(rid, ''), 40);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM sync.rows WHERE table_name = 'customers' AND row_id = rid) THEN
          RAISE EXCEPTION 'customer_erasures.customer_id: refers to customers %, which the server does not have', rid;
        END IF;
        IF sync.erased(rid) THEN
          RETURN jsonb_build_object('status', 'applied', 'row', rid, 'notes', 'already erased');
        END IF;
        RETURN sync.erase(dev, ARRAY[rid], newv->>'reason', newv->>'erased_at', newv->>'erased_by')
               || jsonb_build_object('row', rid);
      END IF;
      IF jsonb_typeof(coalesce(m->'new', '{}'::jsonb)) = 'object' AND coalesce(rid, '') ~ '^[0-9a-f]{32}$' THEN
        SELECT * INTO cur FROM sync.rows WHERE table_name = t AND row_id = rid;
        cust := sync.row_customer(t, coalesce(cur.data, '{}'::jsonb) || coalesce(m->'new', '{}'::jsonb));
        IF t = 'customers' THEN cust := rid; END IF;
      END IF;
      IF cust IS NULL OR NOT sync.erased(cust) THEN
        RETURN sync.apply_row_c0002(dev, m);
      END IF;
      IF cur.row_id IS NULL THEN
        m := jsonb_set(m, '{new}', sync.scrub(t, coalesce(m->'new', '{}'::jsonb), rid));
      ELSE
        FOR k IN SELECT column_name FROM sync.personal WHERE table_name = t LOOP
          m := jsonb_set(m, '{new}', coalesce(m->'new', '{}'::jsonb) - k);
          m := jsonb_set(m, '{base}', coalesce(m->'base', '{}'::jsonb) - k);
        END LOOP;
      END IF;
      r := sync.apply_row_c0002(dev, m);
      -- A re-sent insert merges its values in: the stored row keeps placeholders only.
      UPDATE sync.rows SET data = sync.scrub(t, data, row_id)
       WHERE table_name = t AND row_id = coalesce(r->>'row', rid)
         AND data IS DISTINCT FROM sync.scrub(t, data, row_id);
      RETURN r || jsonb_build_object('erased', cust);
    END $$""",

    # A merge that involves an erased customer erases the other record too.
    "ALTER FUNCTION sync.apply_merge(sync.devices, jsonb) RENAME TO apply_merge_c0001",
    f"""CREATE FUNCTION sync.apply_merge(dev sync.devices, m jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE r jsonb; a text := m->>'survivor'; b text := m->>'loser';
    BEGIN
      r := sync.apply_merge_c0001(dev, m);
      IF sync.erased(a) OR sync.erased(b) OR sync.erased(sync.resolve_customer(a)) THEN
        PERFORM sync.erase(dev, ARRAY[a, b], 'merged with an erased customer', {_ISO}, NULL);
        r := r || jsonb_build_object('erased', true);
      END IF;
      RETURN r;
    END $$""",

    """CREATE FUNCTION sync.apply_mutation(dev sync.devices, m jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    BEGIN
      RETURN CASE m->>'kind' WHEN 'row' THEN sync.apply_row(dev, m)
                             WHEN 'merge' THEN sync.apply_merge(dev, m)
                             WHEN 'resolve' THEN sync.apply_resolve(dev, m)
                             WHEN 'erase' THEN sync.apply_erase(dev, m)
                             -- A change its counter could not send (say, text Postgres
                             -- cannot store): its place in the order is kept, refused.
                             WHEN 'void' THEN jsonb_build_object('status', 'rejected',
                               'row', left(m->>'row', 64), 'reason', 'the counter could not '
                               || 'send this change: ' || left(coalesce(m->>'reason', '?'), 300)) END;
    END $$""",

    """DO $$ DECLARE f regprocedure;
    BEGIN
      FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'sync' AND NOT EXISTS (
                  SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) cfg WHERE cfg LIKE 'search_path=%') LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = sync, pg_temp', f);
      END LOOP;
    END $$""",
    "REVOKE ALL ON ALL TABLES IN SCHEMA sync FROM PUBLIC, anon, authenticated, service_role, shopdesk_terminal",
    "REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA sync FROM PUBLIC, anon, authenticated, service_role",
] + [stmt for t in _NEW_TABLES for stmt in (
    f"ALTER TABLE sync.{t} ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY deny_all ON sync.{t} AS RESTRICTIVE FOR ALL TO PUBLIC USING (false) WITH CHECK (false)")]


# c0002's `sync.push` chose the function per kind in one CASE; from here it calls
# `sync.apply_mutation`. Its definition is patched in place (rather than restated
# whole): only that expression changes, and the migration stops if it is not there.
_DISPATCH = re.compile(r"r := CASE m->>'kind' WHEN 'row' THEN .*? END;", re.DOTALL)


def _dispatch_through_apply_mutation(raw: Any) -> None:
    source = raw.execute("SELECT pg_get_functiondef('sync.push(text, jsonb)'::regprocedure)"
                         ).fetchone()[0]
    patched, count = _DISPATCH.subn("r := sync.apply_mutation(dev, m);", source)
    if count != 1:
        raise RuntimeError("c0003: sync.push is not c0002's; cannot route it through "
                           "sync.apply_mutation")
    raw.execute(patched)


def upgrade() -> None:
    # Straight to psycopg with no parameters: the plpgsql bodies are full of
    # '%' and ':' that a parameter-aware layer would try to interpret.
    raw = op.get_bind().connection.driver_connection
    for statement in SQL:
        raw.execute(statement)
    # (pg_get_functiondef keeps the pinned search_path; CREATE OR REPLACE keeps grants.)
    _dispatch_through_apply_mutation(raw)


def downgrade() -> None:
    raise NotImplementedError("the central schema is only upgraded (`shopdesk central setup`)")
