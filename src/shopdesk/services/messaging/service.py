"""The messaging facade the window and the command line use (`shop.messaging`).

Sending by hand (`send`), the outbox, a delivery run (`deliver`), a customer's
contact history with response figures, calls and visits logged by staff, the
templates a manager edits (with a preview), a test message per channel, and staff's
decision on a message whose fate is unknown.

Thread rule: any thread. Writes are `Store.write()` transactions; `deliver` and
`test_message` do network I/O on the calling thread (never call them on the GUI
thread: the window runs them on the messaging runner's thread).
"""

from __future__ import annotations

import dataclasses
import statistics
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain import codes
from shopdesk.domain.messaging import rules
from shopdesk.domain.permissions import Permission
from shopdesk.domain.tickets import normalize_number
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import (
    Customer,
    Message,
    MessageReceipt,
    MessageTemplate,
    RepairTicket,
    StaffDirectory,
)
from shopdesk.services.audit import AuditTrail
from shopdesk.services.messaging.factory import make_provider
from shopdesk.services.messaging.outbox import (
    NAMESPACE,
    Composer,
    Skipped,
    config_in,
    resolve_template,
    values_for,
)
from shopdesk.services.messaging.providers import Outgoing, SendError
from shopdesk.services.messaging.sender import ProviderFactory, Sender
from shopdesk.services.messaging.views import (
    ChannelStats,
    DeliveryReport,
    History,
    MessageView,
    TemplateView,
)
from shopdesk.services.store import Store

OPEN = ("queued", "sending", "failed", "unknown")
ANSWER_WITHIN = timedelta(days=7)


