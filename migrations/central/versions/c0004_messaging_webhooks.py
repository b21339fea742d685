"""Messaging webhooks (issue 16): one narrow door for the `shopdesk-webhooks` Edge Function.

Providers' delivery/read receipts, customers' replies and clicked e-mail confirmation
links reach the central database only through `public.shopdesk_webhook(p_key,
p_events)`. It checks a webhook key (only its SHA-256 is stored, made by `shopdesk
central webhook-key`), validates each event with the same rules the app uses, and
writes rows counters pull like any other change:
- `status` -> a `message_receipts` row for the message named by its id (WhatsApp's
  `biz_opaque_callback_data`, Twilio's callback URL) or by the provider's id;
- `inbound` -> a `messages` row (direction `in`) for the customer whose phone or
  WhatsApp number sent it (none: kept with no customer);
- `email_link` -> an inbound `messages` row naming the link's hash, which the
  counter that sent the code recognises.
Row ids are derived from the provider's ids, so a webhook delivered twice (providers
retry) writes one row. Nothing else is reachable with the webhook key.

Revision ID: c0004
Revises: c0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = 'c0004'
down_revision = 'c0003'
branch_labels = None
depends_on = None

_ISO = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'"

SQL = [
    """CREATE TABLE sync.webhook_keys (key_hash text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz)""",
    "ALTER TABLE sync.webhook_keys ENABLE ROW LEVEL SECURITY",
    """CREATE POLICY deny_all ON sync.webhook_keys AS RESTRICTIVE FOR ALL TO PUBLIC USING (false)
        WITH CHECK (false)""",
    "REVOKE ALL ON sync.webhook_keys FROM PUBLIC, anon, authenticated, service_role",
    """CREATE INDEX ix_rows_message_provider ON sync.rows ((data->>'provider_id'))
        WHERE table_name = 'messages'""",
    """CREATE INDEX ix_rows_customer_phone ON sync.rows ((data->>'phone'))
        WHERE table_name = 'customers'""",
    """CREATE INDEX ix_rows_customer_whatsapp ON sync.rows ((data->>'whatsapp'))
        WHERE table_name = 'customers'""",
    """CREATE INDEX ix_rows_link_hash ON sync.rows ((data->>'link_hash'))
        WHERE table_name = 'verification_codes'""",

    f"""CREATE FUNCTION sync.webhook_at(p text) RETURNS text LANGUAGE plpgsql STABLE AS $$
    BEGIN
      RETURN to_char(coalesce(p::timestamptz, now()) AT TIME ZONE 'utc', {_ISO});
    EXCEPTION WHEN others THEN
      RAISE EXCEPTION 'at: "%" is not an instant', p USING ERRCODE = '22023';
    END $$""",

    """CREATE FUNCTION sync.webhook(p_key text, p_events jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE e jsonb; mid text; cid text; rid text; st text; ch text; who text; body text;
      pid text; lh text; code_row sync.rows; stored int := 0; skipped int := 0; at text;
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM sync.webhook_keys WHERE revoked_at IS NULL
                      AND key_hash = encode(sha256(convert_to(coalesce(p_key, ''), 'UTF8')), 'hex')) THEN
        RAISE EXCEPTION 'forbidden: unknown webhook key' USING ERRCODE = '42501';
      END IF;
      IF jsonb_typeof(p_events) IS DISTINCT FROM 'array' OR jsonb_array_length(p_events) > 500 THEN
        RAISE EXCEPTION 'events: must be an array of at most 500 events' USING ERRCODE = '22023';
      END IF;
      FOR e IN SELECT value FROM jsonb_array_elements(p_events) LOOP
        IF jsonb_typeof(e) <> 'object' THEN
          RAISE EXCEPTION 'events: each event is an object' USING ERRCODE = '22023';
        END IF;
        at := sync.webhook_at(e->>'at');
        pid := e->>'provider_id';
        IF pid IS NOT NULL AND (length(pid) > 80 OR pid !~ '^[A-Za-z0-9._:=+/-]+$') THEN
          RAISE EXCEPTION 'provider_id: "%" is not a provider message id', left(pid, 100) USING ERRCODE = '22023';
        END IF;
        IF e->>'kind' = 'status' THEN
          st := e->>'status';
          IF st IS NULL OR st NOT IN ('sent', 'delivered', 'read', 'failed') THEN
            RAISE EXCEPTION 'status: "%" is not one of sent, delivered, read, failed', st USING ERRCODE = '22023';
          END IF;
          IF pid IS NULL THEN
            RAISE EXCEPTION 'provider_id: is required' USING ERRCODE = '22023';
          END IF;
          mid := NULL;
          IF e->>'message_id' ~ '^[0-9a-f]{32}$' THEN
            SELECT row_id INTO mid FROM sync.rows WHERE table_name = 'messages' AND row_id = e->>'message_id';
          END IF;
          IF mid IS NULL THEN
            SELECT row_id INTO mid FROM sync.rows WHERE table_name = 'messages' AND data->>'provider_id' = pid LIMIT 1;
          END IF;
          IF mid IS NULL THEN skipped := skipped + 1; CONTINUE; END IF;
          rid := md5('receipt:' || mid || ':' || pid || ':' || st);
          -- The receipt belongs to its message's store (per-store scoping sends it there).
          INSERT INTO sync.rows (table_name, row_id, data, store_id) VALUES ('message_receipts', rid, jsonb_build_object(
            'id', rid, 'message_id', mid, 'provider_id', pid, 'status', st, 'at', at,
            'error', left(e->>'error', 1000)),
            (SELECT store_id FROM sync.rows WHERE table_name = 'messages' AND row_id = mid))
          ON CONFLICT (table_name, row_id) DO NOTHING;
          stored := stored + 1;
        ELSIF e->>'kind' IN ('inbound', 'email_link') THEN
          cid := NULL;
          IF e->>'kind' = 'inbound' THEN
            ch := e->>'channel'; who := e->>'from'; body := coalesce(e->>'body', '');
            IF ch IS NULL OR ch NOT IN ('sms', 'whatsapp') THEN
              RAISE EXCEPTION 'channel: "%" is not sms or whatsapp', ch USING ERRCODE = '22023';
            END IF;
            IF who IS NULL OR who !~ '^\\+[1-9][0-9]{6,14}$' THEN
              RAISE EXCEPTION 'from: must be an international (E.164) number, not "%"', left(who, 40) USING ERRCODE = '22023';
            END IF;
            IF length(body) > 4000 THEN
              RAISE EXCEPTION 'body: must be at most 4000 characters' USING ERRCODE = '22023';
            END IF;
            IF pid IS NULL THEN RAISE EXCEPTION 'provider_id: is required' USING ERRCODE = '22023'; END IF;
            SELECT row_id INTO cid FROM sync.rows WHERE table_name = 'customers' AND NOT deleted
               AND data->>'merged_into' IS NULL AND (data->>'phone' = who OR data->>'whatsapp' = who)
             ORDER BY (data->>'is_active')::text DESC LIMIT 1;
            rid := md5('inbound:' || pid);
            INSERT INTO sync.rows (table_name, row_id, data) VALUES ('messages', rid, jsonb_build_object(
              'id', rid, 'customer_id', cid, 'ticket_id', NULL, 'appointment_id', NULL, 'template', NULL,
              'channel', ch, 'direction', 'in', 'purpose', 'manual', 'language', NULL, 'to_address', who,
              'subject', NULL, 'body', body, 'status', 'received', 'outcome', NULL, 'node', 'webhook',
              'dedupe_key', NULL, 'due_at', at, 'next_attempt_at', NULL, 'attempts', 0, 'attempt_id', NULL,
              'attempt_at', NULL, 'provider_id', pid, 'last_error', NULL, 'sent_at', at, 'staff_id', NULL,
              'actor', 'webhook', 'created_at', at, 'updated_at', at))
            ON CONFLICT (table_name, row_id) DO NOTHING;
          ELSE
            lh := e->>'link_hash';
            IF lh IS NULL OR lh !~ '^[0-9a-f]{64}$' THEN
              RAISE EXCEPTION 'link_hash: must be 64 hex digits' USING ERRCODE = '22023';
            END IF;
            SELECT * INTO code_row FROM sync.rows WHERE table_name = 'verification_codes'
               AND data->>'link_hash' = lh AND NOT deleted LIMIT 1;
            IF code_row.row_id IS NULL OR code_row.data->>'status' <> 'open'
               OR (code_row.data->>'expires_at')::timestamptz < now() THEN
              skipped := skipped + 1; CONTINUE;
            END IF;
            rid := md5('link:' || lh);
            INSERT INTO sync.rows (table_name, row_id, data) VALUES ('messages', rid, jsonb_build_object(
              'id', rid, 'customer_id', code_row.data->>'customer_id', 'ticket_id', NULL, 'appointment_id', NULL,
              'template', NULL, 'channel', 'email', 'direction', 'in', 'purpose', 'verification',
              'language', NULL, 'to_address', code_row.data->>'address', 'subject', NULL,
              'body', 'e-mail confirmation link opened', 'status', 'received', 'outcome', NULL,
              'node', 'webhook', 'dedupe_key', NULL, 'due_at', at, 'next_attempt_at', NULL, 'attempts', 0,
              'attempt_id', NULL, 'attempt_at', NULL, 'provider_id', 'link:' || lh, 'last_error', NULL,
              'sent_at', at, 'staff_id', NULL, 'actor', 'webhook', 'created_at', at, 'updated_at', at))
            ON CONFLICT (table_name, row_id) DO NOTHING;
          END IF;
          stored := stored + 1;
        ELSE
          RAISE EXCEPTION 'kind: "%" is not status, inbound or email_link', e->>'kind' USING ERRCODE = '22023';
        END IF;
      END LOOP;
      RETURN jsonb_build_object('stored', stored, 'skipped', skipped);
    END $$""",
    "ALTER FUNCTION sync.webhook_at(text) SET search_path = sync, pg_temp",
    "ALTER FUNCTION sync.webhook(text, jsonb) SET search_path = sync, pg_temp",
    """CREATE FUNCTION sync_api.webhook(p_key text, p_events jsonb) RETURNS jsonb LANGUAGE sql
        SECURITY DEFINER SET search_path = sync, pg_temp AS $$ SELECT sync.webhook(p_key, p_events) $$""",
    """CREATE FUNCTION public.shopdesk_webhook(p_key text, p_events jsonb) RETURNS jsonb LANGUAGE sql
        SECURITY INVOKER SET search_path = '' AS $$ SELECT sync_api.webhook(p_key, p_events) $$""",
    "REVOKE EXECUTE ON FUNCTION sync.webhook(text, jsonb), sync.webhook_at(text) FROM PUBLIC, anon, authenticated, service_role",
    "REVOKE EXECUTE ON FUNCTION sync_api.webhook(text, jsonb) FROM PUBLIC, anon, authenticated, service_role",
    "REVOKE EXECUTE ON FUNCTION public.shopdesk_webhook(text, jsonb) FROM PUBLIC, anon, authenticated, service_role",
    # The Edge Function calls it through the project's REST API with the project's API key,
    # as anon like the counters' doors; the webhook key is what it proves.
    "GRANT EXECUTE ON FUNCTION sync_api.webhook(text, jsonb) TO anon",
    "GRANT EXECUTE ON FUNCTION public.shopdesk_webhook(text, jsonb) TO anon",
]


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection
    for statement in SQL:
        raw.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the central schema is only upgraded (`shopdesk central setup`)")
