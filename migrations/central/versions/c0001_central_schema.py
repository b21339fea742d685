"""Central schema: commit-ordered row store, idempotency ledger, claims, sync functions.

Every synced row is kept as one JSONB document in `sync.rows`, stamped by a
trigger with the next value of a single-row counter. The counter row stays
locked until the writing transaction commits, so sequence order is commit
order and a pull cursor never skips a late-committing transaction.

Terminals never touch a table: they may only EXECUTE the three
`public.shopdesk_*` functions (SECURITY DEFINER), which check the terminal's
own credential. Row-level security is on for every table with no policy, so
even a mistaken GRANT exposes nothing.

Revision ID: c0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = 'c0001'
down_revision = None
branch_labels = None
depends_on = None

_ISO = "to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"

SQL = [
    # Supabase has these roles; a plain Postgres gets them so grants read the same.
    """DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shopdesk_terminal') THEN CREATE ROLE shopdesk_terminal NOLOGIN; END IF;
    END $$""",
    """CREATE TABLE sync.counter (one boolean PRIMARY KEY DEFAULT true CONSTRAINT ck_counter_one CHECK (one),
        value bigint NOT NULL DEFAULT 0)""",
    "INSERT INTO sync.counter VALUES (true, 0)",
    """CREATE TABLE sync.meta (one boolean PRIMARY KEY DEFAULT true CONSTRAINT ck_meta_one CHECK (one),
        epoch uuid NOT NULL, min_protocol int NOT NULL, current_protocol int NOT NULL)""",
    "INSERT INTO sync.meta VALUES (true, gen_random_uuid(), 1, 1)",
    """CREATE TABLE sync.stores (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CONSTRAINT uq_stores_name UNIQUE, created_at timestamptz NOT NULL DEFAULT now())""",
    """CREATE TABLE sync.devices (id uuid PRIMARY KEY, store_id uuid NOT NULL REFERENCES sync.stores(id),
        name text NOT NULL, node_tag text NOT NULL CONSTRAINT uq_devices_node_tag UNIQUE,
        role_name text NOT NULL CONSTRAINT uq_devices_role_name UNIQUE,
        token_hash text NOT NULL CONSTRAINT uq_devices_token_hash UNIQUE,
        db_instance_id text NOT NULL, last_seq bigint NOT NULL DEFAULT 0, protocol int, app_version text,
        created_at timestamptz NOT NULL DEFAULT now(), revoked_at timestamptz,
        last_push_at timestamptz, forks int NOT NULL DEFAULT 0)""",
    """CREATE TABLE sync.mutations (mutation_id text PRIMARY KEY,
        device_id uuid NOT NULL REFERENCES sync.devices(id), device_seq bigint NOT NULL, kind text NOT NULL,
        status text NOT NULL CONSTRAINT ck_mutations_status CHECK (status IN ('applied','conflict','rejected')),
        result jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_mutations_device_seq UNIQUE (device_id, device_seq))""",
    """CREATE TABLE sync.rows (table_name text NOT NULL, row_id text NOT NULL, data jsonb NOT NULL,
        seq bigint NOT NULL DEFAULT 0, deleted boolean NOT NULL DEFAULT false, store_id uuid,
        updated_by uuid, updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_rows PRIMARY KEY (table_name, row_id))""",
    "CREATE UNIQUE INDEX ix_rows_seq ON sync.rows (seq)",
    "CREATE INDEX ix_rows_customer ON sync.rows ((data->>'customer_id')) WHERE data ? 'customer_id'",
    """CREATE INDEX ix_rows_open_conflicts ON sync.rows ((data->>'kind'), (data->>'row_a'), (data->>'row_b'))
        WHERE table_name = 'sync_conflicts' AND data->>'status' = 'open'""",
    # Registries, refreshed from the application's own tables by `central setup`.
    "CREATE TABLE sync.synced_tables (table_name text PRIMARY KEY, pk text NOT NULL)",
    """CREATE TABLE sync.policies (table_name text, column_name text,
        policy text NOT NULL CONSTRAINT ck_policies_policy CHECK (policy IN ('quiet','delta')),
        PRIMARY KEY (table_name, column_name))""",
    "CREATE TABLE sync.refs (table_name text, column_name text, ref_table text NOT NULL, PRIMARY KEY (table_name, column_name))",
    "CREATE TABLE sync.ticket_transitions (from_status text, to_status text, PRIMARY KEY (from_status, to_status))",
    """CREATE TABLE sync.claims (kind text CONSTRAINT ck_claims_kind CHECK (kind IN ('phone','email','imei')),
        value text, row_id text NOT NULL, PRIMARY KEY (kind, value))""",
    "CREATE TABLE sync.distinct_pairs (kind text, a text, b text, PRIMARY KEY (kind, a, b))",

    """CREATE FUNCTION sync.stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- The counter row stays locked to COMMIT: sequence order = commit order.
      UPDATE sync.counter SET value = value + 1 WHERE one RETURNING value INTO NEW.seq;
      NEW.updated_at := now();
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER rows_stamp BEFORE INSERT OR UPDATE ON sync.rows FOR EACH ROW EXECUTE FUNCTION sync.stamp()",

    """CREATE FUNCTION sync.device_for(p_token text) RETURNS sync.devices LANGUAGE plpgsql STABLE AS $$
    DECLARE d sync.devices;
    BEGIN
      SELECT * INTO d FROM sync.devices
       WHERE token_hash = encode(sha256(convert_to(coalesce(p_token, ''), 'UTF8')), 'hex');
      IF NOT FOUND OR d.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'forbidden: this terminal''s credential is unknown or revoked' USING ERRCODE = '42501';
      END IF;
      RETURN d;
    END $$""",

    """CREATE FUNCTION sync.resolve_customer(p_id text) RETURNS text LANGUAGE plpgsql STABLE AS $$
    DECLARE cur text := p_id; nxt text; hops int := 0;
    BEGIN
      LOOP
        SELECT data->>'merged_into' INTO nxt FROM sync.rows WHERE table_name = 'customers' AND row_id = cur;
        EXIT WHEN nxt IS NULL OR hops > 50;
        cur := nxt; hops := hops + 1;
      END LOOP;
      RETURN cur;
    END $$""",

    f"""CREATE FUNCTION sync.open_conflict(p_kind text, p_table text, p_a text, p_b text, p_column text,
        p_details jsonb, p_mutation text) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE found_id text; cid text := replace(gen_random_uuid()::text, '-', '');
    BEGIN
      IF p_kind LIKE 'duplicate_%' THEN
        SELECT row_id INTO found_id FROM sync.rows
         WHERE table_name = 'sync_conflicts' AND data->>'status' = 'open' AND data->>'kind' = p_kind
           AND ((data->>'row_a' = p_a AND data->>'row_b' = p_b) OR (data->>'row_a' = p_b AND data->>'row_b' = p_a));
        IF found_id IS NOT NULL THEN RETURN found_id; END IF;
      END IF;
      INSERT INTO sync.rows (table_name, row_id, data) VALUES ('sync_conflicts', cid, jsonb_build_object(
        'id', cid, 'kind', p_kind, 'table_name', p_table, 'row_a', p_a, 'row_b', p_b,
        'column_name', p_column, 'details', (p_details || jsonb_build_object('mutation', p_mutation))::text,
        'status', 'open', 'resolution', NULL, 'created_at', {_ISO}, 'resolved_at', NULL));
      RETURN cid;
    END $$""",

    """CREATE FUNCTION sync.claim(p_kind text, p_value text, p_row text, p_table text, p_mutation text)
        RETURNS text LANGUAGE plpgsql AS $$
    DECLARE holder text; live text;
    BEGIN
      IF p_value IS NULL OR p_value = '' THEN RETURN NULL; END IF;
      INSERT INTO sync.claims VALUES (p_kind, p_value, p_row) ON CONFLICT DO NOTHING;
      SELECT row_id INTO holder FROM sync.claims WHERE kind = p_kind AND value = p_value FOR UPDATE;
      live := CASE WHEN p_table = 'customers' THEN sync.resolve_customer(holder) ELSE holder END;
      IF live = p_row THEN RETURN NULL; END IF;
      IF NOT EXISTS (SELECT 1 FROM sync.rows WHERE table_name = p_table AND row_id = live AND NOT deleted
                      AND data->>'merged_into' IS NULL AND data->>p_kind = p_value) THEN
        -- The holder no longer has this value: the claim passes to the newcomer.
        UPDATE sync.claims SET row_id = p_row WHERE kind = p_kind AND value = p_value;
        RETURN NULL;
      END IF;
      IF EXISTS (SELECT 1 FROM sync.distinct_pairs WHERE kind = p_kind
                  AND a = least(live, p_row) AND b = greatest(live, p_row)) THEN
        RETURN NULL;
      END IF;
      RETURN sync.open_conflict('duplicate_' || p_kind, p_table, live, p_row, p_kind,
                                jsonb_build_object('value', p_value), p_mutation);
    END $$""",

    """CREATE FUNCTION sync.validate(p_table text, d jsonb, old jsonb) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE r record; k text; v text;
    BEGIN
      IF p_table = 'customers' THEN
        IF coalesce(btrim(d->>'first_name'), '') = '' THEN RAISE EXCEPTION 'customers.first_name: is required'; END IF;
        IF coalesce(btrim(d->>'last_name'), '') = '' THEN RAISE EXCEPTION 'customers.last_name: is required'; END IF;
        IF coalesce(d->>'phone', '') !~ '^\\+[1-9][0-9]{6,14}$' THEN
          RAISE EXCEPTION 'customers.phone: must be an international (E.164) number, not "%"', coalesce(d->>'phone', '');
        END IF;
        IF d->>'email' IS NOT NULL AND d->>'email' !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN
          RAISE EXCEPTION 'customers.email: "%" is not an e-mail address', d->>'email';
        END IF;
      ELSIF p_table = 'repair_tickets' THEN
        IF NOT EXISTS (SELECT 1 FROM sync.ticket_transitions WHERE from_status = d->>'status' OR to_status = d->>'status') THEN
          RAISE EXCEPTION 'repair_tickets.status: "%" is not a ticket status', d->>'status';
        END IF;
        IF old IS NOT NULL AND old->>'status' IS DISTINCT FROM d->>'status' AND NOT EXISTS (
            SELECT 1 FROM sync.ticket_transitions WHERE from_status = old->>'status' AND to_status = d->>'status') THEN
          RAISE EXCEPTION 'repair_tickets.status: cannot move from % to % (the ticket was moved on another counter)',
            old->>'status', d->>'status';
        END IF;
      END IF;
      FOR k IN SELECT key FROM jsonb_each(d)
               WHERE key IN ('estimate', 'deposit', 'final_amount', 'refund', 'labour', 'total', 'unit_price', 'points') LOOP
        IF jsonb_typeof(d->k) = 'number' AND (d->>k)::numeric < 0 THEN
          RAISE EXCEPTION '%.%: must not be negative (got %)', p_table, k, d->>k;
        END IF;
      END LOOP;
      FOR r IN SELECT column_name, ref_table FROM sync.refs WHERE table_name = p_table LOOP
        v := d->>r.column_name;
        IF v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sync.rows WHERE table_name = r.ref_table AND row_id = v AND NOT deleted) THEN
          RAISE EXCEPTION '%.%: refers to % %, which the server does not have', p_table, r.column_name, r.ref_table, v;
        END IF;
      END LOOP;
    END $$""",

    """CREATE FUNCTION sync.apply_row(dev sync.devices, m jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE
      t text := m->>'table'; rid text := m->>'row'; op text := m->>'op';
      cur sync.rows; have boolean; nd jsonb; old jsonb;
      newv jsonb := coalesce(m->'new', '{}'::jsonb); basev jsonb := coalesce(m->'base', '{}'::jsonb);
      k text; v jsonb; b jsonb; c jsonb; pol text; target text; cid text;
      conflicts jsonb := '[]'::jsonb; notes jsonb := '[]'::jsonb;
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM sync.synced_tables WHERE table_name = t) THEN
        RAISE EXCEPTION '%: is not a table this server syncs', t;
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
          newv := newv - 'id' - 'code' - 'merged_into' - 'is_active' - 'created_at';
        END IF;
      END IF;
      SELECT * INTO cur FROM sync.rows WHERE table_name = t AND row_id = rid FOR UPDATE;
      have := cur.row_id IS NOT NULL;
      IF op = 'delete' THEN
        IF have AND NOT cur.deleted THEN
          UPDATE sync.rows SET deleted = true, updated_by = dev.id WHERE table_name = t AND row_id = rid;
        END IF;
        RETURN jsonb_build_object('status', 'applied', 'row', rid);
      END IF;
      IF op = 'insert' AND NOT have THEN
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

    f"""CREATE FUNCTION sync.apply_merge(dev sync.devices, m jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE keep text := sync.resolve_customer(m->>'survivor'); gone text := sync.resolve_customer(m->>'loser');
      ks sync.rows; gs sync.rows; nd jsonb; k text; r record; n int; moved int := 0; pts numeric;
    BEGIN
      IF keep = gone THEN
        -- Nothing to merge, but the counter already merged on its own (perhaps the
        -- other way round): touch what it may have moved so its next pull corrects it.
        UPDATE sync.rows SET updated_by = updated_by
         WHERE table_name = 'customers' AND row_id IN (m->>'survivor', m->>'loser');
        FOR r IN SELECT table_name, column_name FROM sync.refs WHERE ref_table = 'customers' LOOP
          UPDATE sync.rows SET updated_by = updated_by
           WHERE table_name = r.table_name AND data->>r.column_name IN (m->>'survivor', m->>'loser');
        END LOOP;
        RETURN jsonb_build_object('status', 'applied', 'survivor', keep, 'notes', 'already merged');
      END IF;
      SELECT * INTO ks FROM sync.rows WHERE table_name = 'customers' AND row_id = keep FOR UPDATE;
      SELECT * INTO gs FROM sync.rows WHERE table_name = 'customers' AND row_id = gone FOR UPDATE;
      IF ks.row_id IS NULL OR gs.row_id IS NULL THEN
        RAISE EXCEPTION 'merge: both customers must be on the server (% and %)', keep, gone;
      END IF;
      nd := ks.data;
      FOR k IN SELECT jsonb_array_elements_text(coalesce(m->'take', '[]'::jsonb)) LOOP
        IF k NOT IN ('id', 'code', 'created_at', 'merged_into', 'is_active') THEN
          nd := jsonb_set(nd, ARRAY[k], coalesce(gs.data->k, 'null'::jsonb), true);
        END IF;
      END LOOP;
      PERFORM sync.validate('customers', nd, NULL);
      UPDATE sync.rows SET data = nd, updated_by = dev.id WHERE table_name = 'customers' AND row_id = keep;
      UPDATE sync.rows SET data = data || jsonb_build_object('merged_into', keep, 'is_active', 0), updated_by = dev.id
       WHERE table_name = 'customers' AND row_id = gone;
      FOR r IN SELECT table_name, column_name FROM sync.refs
                WHERE ref_table = 'customers' AND table_name NOT IN ('customer_loyalty', 'customer_preferences') LOOP
        UPDATE sync.rows SET data = jsonb_set(data, ARRAY[r.column_name], to_jsonb(keep)), updated_by = dev.id
         WHERE table_name = r.table_name AND data->>r.column_name = gone;
        GET DIAGNOSTICS n = ROW_COUNT; moved := moved + n;
      END LOOP;
      SELECT (data->>'points')::numeric INTO pts FROM sync.rows WHERE table_name = 'customer_loyalty' AND row_id = gone;
      IF coalesce(pts, 0) <> 0 THEN
        UPDATE sync.rows SET data = jsonb_set(data, '{{points}}', to_jsonb((data->>'points')::numeric + pts))
         WHERE table_name = 'customer_loyalty' AND row_id = keep;
        UPDATE sync.rows SET data = jsonb_set(data, '{{points}}', '0'::jsonb)
         WHERE table_name = 'customer_loyalty' AND row_id = gone;
      END IF;
      UPDATE sync.claims SET row_id = keep WHERE row_id = gone AND kind IN ('phone', 'email');
      UPDATE sync.rows SET data = data || jsonb_build_object('status', 'resolved', 'resolution', 'merged',
                                                             'resolved_at', {_ISO})
       WHERE table_name = 'sync_conflicts' AND data->>'status' = 'open'
         AND ((data->>'row_a' = keep AND data->>'row_b' = gone) OR (data->>'row_a' = gone AND data->>'row_b' = keep));
      RETURN jsonb_build_object('status', 'applied', 'survivor', keep, 'loser', gone, 'moved', moved);
    END $$""",

    f"""CREATE FUNCTION sync.apply_resolve(dev sync.devices, m jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE c sync.rows; res text := m->>'resolution';
    BEGIN
      IF res NOT IN ('distinct', 'accepted', 'dismissed') THEN
        RAISE EXCEPTION 'resolution: must be distinct, accepted or dismissed, not %', res;
      END IF;
      SELECT * INTO c FROM sync.rows WHERE table_name = 'sync_conflicts' AND row_id = m->>'conflict' FOR UPDATE;
      IF c.row_id IS NULL THEN RAISE EXCEPTION 'conflict: the server has no conflict %', m->>'conflict'; END IF;
      IF c.data->>'status' <> 'open' THEN
        RETURN jsonb_build_object('status', 'applied', 'notes', 'already resolved');
      END IF;
      UPDATE sync.rows SET data = data || jsonb_build_object('status', 'resolved', 'resolution', res,
                                                             'resolved_at', {_ISO}), updated_by = dev.id
       WHERE table_name = 'sync_conflicts' AND row_id = c.row_id;
      IF res = 'distinct' AND c.data->>'kind' LIKE 'duplicate_%' THEN
        INSERT INTO sync.distinct_pairs VALUES (c.data->>'column_name',
          least(c.data->>'row_a', c.data->>'row_b'), greatest(c.data->>'row_a', c.data->>'row_b'))
        ON CONFLICT DO NOTHING;
      END IF;
      RETURN jsonb_build_object('status', 'applied');
    END $$""",

    """CREATE FUNCTION sync.push(p_token text, p_batch jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE dev sync.devices; m jsonb; r jsonb; prior sync.mutations; last bigint; n bigint;
      results jsonb := '[]'::jsonb; minp int;
    BEGIN
      dev := sync.device_for(p_token);
      IF p_batch->>'device_id' IS DISTINCT FROM replace(dev.id::text, '-', '') THEN
        RAISE EXCEPTION 'forbidden: this credential belongs to another terminal' USING ERRCODE = '42501';
      END IF;
      SELECT min_protocol INTO minp FROM sync.meta;
      IF coalesce((p_batch->>'protocol')::int, 0) < minp THEN
        RETURN jsonb_build_object('error', 'upgrade_required', 'min_protocol', minp);
      END IF;
      -- One push per terminal at a time: a duplicate delivery waits here, then replays.
      SELECT last_seq INTO last FROM sync.devices WHERE id = dev.id FOR UPDATE;
      FOR m IN SELECT value FROM jsonb_array_elements(p_batch->'mutations') ORDER BY (value->>'seq')::bigint LOOP
        n := (m->>'seq')::bigint;
        SELECT * INTO prior FROM sync.mutations WHERE mutation_id = m->>'id';
        IF FOUND THEN
          IF prior.device_id = dev.id AND prior.device_seq = n THEN
            results := results || jsonb_build_array(jsonb_build_array(n, prior.status, prior.result));
            CONTINUE;
          ELSIF prior.device_id <> dev.id AND n = last + 1 THEN
            -- The same change carried over by a copied database that joined
            -- as a new terminal: it was applied once already, never twice.
            last := n;
            results := results || jsonb_build_array(jsonb_build_array(n, prior.status, prior.result));
            CONTINUE;
          END IF;
          RETURN jsonb_build_object('error', 'mutation_id_reuse', 'mutation_id', m->>'id',
                                    'acked_through', last, 'results', results);
        END IF;
        IF n <= last THEN
          -- The same position with a different change: a copied or restored database.
          UPDATE sync.devices SET forks = forks + 1, last_seq = last WHERE id = dev.id;
          RETURN jsonb_build_object('error', 'device_fork', 'device_seq', n, 'acked_through', last, 'results', results);
        END IF;
        IF n > last + 1 THEN
          UPDATE sync.devices SET last_seq = last WHERE id = dev.id;
          RETURN jsonb_build_object('error', 'gap', 'expected', last + 1, 'acked_through', last, 'results', results);
        END IF;
        BEGIN
          r := CASE m->>'kind' WHEN 'row' THEN sync.apply_row(dev, m)
                               WHEN 'merge' THEN sync.apply_merge(dev, m)
                               WHEN 'resolve' THEN sync.apply_resolve(dev, m) END;
          IF r IS NULL THEN RAISE EXCEPTION 'kind: "%" is not a change this server knows', m->>'kind'; END IF;
        EXCEPTION WHEN raise_exception OR integrity_constraint_violation OR data_exception THEN
          -- A broken business rule rejects this change only; the ones behind it go on.
          r := jsonb_build_object('status', 'rejected', 'reason', SQLERRM, 'row', m->>'row');
        END;
        IF r->>'status' = 'rejected' AND m->>'kind' = 'row' THEN
          -- Touch the row so the next pull brings the server's truth back.
          UPDATE sync.rows SET updated_by = updated_by WHERE table_name = m->>'table' AND row_id = m->>'row';
        END IF;
        INSERT INTO sync.mutations VALUES (m->>'id', dev.id, n, m->>'kind', r->>'status', r, now());
        last := n;
        results := results || jsonb_build_array(jsonb_build_array(n, r->>'status', r));
      END LOOP;
      UPDATE sync.devices SET last_seq = last, last_push_at = now(),
             protocol = (p_batch->>'protocol')::int, app_version = p_batch->>'app_version'
       WHERE id = dev.id;
      RETURN jsonb_build_object('acked_through', last, 'results', results);
    END $$""",

    """CREATE FUNCTION sync.pull(p_token text, p_cursor bigint, p_limit int, p_ack_floor bigint)
        RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
    DECLARE dev sync.devices; ch jsonb; cnt int; nxt bigint; lim int := greatest(1, least(coalesce(p_limit, 1000), 20000));
    BEGIN
      -- STABLE: every query below reads one snapshot, so the page and the
      -- terminal's write checkpoint (last_seq) agree.
      dev := sync.device_for(p_token);
      SELECT coalesce(jsonb_agg(jsonb_build_array(s.table_name, s.row_id, s.seq, s.deleted, s.data) ORDER BY s.seq),
                      '[]'::jsonb), count(*), max(s.seq)
        INTO ch, cnt, nxt
        FROM (SELECT * FROM sync.rows WHERE seq > p_cursor ORDER BY seq LIMIT lim) s;
      RETURN jsonb_build_object(
        'changes', ch, 'next_cursor', coalesce(nxt, p_cursor), 'has_more', cnt >= lim,
        'server_seq', (SELECT value FROM sync.counter),
        'device_last_seq', dev.last_seq,
        'epoch', (SELECT epoch FROM sync.meta), 'min_protocol', (SELECT min_protocol FROM sync.meta),
        'results', (SELECT coalesce(jsonb_agg(jsonb_build_array(x.device_seq, x.status, x.result) ORDER BY x.device_seq), '[]'::jsonb)
                      FROM (SELECT * FROM sync.mutations WHERE device_id = dev.id AND device_seq > coalesce(p_ack_floor, 0)
                             AND device_seq <= dev.last_seq ORDER BY device_seq LIMIT 5000) x));
    END $$""",

    """CREATE FUNCTION sync.hello(p_token text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
    DECLARE dev sync.devices;
    BEGIN
      dev := sync.device_for(p_token);
      RETURN jsonb_build_object('device_id', replace(dev.id::text, '-', ''), 'name', dev.name,
        'store', (SELECT name FROM sync.stores WHERE id = dev.store_id), 'last_seq', dev.last_seq,
        'server_seq', (SELECT value FROM sync.counter), 'epoch', (SELECT epoch FROM sync.meta),
        'min_protocol', (SELECT min_protocol FROM sync.meta));
    END $$""",

    # The only doors in: SECURITY DEFINER wrappers, exposed where Supabase's REST looks (public).
    """CREATE FUNCTION public.shopdesk_push(p_token text, p_batch jsonb) RETURNS jsonb LANGUAGE sql
        SECURITY DEFINER SET search_path = sync, pg_temp AS $$ SELECT sync.push(p_token, p_batch) $$""",
    """CREATE FUNCTION public.shopdesk_pull(p_token text, p_cursor bigint, p_limit int, p_ack_floor bigint)
        RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sync, pg_temp
        AS $$ SELECT sync.pull(p_token, p_cursor, p_limit, p_ack_floor) $$""",
    """CREATE FUNCTION public.shopdesk_hello(p_token text) RETURNS jsonb LANGUAGE sql STABLE
        SECURITY DEFINER SET search_path = sync, pg_temp AS $$ SELECT sync.hello(p_token) $$""",

    "REVOKE ALL ON SCHEMA sync FROM PUBLIC",
    "REVOKE ALL ON ALL TABLES IN SCHEMA sync FROM PUBLIC, anon, authenticated, shopdesk_terminal",
    "REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA sync FROM PUBLIC",
    """REVOKE EXECUTE ON FUNCTION public.shopdesk_push(text, jsonb), public.shopdesk_pull(text, bigint, int, bigint),
        public.shopdesk_hello(text) FROM PUBLIC""",
    """GRANT EXECUTE ON FUNCTION public.shopdesk_push(text, jsonb), public.shopdesk_pull(text, bigint, int, bigint),
        public.shopdesk_hello(text) TO shopdesk_terminal, anon, authenticated, service_role""",
] + [f"ALTER TABLE sync.{t} ENABLE ROW LEVEL SECURITY" for t in (
    "counter", "meta", "stores", "devices", "mutations", "rows", "synced_tables", "policies",
    "refs", "ticket_transitions", "claims", "distinct_pairs")]


def upgrade() -> None:
    # Straight to psycopg with no parameters: the plpgsql bodies are full of
    # '%' and ':' that a parameter-aware layer would try to interpret.
    raw = op.get_bind().connection.driver_connection
    for statement in SQL:
        raw.execute(statement)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS public.shopdesk_push(text, jsonb), "
               "public.shopdesk_pull(text, bigint, int, bigint), public.shopdesk_hello(text)")
    op.execute("DROP SCHEMA sync CASCADE")