class MessagingService:
    """See the module docstring."""

    def __init__(self, store: Store, audit: AuditTrail,
                 providers: ProviderFactory = make_provider) -> None:
        self._store = store
        self._audit = audit
        self.composer = Composer(store.node_tag)
        self.sender = Sender(store, providers)
        self._providers = providers

    # -- sending ---------------------------------------------------------------------------
    def send(self, customer: str | UUID, template: str, ticket: str | None = None,
             channel: str | None = None) -> MessageView:
        """Queue `template` for a customer (by code or id), now; raises ValidationError
        when consent or the customer's addresses forbid it."""
        actor = self._store.require(Permission.EDIT_CUSTOMERS)
        rules.template(template)
        now = self._store.clock()
        with self._store.write() as session:
            row = self._customer(session, customer)
            ticket_row = self._ticket(session, ticket, row) if ticket else None
            try:
                message = self.composer.enqueue(session, actor, row, template, now=now,
                                                ticket=ticket_row, channel=channel,
                                                respect_window=False)
            except Skipped as why:
                raise ValidationError(FieldError("template", "not_allowed", str(why))) from None
            session.flush()
            self._audit.append(session, actor, "send_message", "customer", row.id,
                               {"template": template, "channel": message.channel,
                                "ticket": ticket_row.number if ticket_row else None})
            view = self._view(session, message)
        self._store.publish(Changes(messages=frozenset({view.customer_id} if view.customer_id
                                                       else set())))
        return view

    def deliver(self, pace: bool = True, limit: int | None = None) -> DeliveryReport:
        """Send everything due now (see `Sender`)."""
        return self.sender.deliver(pace=pace, limit=limit)

    def test_message(self, channel: str, to: str) -> MessageView:
        """Send one test message now on `channel` to `to` (managers); the result is kept."""
        actor = self._store.require(Permission.CHANGE_SETTINGS)
        if channel not in rules.SEND_CHANNELS:
            raise ValidationError(FieldError("channel", "choice", f"'{channel}' is not one of "
                                             f"{', '.join(rules.SEND_CHANNELS)}"))
        now = self._store.clock()
        with self._store.write() as session:
            cfg = config_in(session)
            message = self.composer.enqueue_text(
                session, actor, None, channel=channel, purpose="test", address=to.strip(),
                subject=f"{cfg.shop_name}: test message",
                body=f"This is a test message from {cfg.shop_name} (shopdesk).", now=now)
            self._audit.append(session, actor, "test_message", "setting",
                               f"messaging.{channel}", {"channel": channel})
            message.status = "sending"
            message.attempt_id = str(uuid.uuid4())
            message.attempts = 1
            message_id = message.id
            out = Outgoing(message_id=str(message.id), attempt_id=message.attempt_id,
                           to=message.to_address or "", subject=message.subject or "",
                           body=message.body, html=rules.html_of(
                               message.subject or "", message.body, cfg.shop_name),
                           template=None, in_session=True, sender_name=cfg.shop_name)
        provider = self._providers(channel, cfg)
        status, provider_id, error = "failed", None, None
        if provider is None:
            error = f"{channel} is not configured (settings messaging.{channel}.*)"
        else:
            try:
                provider_id = provider.send(out)
                status = "sent"
            except SendError as exc:
                error = exc.reason
                status = "unknown" if exc.maybe_sent else "failed"
            finally:
                provider.close()
        with self._store.write() as session:
            row = session.get(Message, message_id)
            assert row is not None
            row.status, row.provider_id, row.last_error = status, provider_id, error
            row.sent_at = self._store.clock() if status == "sent" else None
            row.updated_at = self._store.clock()
            return self._view(session, row)

    def resolve(self, message_id: UUID, sent: bool) -> MessageView:
        """Staff's decision on an `unknown` or `failed` message: it did arrive (sent), or
        send it again (queued, a new attempt)."""
        actor = self._store.require(Permission.EDIT_CUSTOMERS)
        now = self._store.clock()
        with self._store.write() as session:
            row = session.get(Message, message_id)
            if row is None:
                raise NotFound(f"no message with id {message_id}")
            self._audit.append(session, actor, "resolve_message",
                               "customer" if row.customer_id else "message",
                               row.customer_id or row.id,
                               {"message": str(row.id), "was": row.status,
                                "decision": "sent" if sent else "resend"})
            if row.status not in ("unknown", "failed"):
                raise ValidationError(FieldError("status", "not_open", f"the message is "
                                                 f"{row.status}; nothing to decide"))
            if sent:
                row.status, row.sent_at = "sent", row.attempt_at or now
            else:
                row.status, row.next_attempt_at, row.due_at = "queued", now, now
            row.updated_at = now
            view = self._view(session, row)
        self._store.publish(Changes(messages=frozenset({view.customer_id} if view.customer_id
                                                       else set())))
        return view

    def log_contact(self, customer: str | UUID, channel: str, outcome: str,
                    note: str = "", direction: str = "out") -> MessageView:
        """A phone call or an in-person visit, with its outcome and a note."""
        actor = self._store.require(Permission.EDIT_CUSTOMERS)
        if channel not in rules.LOG_CHANNELS:
            raise ValidationError(FieldError("channel", "choice", f"'{channel}' is not one of "
                                             f"{', '.join(rules.LOG_CHANNELS)}"))
        if outcome not in rules.CALL_OUTCOMES:
            raise ValidationError(FieldError("outcome", "choice", f"'{outcome}' is not one of "
                                             f"{', '.join(rules.CALL_OUTCOMES)}"))
        if direction not in ("out", "in"):
            raise ValidationError(FieldError("direction", "choice", "is out or in"))
        note = note.strip()
        if len(note) > 4000:
            raise ValidationError(FieldError("note", "max_length", "must be at most 4000 "
                                             "characters"))
        now = self._store.clock()
        with self._store.write() as session:
            row = self._customer(session, customer)
            message = Message(
                id=uuid.uuid4(), customer_id=row.id, channel=channel, direction=direction,
                purpose="manual", body=note, status="logged", outcome=outcome,
                node=self._store.node_tag, due_at=now, attempts=0, sent_at=now,
                staff_id=actor.staff_id, actor=actor.name, created_at=now, updated_at=now)
            session.add(message)
            self._audit.append(session, actor, "log_contact", "customer", row.id,
                               {"channel": channel, "outcome": outcome})
            session.flush()
            view = self._view(session, message)
        self._store.publish(Changes(messages=frozenset({row.id})))
        return view

    def warm(self) -> None:
        """Compile the statements an automation runs, in a read transaction, so the first
        event after start pays no compiling (the window's sender thread calls it)."""
        from shopdesk.services.consent.consent import allows_in

        with self._store.read() as session:
            config_in(session)
            resolve_template(session, "ready_for_pickup", "en", "en")
            session.get(Message, uuid.UUID(int=0))
            session.get(Customer, uuid.UUID(int=0))
            allows_in(session.connection(), uuid.UUID(int=0), "service_notifications")

    # -- reading ---------------------------------------------------------------------------
    def outbox(self, everything: bool = False, limit: int = 500) -> list[MessageView]:
        """Outgoing messages still open (queued, sending, failed, unknown), oldest first;
        `everything`: every outgoing message, newest first."""
        with self._store.read() as session:
            query = select(Message).where(Message.direction == "out",
                                          Message.channel.in_(rules.SEND_CHANNELS))
            if everything:
                query = query.order_by(Message.created_at.desc())
            else:
                query = query.where(Message.status.in_(OPEN)).order_by(Message.due_at)
            cfg = config_in(session)
            views = [self._view(session, m) for m in session.scalars(query.limit(limit))]
        ready = {c: cfg.configured(c) for c in rules.SEND_CHANNELS}
        return [v if v.status != "queued" or v.last_error or ready[v.channel] else
                dataclasses.replace(v, last_error=f"{v.channel} is not configured (settings "
                                    f"messaging.{v.channel}.*)") for v in views]

    def history(self, customer: str | UUID) -> History:
        """Every message, call and visit of a customer, newest first, with figures."""
        with self._store.read() as session:
            row = self._customer(session, customer)
            messages = list(session.scalars(select(Message).where(
                Message.customer_id == row.id).order_by(Message.created_at.desc())))
            views = [self._view(session, m, messages) for m in messages]
        return History(row.id, tuple(views), _stats(views), _satisfaction(views),
                       tuple(v for v in views if v.status == "failed"))

    # -- templates -------------------------------------------------------------------------
    def templates(self, language: str | None = None) -> list[TemplateView]:
        with self._store.read() as session:
            lang = language or config_in(session).values["shop.language"]
            out = []
            for name, builtin in rules.TEMPLATES.items():
                row = session.scalar(select(MessageTemplate).where(
                    MessageTemplate.name == name, MessageTemplate.language == lang))
                text = resolve_template(session, name, lang, lang)
                out.append(TemplateView(name, lang, builtin.purpose, text.enabled,
                                        text.delay_minutes, text.subject, text.body,
                                        row is not None, builtin.help))
            return out

    def save_template(self, name: str, language: str, *, subject: str | None = None,
                      body: str | None = None, enabled: bool | None = None,
                      delay_minutes: int | None = None) -> TemplateView:
        """A manager's change to a template (what is not given stays)."""
        actor = self._store.require(Permission.CHANGE_SETTINGS)
        builtin = rules.template(name)
        language = language.strip().lower()
        if delay_minutes is not None and not 0 <= delay_minutes <= 60 * 24 * 90:
            raise ValidationError(FieldError("delay_minutes", "range",
                                             "must be between 0 and 129600 (90 days)"))
        now = self._store.clock()
        with self._store.write() as session:
            current = resolve_template(session, builtin.name, language, language)
            row = session.scalar(select(MessageTemplate).where(
                MessageTemplate.name == builtin.name, MessageTemplate.language == language))
            new_subject = rules.check_text(subject if subject is not None else current.subject,
                                           "subject", 200)
            new_body = rules.check_text(body if body is not None else current.body, "body")
            if row is None:
                # One id per (name, language) on every counter: two counters editing the
                # same template update one row (the server merges), never two rows.
                row = MessageTemplate(id=uuid.uuid5(NAMESPACE, f"template:{builtin.name}:"
                                                               f"{language}"),
                                      name=builtin.name, language=language,
                                      subject=new_subject, body=new_body,
                                      enabled=current.enabled,
                                      delay_minutes=current.delay_minutes, updated_at=now)
                session.add(row)
            row.subject, row.body, row.updated_at = new_subject, new_body, now
            if enabled is not None:
                row.enabled = enabled
            if delay_minutes is not None:
                row.delay_minutes = delay_minutes
            self._audit.append(session, actor, "update", "message_template",
                               f"{builtin.name}:{language}",
                               {"enabled": row.enabled, "delay_minutes": row.delay_minutes})
        self._store.publish(Changes(settings=True))
        return next(t for t in self.templates(language) if t.name == builtin.name)

    def preview(self, name: str, language: str | None = None, customer: str | UUID | None = None,
                subject: str | None = None, body: str | None = None) -> tuple[str, str]:
        """The subject and text as a customer would get them (a sample customer if none)."""
        builtin = rules.template(name)
        with self._store.read() as session:
            cfg = config_in(session)
            lang = language or cfg.values["shop.language"]
            text = resolve_template(session, builtin.name, lang, cfg.values["shop.language"])
            if customer is not None:
                row = self._customer(session, customer)
                values = values_for(cfg, row, None)
            else:
                values = {"first_name": "Ana", "last_name": "Silva", "customer_code": "C-SAMPLE",
                          "shop_name": cfg.shop_name, "shop_phone": cfg.values["shop.phone"],
                          "survey_url": cfg.values["shop.survey_url"]}
            values.setdefault("ticket_number", "R-SAMPLE-0001")
            values.setdefault("estimate", f"89.00 {cfg.values['shop.currency']}")
            values.setdefault("amount_due", f"89.00 {cfg.values['shop.currency']}")
            values.setdefault("appointment_time", "Tue 01 Dec 10:30")
            values.setdefault("appointment_reason", "screen replacement")
            s = rules.check_text(subject, "subject", 200) if subject is not None else text.subject
            b = rules.check_text(body, "body") if body is not None else text.body
            return rules.render(s, values), rules.render(b, values)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _customer(session: Session, customer: str | UUID) -> Customer:
        row: Customer | None
        if isinstance(customer, UUID):
            row = session.get(Customer, customer)
        else:
            row = session.scalar(select(Customer).where(
                Customer.code == codes.normalize_code(customer)))
        if row is None:
            raise NotFound(f"no customer {customer}")
        return row

    @staticmethod
    def _ticket(session: Session, number: str, customer: Customer) -> RepairTicket:
        row = session.scalar(select(RepairTicket).where(
            RepairTicket.number == normalize_number(number)))
        if row is None:
            raise NotFound(f"no repair ticket numbered {number}")
        if row.customer_id != customer.id:
            raise ValidationError(FieldError("ticket", "other_customer", f"ticket {row.number} "
                                             f"belongs to another customer"))
        return row

    def _view(self, session: Session, m: Message,
              timeline: list[Message] | None = None) -> MessageView:
        receipts = list(session.scalars(select(MessageReceipt).where(
            MessageReceipt.message_id == m.id)))
        delivered = min((r.at for r in receipts if r.status in ("delivered", "read")),
                        default=None)
        read = min((r.at for r in receipts if r.status == "read"), default=None)
        answered = None
        if m.direction == "out" and m.sent_at and timeline is not None:
            # A reply answers the latest message sent before it on that channel.
            sent_at = m.sent_at
            following = min((x.sent_at for x in timeline if x.direction == "out"
                             and x.channel == m.channel and x.sent_at is not None
                             and x.sent_at > sent_at), default=None)
            answered = min((x.created_at for x in timeline if x.direction == "in"
                            and x.channel == m.channel and x.created_at > sent_at
                            and (following is None or x.created_at < following)
                            and x.created_at - sent_at <= ANSWER_WITHIN), default=None)
        status = m.status
        if status == "sent" and read:
            status = "read"
        elif status == "sent" and delivered:
            status = "delivered"
        failed = next((r for r in receipts if r.status == "failed"), None)
        if failed is not None and status in ("sent", "delivered"):
            status = "failed"
        code = session.scalar(select(Customer.code).where(Customer.id == m.customer_id)) \
            if m.customer_id else None
        number = session.scalar(select(RepairTicket.number).where(
            RepairTicket.id == m.ticket_id)) if m.ticket_id else None
        staff = session.scalar(select(StaffDirectory.display_name).where(
            StaffDirectory.id == m.staff_id)) if m.staff_id else m.actor
        return MessageView(
            m.id, m.customer_id, code, number, m.template, m.channel, m.direction, m.purpose,
            m.to_address, m.subject, m.body, status, m.outcome, m.due_at, m.attempts,
            m.sent_at, delivered, read, answered,
            (failed.error if failed is not None else None) or m.last_error, staff, m.created_at)


