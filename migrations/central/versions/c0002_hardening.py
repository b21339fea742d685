"""Hardening (issues 10 and 11): the server trusts a terminal only as far as the app goes.

- Operations: a terminal may insert and update synced rows, never delete them (the app
  never does); a row of a store-owned table (tickets, their devices, status changes,
  services, support) may be changed only by terminals of the store that inserted it;
  append-only tables are never changed; some columns (codes, numbers, creation facts)
  are fixed once written.
- Values: every column is checked against the rules the app itself keeps (types,
  choices, lengths, dates, ranges), from a registry `central setup` writes
  (`sync.columns`, made from the app's models by `shopdesk.sync.rules`), and a row may
  not exceed 64 KB. One poisoned row can no longer reach, let alone stop, the others.
- Stalls: a push waits at most about a second for the commit-order lock; when a
  terminal session holds it while idle in a transaction (or in one older than
  5 s), that session is ended and the push goes on.
- Audit anchors: each terminal's newest audit entry (node, seq, hash) is kept here, so
  a counter can prove its trail was not cut or rewritten.
- Optional per-store scoping of tickets and devices on pull (`sync.meta.store_scoped`).
- Supabase's database linter: every function pins its search_path; the SECURITY
  DEFINER entry points move to schema `sync_api` (not exposed by PostgREST), called by
  SECURITY INVOKER doors in `public`; only `anon` (REST) and the terminals' group may
  execute them; every sync table has a deny-all restrictive policy on top of RLS.
- Pokes: a push that changed anything notifies `shopdesk_sync` (LISTEN on a direct
  connection) and, where Supabase Realtime exists, broadcasts only the new sequence
  number on topic `shopdesk-sync` (never row data).

Revision ID: c0002
Revises: c0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = 'c0002'
down_revision = 'c0001'
branch_labels = None
depends_on = None

_ISO = "to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
_TABLES = ("counter", "meta", "stores", "devices", "mutations", "rows", "synced_tables",
           "policies", "refs", "ticket_transitions", "claims", "distinct_pairs", "columns")
_DOORS = ("push(p_token text, p_batch jsonb)",
          "pull(p_token text, p_cursor bigint, p_limit int, p_ack_floor bigint)",
          "hello(p_token text)")

SQL = [
    "CREATE SCHEMA IF NOT EXISTS sync_api",
    "REVOKE ALL ON SCHEMA sync_api FROM PUBLIC",
    """ALTER TABLE sync.synced_tables
        ADD COLUMN mode text NOT NULL DEFAULT 'shared'
            CONSTRAINT ck_synced_tables_mode CHECK (mode IN ('shared', 'store', 'append')),
        ADD COLUMN immutable text[] NOT NULL DEFAULT '{}',
        ADD COLUMN owner_column text, ADD COLUMN owner_table text,
        ADD COLUMN scoped boolean NOT NULL DEFAULT false""",
    """CREATE TABLE sync.columns (table_name text, column_name text,
        kind text NOT NULL CONSTRAINT ck_columns_kind
            CHECK (kind IN ('text', 'int', 'money', 'bool', 'uuid', 'datetime', 'date', 'json')),
        nullable boolean NOT NULL, max_length int, choices text[], minimum numeric,
        min_exclusive boolean NOT NULL DEFAULT false, maximum numeric, exact_length int,
        prefix text, lower_case boolean NOT NULL DEFAULT false,
        CONSTRAINT pk_columns PRIMARY KEY (table_name, column_name))""",
    """ALTER TABLE sync.devices ADD COLUMN audit_anchor jsonb, ADD COLUMN audit_at timestamptz,
        ADD COLUMN audit_rewinds int NOT NULL DEFAULT 0,
        ADD COLUMN transport text NOT NULL DEFAULT 'direct'""",
    "ALTER TABLE sync.meta ADD COLUMN store_scoped boolean NOT NULL DEFAULT false",

    # -- values ------------------------------------------------------------------
    r"""CREATE FUNCTION sync.check_value(c sync.columns, v jsonb) RETURNS text
        LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE w text := c.table_name || '.' || c.column_name; s text; n numeric;
    BEGIN
      IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        RETURN CASE WHEN c.nullable THEN NULL ELSE w || ': is required' END;
      END IF;
      IF c.kind IN ('int', 'money') THEN
        IF jsonb_typeof(v) <> 'number' THEN
          RETURN format('%s: must be a whole number, not %s', w, left(v::text, 40));
        END IF;
        n := (v #>> '{}')::numeric;
        IF n <> trunc(n) OR n < -9223372036854775808 OR n > 9223372036854775807 THEN
          RETURN format('%s: must be a whole number, not %s', w, left(v::text, 40));
        END IF;
        IF c.minimum IS NOT NULL AND (n < c.minimum OR (c.min_exclusive AND n = c.minimum)) THEN
          RETURN format('%s: must be %s %s (got %s)', w,
                        CASE WHEN c.min_exclusive THEN '>' ELSE 'at least' END, c.minimum, n);
        END IF;
        IF c.maximum IS NOT NULL AND n > c.maximum THEN
          RETURN format('%s: must be at most %s (got %s)', w, c.maximum, n);
        END IF;
        RETURN NULL;
      END IF;
      IF c.kind = 'bool' THEN
        IF jsonb_typeof(v) = 'boolean' OR v = '0'::jsonb OR v = '1'::jsonb THEN RETURN NULL; END IF;
        RETURN format('%s: must be true or false (0 or 1), not %s', w, left(v::text, 40));
      END IF;
      IF jsonb_typeof(v) <> 'string' THEN
        RETURN format('%s: must be text, not %s', w, jsonb_typeof(v));
      END IF;
      s := v #>> '{}';
      IF c.kind = 'uuid' THEN
        RETURN CASE WHEN s ~ '^[0-9a-f]{32}$' THEN NULL ELSE w || ': is not an id (32 hex digits)' END;
      END IF;
      IF c.kind = 'date' THEN
        BEGIN
          IF s ~ '^\d{4}-\d{2}-\d{2}$' AND to_char(s::date, 'YYYY-MM-DD') = s THEN RETURN NULL; END IF;
        EXCEPTION WHEN others THEN NULL;
        END;
        RETURN format('%s: ''%s'' is not a date (YYYY-MM-DD)', w, left(s, 40));
      END IF;
      IF c.kind = 'datetime' THEN
        BEGIN
          IF s ~ '^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$'
             AND s::timestamptz IS NOT NULL THEN
            RETURN NULL;
          END IF;
        EXCEPTION WHEN others THEN NULL;
        END;
        RETURN format('%s: ''%s'' is not an ISO 8601 instant with offset', w, left(s, 40));
      END IF;
      IF c.max_length IS NOT NULL AND length(s) > c.max_length THEN
        RETURN format('%s: must be at most %s characters (got %s)', w, c.max_length, length(s));
      END IF;
      IF c.exact_length IS NOT NULL AND length(s) <> c.exact_length THEN
        RETURN format('%s: must be exactly %s characters', w, c.exact_length);
      END IF;
      IF c.choices IS NOT NULL AND NOT (s = ANY (c.choices)) THEN
        RETURN format('%s: ''%s'' is not one of: %s', w, left(s, 40), array_to_string(c.choices, ', '));
      END IF;
      IF c.prefix IS NOT NULL AND left(s, length(c.prefix)) <> c.prefix THEN
        RETURN format('%s: must start with ''%s''', w, c.prefix);
      END IF;
      IF c.lower_case AND s <> lower(s) THEN RETURN w || ': must be lower-case'; END IF;
      IF c.kind = 'json' THEN
        BEGIN
          IF jsonb_typeof(s::jsonb) = 'object' THEN RETURN NULL; END IF;
        EXCEPTION WHEN others THEN NULL;
        END;
        RETURN w || ': must be a JSON object';
      END IF;
      RETURN NULL;
    END $$""",

    r"""CREATE OR REPLACE FUNCTION sync.validate(p_table text, d jsonb, old jsonb) RETURNS void
        LANGUAGE plpgsql AS $$
    DECLARE r record; c sync.columns; k text; v text; reason text; size int := octet_length(d::text);
    BEGIN
      IF size > 65536 THEN
        RAISE EXCEPTION '%: the row is % bytes; at most 65536 are accepted', p_table, size;
      END IF;
      SELECT min(key) INTO k FROM jsonb_object_keys(d) AS key
       WHERE NOT EXISTS (SELECT 1 FROM sync.columns x WHERE x.table_name = p_table AND x.column_name = key);
      IF k IS NOT NULL THEN
        RAISE EXCEPTION '%.%: is not a column this server knows (a newer shopdesk? run `shopdesk central setup` with it)',
          p_table, left(k, 60);
      END IF;
      FOR c IN SELECT * FROM sync.columns x WHERE x.table_name = p_table AND d ? x.column_name LOOP
        reason := sync.check_value(c, d -> c.column_name);
        IF reason IS NOT NULL THEN RAISE EXCEPTION '%', reason; END IF;
      END LOOP;
      IF p_table = 'customers' THEN
        IF coalesce(btrim(d->>'first_name'), '') = '' THEN RAISE EXCEPTION 'customers.first_name: is required'; END IF;
        IF coalesce(btrim(d->>'last_name'), '') = '' THEN RAISE EXCEPTION 'customers.last_name: is required'; END IF;
        IF coalesce(d->>'phone', '') !~ '^\+[1-9][0-9]{6,14}$' THEN
          RAISE EXCEPTION 'customers.phone: must be an international (E.164) number, not "%"', left(coalesce(d->>'phone', ''), 40);
        END IF;
        IF d->>'email' IS NOT NULL AND d->>'email' !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN
          RAISE EXCEPTION 'customers.email: "%" is not an e-mail address', left(d->>'email', 60);
        END IF;
      ELSIF p_table = 'repair_tickets' AND old IS NOT NULL AND old->>'status' IS DISTINCT FROM d->>'status'
            AND NOT EXISTS (SELECT 1 FROM sync.ticket_transitions
                             WHERE from_status = old->>'status' AND to_status = d->>'status') THEN
        RAISE EXCEPTION 'repair_tickets.status: cannot move from % to % (the ticket was moved on another counter)',
          old->>'status', d->>'status';
      END IF;
      FOR r IN SELECT column_name, ref_table FROM sync.refs WHERE table_name = p_table LOOP
        v := d->>r.column_name;
        IF v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sync.rows WHERE table_name = r.ref_table AND row_id = v AND NOT deleted) THEN
          RAISE EXCEPTION '%.%: refers to % %, which the server does not have', p_table, r.column_name, r.ref_table, v;
        END IF;
      END LOOP;
    END $$""",

    # -- operations and ownership ---------------------------------------------------
    """CREATE FUNCTION sync.check_write(dev sync.devices, tinfo sync.synced_tables, m jsonb,
        newv jsonb, cur sync.rows) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE k text; parent_store uuid; parent_mode text; t text := tinfo.table_name;
    BEGIN
      IF cur.row_id IS NOT NULL THEN
        IF tinfo.mode IN ('store', 'append') AND cur.store_id IS DISTINCT FROM dev.store_id THEN
          RAISE EXCEPTION 'forbidden: this % row belongs to another store; only that store''s counters may change it', t;
        END IF;
        IF tinfo.mode = 'append' AND EXISTS (SELECT 1 FROM jsonb_each(newv) e
                                              WHERE e.value IS DISTINCT FROM cur.data->e.key) THEN
          RAISE EXCEPTION '%: rows are written once and never changed', t;
        END IF;
        FOREACH k IN ARRAY tinfo.immutable || tinfo.pk LOOP
          IF newv ? k AND newv->k IS DISTINCT FROM cur.data->k THEN
            RAISE EXCEPTION '%.%: cannot be changed once written', t, k;
          END IF;
        END LOOP;
      ELSIF tinfo.owner_column IS NOT NULL AND newv->>tinfo.owner_column IS NOT NULL THEN
        SELECT r.store_id, s.mode INTO parent_store, parent_mode
          FROM sync.rows r JOIN sync.synced_tables s ON s.table_name = r.table_name
         WHERE r.table_name = tinfo.owner_table AND r.row_id = newv->>tinfo.owner_column;
        IF parent_mode IN ('store', 'append') AND parent_store IS DISTINCT FROM dev.store_id THEN
          RAISE EXCEPTION 'forbidden: the % this % row belongs to is another store''s', tinfo.owner_table, t;
        END IF;
      END IF;
    END $$""",

    """CREATE OR REPLACE FUNCTION sync.apply_row(dev sync.devices, m jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE
      t text := m->>'table'; rid text := m->>'row'; op text := m->>'op';
      tinfo sync.synced_tables; cur sync.rows; have boolean; nd jsonb; old jsonb;
      newv jsonb := coalesce(m->'new', '{}'::jsonb); basev jsonb := coalesce(m->'base', '{}'::jsonb);
      k text; v jsonb; b jsonb; c jsonb; pol text; target text; cid text;
      conflicts jsonb := '[]'::jsonb; notes jsonb := '[]'::jsonb;
    BEGIN
      SELECT * INTO tinfo FROM sync.synced_tables WHERE table_name = t;
      IF NOT FOUND THEN
        RAISE EXCEPTION '%: is not a table this server syncs', left(coalesce(t, '(none)'), 60);
      END IF;
      IF op IS DISTINCT FROM 'insert' AND op IS DISTINCT FROM 'update' THEN
        RAISE EXCEPTION '%: "%" is not a change shopdesk makes (it never deletes % rows); refused',
          t, left(coalesce(op, '(none)'), 20), t;
      END IF;
      IF coalesce(rid, '') !~ '^[0-9a-f]{32}$' THEN
        RAISE EXCEPTION '%: "%" is not a row id (32 hex digits)', t, left(coalesce(rid, ''), 40);
      END IF;
      IF jsonb_typeof(newv) <> 'object' OR jsonb_typeof(basev) <> 'object' THEN
        RAISE EXCEPTION '%: a change must carry its values as JSON objects', t;
      END IF;
      IF newv ? tinfo.pk AND newv->>tinfo.pk IS DISTINCT FROM rid THEN
        RAISE EXCEPTION '%.%: does not match the row id %', t, tinfo.pk, rid;
      END IF;
      -- A reference to a merged customer follows the redirect.
      FOR k IN SELECT column_name FROM sync.refs WHERE table_name = t AND ref_table = 'customers' LOOP
        IF newv->>k IS NOT NULL THEN
          target := sync.resolve_customer(newv->>k);
          IF target <> newv->>k THEN
            notes := notes || jsonb_build_object('redirected', k, 'from', newv->>k, 'to', target);
            newv := jsonb_set(newv, ARRAY[k], to_jsonb(target));
          END IF;
        END IF;
      END LOOP;
      IF t = 'customers' AND op = 'update' THEN
        target := sync.resolve_customer(rid);
        IF target <> rid THEN
          notes := notes || jsonb_build_object('redirected', 'id', 'from', rid, 'to', target);
          rid := target;
          newv := newv - 'id' - 'code' - 'merged_into' - 'is_active' - 'created_at' - 'registered_by';
        END IF;
      END IF;
      SELECT * INTO cur FROM sync.rows WHERE table_name = t AND row_id = rid FOR UPDATE;
      have := cur.row_id IS NOT NULL;
      PERFORM sync.check_write(dev, tinfo, m, newv, cur);
      IF op = 'insert' AND NOT have THEN
        IF NOT newv ? tinfo.pk THEN newv := jsonb_set(newv, ARRAY[tinfo.pk], to_jsonb(rid)); END IF;
        PERFORM sync.validate(t, newv, NULL);
        INSERT INTO sync.rows (table_name, row_id, data, store_id, updated_by) VALUES (t, rid, newv, dev.store_id, dev.id);
        nd := newv;
      ELSE
        IF NOT have THEN
          RAISE EXCEPTION '%: row % does not exist on the server', t, rid;
        END IF;
        IF cur.deleted THEN
          cid := sync.open_conflict('update_on_deleted', t, rid, NULL, NULL,
                                    jsonb_build_object('changes', newv), m->>'id');
          RETURN jsonb_build_object('status', 'rejected', 'row', rid, 'conflicts', jsonb_build_array(cid),
            'reason', format('update_on_deleted: this %s row was deleted on another counter; the change was not applied', t));
        END IF;
        IF op = 'insert' THEN basev := cur.data; END IF;  -- re-sent insert (restored copy): merge
        old := cur.data; nd := cur.data;
        FOR k, v IN SELECT key, value FROM jsonb_each(newv) LOOP
          b := coalesce(basev->k, 'null'::jsonb); c := coalesce(nd->k, 'null'::jsonb);
          SELECT policy INTO pol FROM sync.policies WHERE table_name = t AND column_name = k;
          IF c = b OR c = v OR pol = 'quiet' THEN
            nd := jsonb_set(nd, ARRAY[k], v, true);
          ELSIF pol = 'delta' AND jsonb_typeof(v) = 'number' AND jsonb_typeof(b) = 'number' AND jsonb_typeof(c) = 'number' THEN
            nd := jsonb_set(nd, ARRAY[k], to_jsonb((c#>>'{}')::numeric + (v#>>'{}')::numeric - (b#>>'{}')::numeric));
          ELSE
            -- Same field changed on two counters: the later arrival wins and the
            -- overwritten value is kept in a conflict record staff can see.
            nd := jsonb_set(nd, ARRAY[k], v, true);
            cid := sync.open_conflict('field', t, rid, NULL, k,
                                      jsonb_build_object('overwritten', c, 'kept', v, 'base', b), m->>'id');
            conflicts := conflicts || to_jsonb(cid);
          END IF;
        END LOOP;
        PERFORM sync.validate(t, nd, old);
        UPDATE sync.rows SET data = nd, updated_by = dev.id WHERE table_name = t AND row_id = rid;
      END IF;
      IF t = 'customers' THEN
        FOREACH k IN ARRAY ARRAY['phone', 'email'] LOOP
          IF nd->>k IS NOT NULL AND (old IS NULL OR old->>k IS DISTINCT FROM nd->>k) THEN
            cid := sync.claim(k, nd->>k, rid, 'customers', m->>'id');
            IF cid IS NOT NULL THEN conflicts := conflicts || to_jsonb(cid); END IF;
          END IF;
        END LOOP;
      ELSIF t = 'devices' AND nd->>'imei' IS NOT NULL AND (old IS NULL OR old->>'imei' IS DISTINCT FROM nd->>'imei') THEN
        cid := sync.claim('imei', nd->>'imei', rid, 'devices', m->>'id');
        IF cid IS NOT NULL THEN conflicts := conflicts || to_jsonb(cid); END IF;
      END IF;
      RETURN jsonb_build_object('status', CASE WHEN jsonb_array_length(conflicts) > 0 THEN 'conflict' ELSE 'applied' END,
                                'row', rid, 'conflicts', conflicts, 'notes', notes);
    END $$""",

    # -- stalls ----------------------------------------------------------------------
    """CREATE FUNCTION sync.end_stalled_terminals() RETURNS int LANGUAGE plpgsql AS $$
    DECLARE ended int;
    BEGIN
      -- Only terminals' own logins, and only those holding a write transaction that is
      -- idle or older than a legitimate push ever takes; never the API or an admin.
      SELECT count(*) FILTER (WHERE pg_terminate_backend(a.pid)) INTO ended
        FROM pg_stat_activity a
       WHERE a.pid <> pg_backend_pid() AND a.datname = current_database()
         AND a.usename IN (SELECT role_name FROM sync.devices)
         AND a.backend_xid IS NOT NULL
         AND (a.state LIKE 'idle in transaction%' OR a.xact_start < clock_timestamp() - interval '5 seconds');
      RETURN ended;
    END $$""",

    """CREATE FUNCTION sync.take_turn() RETURNS void LANGUAGE plpgsql AS $$
    DECLARE before text := current_setting('lock_timeout');
    BEGIN
      -- The counter row orders commits (see sync.stamp); take it first, briefly.
      BEGIN
        PERFORM set_config('lock_timeout', '1s', true);
        PERFORM 1 FROM sync.counter WHERE one FOR UPDATE;
      EXCEPTION WHEN lock_not_available THEN
        PERFORM sync.end_stalled_terminals();
        PERFORM set_config('lock_timeout', '1500ms', true);
        PERFORM 1 FROM sync.counter WHERE one FOR UPDATE;
      END;
      PERFORM set_config('lock_timeout', before, true);
    END $$""",

    """CREATE FUNCTION sync.poke() RETURNS void LANGUAGE plpgsql AS $$
    DECLARE seq bigint := (SELECT value FROM sync.counter);
    BEGIN
      PERFORM pg_notify('shopdesk_sync', seq::text);
      IF to_regprocedure('realtime.send(jsonb, text, text, boolean)') IS NOT NULL THEN
        BEGIN
          EXECUTE 'SELECT realtime.send($1, $2, $3, false)'
            USING jsonb_build_object('seq', seq), 'poke', 'shopdesk-sync';
        EXCEPTION WHEN others THEN
          NULL;  -- a poke is a courtesy: counters also poll, so a push never fails for it
        END;
      END IF;
    END $$""",

    """CREATE OR REPLACE FUNCTION sync.push(p_token text, p_batch jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE dev sync.devices; m jsonb; r jsonb; prior sync.mutations; last bigint; n bigint;
      results jsonb := '[]'::jsonb; minp int; anchor jsonb := p_batch->'audit_anchor'; changed boolean := false;
    BEGIN
      dev := sync.device_for(p_token);
      IF jsonb_typeof(p_batch) IS DISTINCT FROM 'object'
         OR p_batch->>'device_id' IS DISTINCT FROM replace(dev.id::text, '-', '') THEN
        RAISE EXCEPTION 'forbidden: this credential belongs to another terminal' USING ERRCODE = '42501';
      END IF;
      IF jsonb_typeof(coalesce(p_batch->'mutations', '[]'::jsonb)) <> 'array'
         OR jsonb_array_length(coalesce(p_batch->'mutations', '[]'::jsonb)) > 2000 THEN
        RETURN jsonb_build_object('error', 'bad_batch', 'reason', 'mutations must be an array of at most 2000 changes');
      END IF;
      SELECT min_protocol INTO minp FROM sync.meta;
      IF coalesce((p_batch->>'protocol')::int, 0) < minp THEN
        RETURN jsonb_build_object('error', 'upgrade_required', 'min_protocol', minp);
      END IF;
      IF jsonb_array_length(coalesce(p_batch->'mutations', '[]'::jsonb)) > 0 THEN
        PERFORM sync.take_turn();  -- an anchor alone changes no row: no turn needed
      END IF;
      -- One push per terminal at a time: a duplicate delivery waits here, then replays.
      SELECT last_seq INTO last FROM sync.devices WHERE id = dev.id FOR UPDATE;
      FOR m IN SELECT value FROM jsonb_array_elements(coalesce(p_batch->'mutations', '[]'::jsonb))
                ORDER BY (value->>'seq')::bigint LOOP
        n := (m->>'seq')::bigint;
        SELECT * INTO prior FROM sync.mutations WHERE mutation_id = m->>'id';
        IF FOUND THEN
          IF prior.device_id = dev.id AND prior.device_seq = n THEN
            results := results || jsonb_build_array(jsonb_build_array(n, prior.status, prior.result));
            CONTINUE;
          ELSIF prior.device_id <> dev.id AND n = last + 1 THEN
            last := n;
            results := results || jsonb_build_array(jsonb_build_array(n, prior.status, prior.result));
            CONTINUE;
          END IF;
          RETURN jsonb_build_object('error', 'mutation_id_reuse', 'mutation_id', m->>'id',
                                    'acked_through', last, 'results', results);
        END IF;
        IF n <= last THEN
          UPDATE sync.devices SET forks = forks + 1, last_seq = last WHERE id = dev.id;
          RETURN jsonb_build_object('error', 'device_fork', 'device_seq', n, 'acked_through', last, 'results', results);
        END IF;
        IF n > last + 1 THEN
          UPDATE sync.devices SET last_seq = last WHERE id = dev.id;
          RETURN jsonb_build_object('error', 'gap', 'expected', last + 1, 'acked_through', last, 'results', results);
        END IF;
        BEGIN
          IF coalesce(m->>'id', '') !~ '^[0-9a-f]{32}$' THEN
            RAISE EXCEPTION 'mutation: "%" is not a mutation id', left(coalesce(m->>'id', ''), 40);
          END IF;
          r := CASE m->>'kind' WHEN 'row' THEN sync.apply_row(dev, m)
                               WHEN 'merge' THEN sync.apply_merge(dev, m)
                               WHEN 'resolve' THEN sync.apply_resolve(dev, m)
                               -- A change its counter could not send (say, text Postgres
                               -- cannot store): its place in the order is kept, refused.
                               WHEN 'void' THEN jsonb_build_object('status', 'rejected',
                                 'row', left(m->>'row', 64), 'reason', 'the counter could not '
                                 || 'send this change: ' || left(coalesce(m->>'reason', '?'), 300)) END;
          IF r IS NULL THEN RAISE EXCEPTION 'kind: "%" is not a change this server knows', left(m->>'kind', 40); END IF;
        EXCEPTION WHEN raise_exception OR integrity_constraint_violation OR data_exception
                       OR invalid_text_representation OR datatype_mismatch THEN
          -- A broken business rule rejects this change only; the ones behind it go on.
          r := jsonb_build_object('status', 'rejected', 'reason', left(SQLERRM, 500), 'row', left(m->>'row', 64));
        END;
        IF r->>'status' = 'rejected' AND m->>'kind' IN ('row', 'void') THEN
          -- Touch the row so the next pull brings the server's truth back.
          UPDATE sync.rows SET updated_by = updated_by WHERE table_name = m->>'table' AND row_id = m->>'row';
        END IF;
        INSERT INTO sync.mutations VALUES (m->>'id', dev.id, n, left(coalesce(m->>'kind', '?'), 16), r->>'status', r, now());
        changed := true;
        last := n;
        results := results || jsonb_build_array(jsonb_build_array(n, r->>'status', r));
      END LOOP;
      IF jsonb_typeof(anchor) = 'object' AND anchor->>'seq' ~ '^[0-9]{1,18}$'
         AND anchor->>'hash' ~ '^[0-9a-f]{64}$' AND length(anchor->>'node') BETWEEN 1 AND 16 THEN
        anchor := jsonb_build_object('node', anchor->>'node', 'seq', (anchor->>'seq')::bigint, 'hash', anchor->>'hash');
        UPDATE sync.devices SET
          audit_rewinds = audit_rewinds + CASE WHEN (audit_anchor->>'seq')::bigint > (anchor->>'seq')::bigint THEN 1 ELSE 0 END,
          audit_anchor = CASE WHEN audit_anchor IS NULL OR (audit_anchor->>'seq')::bigint <= (anchor->>'seq')::bigint
                              THEN anchor ELSE audit_anchor END,
          audit_at = now()
         WHERE id = dev.id;
      END IF;
      UPDATE sync.devices SET last_seq = last, last_push_at = now(),
             protocol = (p_batch->>'protocol')::int, app_version = left(p_batch->>'app_version', 40)
       WHERE id = dev.id;
      IF changed THEN PERFORM sync.poke(); END IF;
      RETURN jsonb_build_object('acked_through', last, 'results', results,
                                'audit_anchor', (SELECT audit_anchor FROM sync.devices WHERE id = dev.id));
    END $$""",

    """CREATE OR REPLACE FUNCTION sync.pull(p_token text, p_cursor bigint, p_limit int, p_ack_floor bigint)
        RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
    DECLARE dev sync.devices; ch jsonb; cnt int; nxt bigint; v_scoped boolean;
      lim int := greatest(1, least(coalesce(p_limit, 1000), 20000));
    BEGIN
      dev := sync.device_for(p_token);
      SELECT store_scoped INTO v_scoped FROM sync.meta;
      -- The cursor moves over every row scanned; a scoped store is sent only its own
      -- rows of the scoped tables (tickets, devices and what hangs off them).
      SELECT coalesce(jsonb_agg(jsonb_build_array(s.table_name, s.row_id, s.seq, s.deleted, s.data) ORDER BY s.seq)
                        FILTER (WHERE NOT v_scoped OR s.store_id IS NULL OR s.store_id = dev.store_id
                                OR NOT coalesce(t.scoped, false)), '[]'::jsonb),
             count(*), max(s.seq)
        INTO ch, cnt, nxt
        FROM (SELECT * FROM sync.rows WHERE seq > coalesce(p_cursor, 0) ORDER BY seq LIMIT lim) s
        LEFT JOIN sync.synced_tables t ON t.table_name = s.table_name;
      RETURN jsonb_build_object(
        'changes', ch, 'next_cursor', coalesce(nxt, p_cursor), 'has_more', cnt >= lim,
        'server_seq', (SELECT value FROM sync.counter),
        'device_last_seq', dev.last_seq,
        'epoch', (SELECT epoch FROM sync.meta), 'min_protocol', (SELECT min_protocol FROM sync.meta),
        'results', (SELECT coalesce(jsonb_agg(jsonb_build_array(x.device_seq, x.status, x.result) ORDER BY x.device_seq), '[]'::jsonb)
                      FROM (SELECT * FROM sync.mutations WHERE device_id = dev.id AND device_seq > coalesce(p_ack_floor, 0)
                             AND device_seq <= dev.last_seq ORDER BY device_seq LIMIT 5000) x));
    END $$""",

    """CREATE OR REPLACE FUNCTION sync.hello(p_token text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
    DECLARE dev sync.devices;
    BEGIN
      dev := sync.device_for(p_token);
      RETURN jsonb_build_object('device_id', replace(dev.id::text, '-', ''), 'name', dev.name,
        'store', (SELECT name FROM sync.stores WHERE id = dev.store_id), 'last_seq', dev.last_seq,
        'server_seq', (SELECT value FROM sync.counter), 'epoch', (SELECT epoch FROM sync.meta),
        'min_protocol', (SELECT min_protocol FROM sync.meta),
        'store_scoped', (SELECT store_scoped FROM sync.meta),
        'audit_anchor', dev.audit_anchor, 'audit_rewinds', dev.audit_rewinds);
    END $$""",

    # -- the doors ---------------------------------------------------------------------
    "DROP FUNCTION public.shopdesk_push(text, jsonb)",
    "DROP FUNCTION public.shopdesk_pull(text, bigint, int, bigint)",
    "DROP FUNCTION public.shopdesk_hello(text)",
    """CREATE FUNCTION sync_api.push(p_token text, p_batch jsonb) RETURNS jsonb LANGUAGE sql
        SECURITY DEFINER SET search_path = sync, pg_temp AS $$ SELECT sync.push(p_token, p_batch) $$""",
    """CREATE FUNCTION sync_api.pull(p_token text, p_cursor bigint, p_limit int, p_ack_floor bigint)
        RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sync, pg_temp
        AS $$ SELECT sync.pull(p_token, p_cursor, p_limit, p_ack_floor) $$""",
    """CREATE FUNCTION sync_api.hello(p_token text) RETURNS jsonb LANGUAGE sql STABLE
        SECURITY DEFINER SET search_path = sync, pg_temp AS $$ SELECT sync.hello(p_token) $$""",
    """CREATE FUNCTION public.shopdesk_push(p_token text, p_batch jsonb) RETURNS jsonb LANGUAGE sql
        SECURITY INVOKER SET search_path = '' AS $$ SELECT sync_api.push(p_token, p_batch) $$""",
    """CREATE FUNCTION public.shopdesk_pull(p_token text, p_cursor bigint, p_limit int, p_ack_floor bigint)
        RETURNS jsonb LANGUAGE sql STABLE SECURITY INVOKER SET search_path = ''
        AS $$ SELECT sync_api.pull(p_token, p_cursor, p_limit, p_ack_floor) $$""",
    """CREATE FUNCTION public.shopdesk_hello(p_token text) RETURNS jsonb LANGUAGE sql STABLE
        SECURITY INVOKER SET search_path = '' AS $$ SELECT sync_api.hello(p_token) $$""",

    # Pin every function's search_path (linter 0011), the trigger's included.
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
    "REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA sync_api FROM PUBLIC, anon, authenticated, service_role",
    """REVOKE EXECUTE ON FUNCTION public.shopdesk_push(text, jsonb), public.shopdesk_pull(text, bigint, int, bigint),
        public.shopdesk_hello(text) FROM PUBLIC, anon, authenticated, service_role""",
    # Supabase's REST runs as anon with the project's API key; terminals log in as
    # members of shopdesk_terminal. Nobody else needs these.
    "GRANT USAGE ON SCHEMA sync_api TO anon, shopdesk_terminal",
    """GRANT EXECUTE ON FUNCTION sync_api.push(text, jsonb), sync_api.pull(text, bigint, int, bigint),
        sync_api.hello(text) TO anon, shopdesk_terminal""",
    """GRANT EXECUTE ON FUNCTION public.shopdesk_push(text, jsonb), public.shopdesk_pull(text, bigint, int, bigint),
        public.shopdesk_hello(text) TO anon, shopdesk_terminal""",
    "ALTER TABLE sync.columns ENABLE ROW LEVEL SECURITY",
] + [f"CREATE POLICY deny_all ON sync.{t} AS RESTRICTIVE FOR ALL TO PUBLIC USING (false) WITH CHECK (false)"
     for t in _TABLES] + [
    # Terminals get no temporary tables: TEMP moves from PUBLIC to every role that
    # exists now except the terminals (needs the database's owner; else a notice).
    """DO $$ DECLARE r text;
    BEGIN
      EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
      FOR r IN SELECT rolname FROM pg_roles
                WHERE rolname !~ '^pg_' AND rolname <> 'shopdesk_terminal'
                  AND NOT pg_has_role(oid, 'shopdesk_terminal', 'MEMBER') LOOP
        EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), r);
      END LOOP;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'shopdesk: could not take TEMP from PUBLIC on this database (not its owner)';
    END $$""",
]


def upgrade() -> None:
    # Straight to psycopg with no parameters: the plpgsql bodies are full of
    # '%' and ':' that a parameter-aware layer would try to interpret.
    raw = op.get_bind().connection.driver_connection
    for statement in SQL:
        raw.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the central schema is only upgraded (`shopdesk central setup`)")
