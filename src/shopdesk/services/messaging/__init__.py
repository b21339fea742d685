"""Talking to customers (issue 16): WhatsApp, SMS, e-mail; calls and visits; appointments;
verification; the automated messages; a durable outbox delivered exactly once.

Modules: `outbox` (writing messages in the event's transaction), `automations`
(the hooks), `sender` (delivery, retries, reconciliation), `runner` (the background
thread), `service` (the facade), `appointments`, `verification`, `config` (settings
and secrets), `providers` + `twilio`, `whatsapp`, `email` (the channels), `factory`.

Personal columns of the new tables (for the privacy registry: erase and export):

- messages: customer_id (link), to_address (contact: phone or e-mail), subject and
  body (free text that may name the customer), outcome (call/visit note's outcome),
  provider_id (the provider's id of a message to the person), last_error (may quote
  the address). Erasure: blank to_address, subject, body, last_error, provider_id;
  keep channel, status and times (contact statistics) — or delete the rows.
- message_receipts: error (may quote the address); rows link to a message.
- appointments: customer_id (link), reason (free text), device_id, ticket_id.
- verification_codes: customer_id (link), address (the phone or e-mail verified),
  code_hash/link_hash (secrets about the person; delete on erasure).
- message_templates: none (shop texts).
"""