def _stats(views: list[MessageView]) -> tuple[ChannelStats, ...]:
    out = []
    for channel in (*rules.SEND_CHANNELS, "call"):
        sent = [v for v in views if v.channel == channel and v.direction == "out"
                and (v.sent_at is not None) and v.purpose != "test"]
        if not sent:
            continue
        answered = [v for v in sent if v.answered_at is not None or v.outcome == "answered"]
        minutes = [(v.answered_at - v.sent_at).total_seconds() / 60 for v in answered
                   if v.answered_at and v.sent_at]
        out.append(ChannelStats(channel, len(sent), len(answered),
                                len(answered) / len(sent),
                                statistics.median(minutes) if minutes else None))
    return tuple(out)


def _satisfaction(views: list[MessageView]) -> float | None:
    """Scores (1-5) replied after a satisfaction survey, averaged."""
    scores = []
    surveys = [v for v in views if v.template == "satisfaction_survey" and v.answered_at]
    for survey in surveys:
        reply = next((v for v in reversed(views) if v.direction == "in"
                      and v.channel == survey.channel and v.created_at == survey.answered_at),
                     None)
        score = rules.survey_score(reply.body) if reply else None
        if score is not None:
            scores.append(score)
    return sum(scores) / len(scores) if scores else None


Clock = Callable[[], datetime]
