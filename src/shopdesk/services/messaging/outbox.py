"""Writing messages into the outbox, inside the caller's transaction.

`Composer.enqueue(session, ...)` picks the channel (explicit, else the customer's
preferred one, then the shop's fallbacks that have an address), checks consent,
renders the template in the customer's language (falling back to the shop's),
puts the due time inside the customer's best time and outside the shop's quiet
hours, and adds a `queued` row. It does no network I/O and reads a handful of rows,
so it can run in the transaction of the event that caused it (a status change, a
registration): a crash never loses the message, and the counter never waits.

Automations give a `dedupe_key`; the row id is derived from it (uuid5), so two
counters firing the same event write the same row and the server keeps one.

Thread rule: called with the Store's write session (the writer's thread).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopdesk.domain.messaging import rules
from shopdesk.domain.privacy.consent import MARKETING_CHANNELS, Purpose
from shopdesk.errors import FieldError, ValidationError
from shopdesk.models import (
    Customer,
    Message,
    MessageTemplate,
    RepairTicket,
    Setting,
)
from shopdesk.services.consent.consent import allows_in
from shopdesk.services.messaging.config import MessagingConfig
from shopdesk.services.settings import CATALOGUE
from shopdesk.services.store import Actor

NAMESPACE = uuid.UUID("5d0c6c4e-6a43-4b4e-9a52-7f1f1f0d1616")
# The customer's preferred contact (customer_preferences) -> a channel we can send on.
PREFERRED = {"whatsapp": "whatsapp", "sms": "sms", "email": "email", "phone": "sms",
             "in_person": None}


def config_in(session: Session) -> MessagingConfig:
    """The settings as this transaction sees them (defaults for keys never set)."""
    stored = {s.key: s.value for s in session.scalars(
        select(Setting).where(Setting.key.like("messaging.%") | Setting.key.like("shop.%")))}
    return MessagingConfig({k: stored.get(k, spec.default) for k, spec in CATALOGUE.items()})


def consent_allows(session: Session, customer: Customer, purpose: str, channel: str) -> str | None:
    """None when the customer's consent allows `purpose` on `channel`, else the reason.

    Decided by the consent register (`shopdesk.services.consent`), inside the caller's
    transaction: marketing needs the channel's marketing opt-in, a service
    notification is allowed unless the customer turned them off. Verification codes,
    test and hand-written messages are what the customer asked for at the counter.
    """
    if purpose == "marketing":
        wanted = MARKETING_CHANNELS.get(channel)
        if wanted is None or not allows_in(session.connection(), customer.id, wanted):
            return f"the customer has not opted in to marketing messages by {channel}"
    elif purpose == "service" and not allows_in(session.connection(), customer.id,
                                                Purpose.SERVICE_NOTIFICATIONS):
        return "the customer turned service notifications off"
    return None


def address_for(customer: Customer, channel: str) -> str | None:
    if channel == "whatsapp":
        return customer.whatsapp or customer.phone
    if channel == "sms":
        return customer.phone
    if channel == "email":
        return customer.email
    return None


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    language: str
    enabled: bool
    delay_minutes: int


def resolve_template(session: Session, name: str, language: str, shop_language: str,
                     ) -> Rendered:
    """The template text for `language`, else the shop's, else the built-in English."""
    builtin = rules.template(name)
    rows = {(r.language): r for r in session.scalars(
        select(MessageTemplate).where(MessageTemplate.name == builtin.name))}
    for lang in dict.fromkeys([language, shop_language]):
        row = rows.get(lang)
        if row is not None:
            return Rendered(row.subject, row.body, lang, row.enabled, row.delay_minutes)
        if lang in builtin.body:
            # A shop-wide switch (enabled/delay) is kept on the shop language's row.
            sw = rows.get(shop_language)
            return Rendered(builtin.subject[lang], builtin.body[lang], lang,
                            sw.enabled if sw else True,
                            sw.delay_minutes if sw else builtin.delay_minutes)
    sw = rows.get(shop_language)
    return Rendered(builtin.subject["en"], builtin.body["en"], "en", sw.enabled if sw else True,
                    sw.delay_minutes if sw else builtin.delay_minutes)


def values_for(cfg: MessagingConfig, customer: Customer, ticket: RepairTicket | None,
               extra: Mapping[str, str] | None = None) -> dict[str, str]:
    values = {
        "first_name": customer.first_name, "last_name": customer.last_name,
        "customer_code": customer.code, "shop_name": cfg.shop_name,
        "shop_phone": cfg.values.get("shop.phone", ""),
        "survey_url": cfg.values.get("shop.survey_url", ""),
    }
    if ticket is not None:
        currency = cfg.values.get("shop.currency", "")
        values["ticket_number"] = ticket.number
        if ticket.estimate is not None:
            values["estimate"] = f"{ticket.estimate} {currency}".strip()
        due = (ticket.final_amount or ticket.estimate or 0) - (ticket.deposit or 0)
        values["amount_due"] = f"{max(due, 0):.2f} {currency}".strip()
    values.update(extra or {})
    return values


class Skipped(Exception):
    """An automation that must not (or cannot) produce a message; the reason says why."""


class Composer:
    """Builds and adds outbox rows in the caller's session (see the module docstring)."""

    def __init__(self, node_tag: str) -> None:
        self.node_tag = node_tag

    def choose_channel(self, cfg: MessagingConfig, customer: Customer,
                       channel: str | None) -> tuple[str, str]:
        if channel is not None:
            if channel not in rules.SEND_CHANNELS:
                raise ValidationError(FieldError("channel", "choice", f"'{channel}' is not "
                                                 f"one of {', '.join(rules.SEND_CHANNELS)}"))
            address = address_for(customer, channel)
            if not address:
                raise ValidationError(FieldError("channel", "no_address", f"customer "
                                                 f"{customer.code} has no {channel} address"))
            return channel, address
        preferred = PREFERRED.get(customer.preferences.preferred_contact
                                  if customer.preferences else "")
        order = list(dict.fromkeys(([preferred] if preferred else []) + cfg.channel_order))
        candidates = [(c, a) for c in order if (a := address_for(customer, c))]
        if not candidates:
            raise Skipped(f"customer {customer.code} has no phone or e-mail to write to")
        configured = [pair for pair in candidates if cfg.configured(pair[0])]
        return (configured or candidates)[0]

    def enqueue(self, session: Session, actor: Actor | None, customer: Customer,
                template: str, *, now: datetime, ticket: RepairTicket | None = None,
                appointment_id: UUID | None = None, channel: str | None = None,
                purpose: str | None = None, dedupe_key: str | None = None,
                due_at: datetime | None = None, extra: Mapping[str, str] | None = None,
                respect_window: bool = True, automatic: bool = False,
                cfg: MessagingConfig | None = None) -> Message:
        """Add one queued message; raises Skipped when consent or settings forbid it.
        `cfg`: the settings as this transaction read them (else read here)."""
        cfg = cfg or config_in(session)
        builtin = rules.template(template)
        purpose = purpose or builtin.purpose
        message_id = uuid.uuid5(NAMESPACE, dedupe_key) if dedupe_key else uuid.uuid4()
        if automatic and not any(cfg.set_up(c) for c in rules.SEND_CHANNELS):
            # A shop that has not set messaging up queues nothing: no backlog of stale
            # messages bursting out the day a channel is configured.
            raise Skipped("no messaging channel is set up")
        if dedupe_key and session.get(Message, message_id) is not None:
            raise Skipped("already queued (the same event on another counter)")
        if customer.merged_into is not None or not customer.is_active:
            raise Skipped(f"customer {customer.code} is merged or deactivated")
        chosen, address = self.choose_channel(cfg, customer, channel)
        refused = consent_allows(session, customer, purpose, chosen)
        if refused:
            raise Skipped(refused)
        language = customer.preferences.language if customer.preferences else "en"
        text = resolve_template(session, builtin.name, language, cfg.values["shop.language"])
        if automatic and not text.enabled:
            raise Skipped(f"the '{builtin.name}' message is switched off")
        values = values_for(cfg, customer, ticket, extra)
        due = due_at or now + timedelta(minutes=text.delay_minutes if automatic else 0)
        if respect_window:
            best = customer.preferences.best_time if customer.preferences else "any"
            due = rules.next_allowed(due, cfg.zone, best, cfg.quiet_hours)
        row = Message(
            id=message_id, customer_id=customer.id, ticket_id=ticket.id if ticket else None,
            appointment_id=appointment_id, template=builtin.name, channel=chosen,
            direction="out", purpose=purpose, language=text.language, to_address=address,
            subject=rules.render(text.subject, values)[:200],
            body=rules.render(text.body, values)[:4000], status="queued", node=self.node_tag,
            dedupe_key=dedupe_key, due_at=due, next_attempt_at=due, attempts=0,
            staff_id=actor.staff_id if actor else None, actor=actor.name if actor else None,
            created_at=now, updated_at=now)
        session.add(row)
        return row

    def enqueue_text(self, session: Session, actor: Actor | None, customer: Customer | None, *,
                     channel: str | None, purpose: str, subject: str, body: str,
                     now: datetime, address: str | None = None) -> Message:
        """A message whose text is given (verification codes, test messages)."""
        cfg = config_in(session)
        if address is None:
            if customer is None:
                raise ValidationError(FieldError("to", "required", "give an address"))
            chosen, address = self.choose_channel(cfg, customer, channel)
        else:
            chosen = channel or "sms"
        row = Message(
            id=uuid.uuid4(), customer_id=customer.id if customer else None, channel=chosen,
            direction="out",
            purpose=purpose, to_address=address, subject=subject[:200], body=body[:4000],
            status="queued", node=self.node_tag, due_at=now, next_attempt_at=now, attempts=0,
            staff_id=actor.staff_id if actor else None, actor=actor.name if actor else None,
            created_at=now, updated_at=now)
        session.add(row)
        return row
