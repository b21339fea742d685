"""The background sender: delivers what is due, exactly once from the shop's point of view.

Promises:
- Only this counter's messages (`node` = this data directory's tag) are sent here.
  An automation row (it has a `dedupe_key`) on a counter joined to a store waits
  until the server has accepted it (no sync outbox entry left for it): when two
  counters fire the same event, the server keeps the first row (`node` is
  immutable) and the other counter never sends its copy.
- Before the provider call the row is marked `sending` with a new attempt id,
  committed. A run that finds a `sending` row (the app was killed mid-send, or the
  provider's answer was lost) reconciles it: the provider's message lookup (Twilio)
  says whether it was accepted; where the provider has no lookup (WhatsApp, SMTP) a
  receipt that names the message settles it, and otherwise it becomes `unknown`
  for staff after `UNKNOWN_AFTER`. A message is never resent blindly.
- 429 (Retry-After honoured, and the channel paused for that long), 5xx, timeouts
  and unreachable providers are retried with backoff by the injectable clock; each
  channel is paced by a token bucket at its rate limit. Permanent errors (invalid
  number, opted out) fail the message with the reason, and the next channel the
  customer can be reached on gets a copy.
- Only one sender runs per data directory at a time (a lock file).

Thread rule: `deliver()` runs on the caller's thread (the CLI's, or the runner's
background thread); it never touches Qt.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, literal_column, select, update
from sqlalchemy.orm import Session

from shopdesk import paths
from shopdesk.changes import Changes
from shopdesk.domain.messaging import rules
from shopdesk.domain.tickets import TicketStatus
from shopdesk.models import (
    Appointment,
    Customer,
    Message,
    MessageReceipt,
    OutboxEntry,
    RepairTicket,
    SyncState,
)
from shopdesk.services.messaging.config import MessagingConfig
from shopdesk.services.messaging.filelock import FileLock
from shopdesk.services.messaging.outbox import NAMESPACE, address_for, config_in, consent_allows
from shopdesk.services.messaging.providers import LookupUnsupported, Outgoing, Provider, SendError
from shopdesk.services.messaging.views import DeliveryReport
from shopdesk.services.store import Store

log = logging.getLogger(__name__)

UNKNOWN_AFTER = timedelta(minutes=15)  # no receipt for an unanswered attempt: staff decide
GIVE_UP_AFTER = timedelta(days=3)  # a message this late is no use any more
AUTOMATED = ("service", "marketing")
ProviderFactory = Callable[[str, MessagingConfig], Provider | None]


def crash_point(name: str) -> None:
    """Die here when the fault tests ask for it (SHOPDESK_MESSAGING_CRASH_AT=name)."""
    if os.environ.get("SHOPDESK_MESSAGING_CRASH_AT") == name:
        os._exit(71)


class TokenBucket:
    """`rate` sends a second, evenly spaced (no bursts: a provider's limit, such as
    Twilio's one message a second per number, holds over any window); real time."""

    def __init__(self, rate: float, monotonic: Callable[[], float]) -> None:
        self.rate, self.monotonic = rate, monotonic
        self.tokens, self.at = 1.0, monotonic()

    def wait_time(self) -> float:
        now = self.monotonic()
        self.tokens = min(1.0, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


class Sender:
    """Delivers due messages; see the module docstring."""

    def __init__(self, store: Store, providers: ProviderFactory,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._providers = providers
        self._sleep = sleep
        self._monotonic = monotonic
        self._buckets: dict[str, TokenBucket] = {}
        self._paused: dict[str, datetime] = {}  # channel -> until (a 429's Retry-After)
        # Beside the database, named after it (the data folder's own entries).
        self._lock = FileLock(store.root / f"{paths.DB_FILENAME}.messaging-lock")
        self.after_run: list[Callable[[Session], int]] = []  # verification reply checks
        # Called after each run, outside any transaction (survey replies -> feedback).
        self.after_deliver: list[Callable[[], object]] = []

    # -- one run ---------------------------------------------------------------------------
    def deliver(self, *, pace: bool = True, limit: int | None = None,
                stop: threading.Event | None = None) -> DeliveryReport:
        """Send what is due now. `pace`: wait for each channel's rate limit (else stop at
        it and leave the rest for the next run)."""
        if not self._lock.acquire():
            log.info("another sender runs on this data directory")
            return DeliveryReport()
        report = DeliveryReport()
        providers: dict[str, Provider | None] = {}
        try:
            with self._store.read() as session:
                cfg = config_in(session)
            self._settle_lost_races()
            report = self._reconcile(cfg, providers, report)
            report = self._send_due(cfg, providers, report, pace, limit, stop)
            for check in self.after_run:
                with self._store.write() as session:
                    report = replace(report, verified=report.verified + check(session))
            for follow_up in self.after_deliver:
                follow_up()
        finally:
            for provider in providers.values():
                if provider is not None:
                    provider.close()
            self._lock.release()
        return report

    def _provider(self, cfg: MessagingConfig, providers: dict[str, Provider | None],
                  channel: str) -> Provider | None:
        if channel not in providers:
            providers[channel] = self._providers(channel, cfg)
            if providers[channel] is not None and channel not in self._buckets:
                self._buckets[channel] = TokenBucket(
                    providers[channel].rate_per_second, self._monotonic)  # type: ignore[union-attr]
        return providers[channel]

    def _mine(self) -> Any:
        return (Message.node == self._store.node_tag) & (Message.direction == "out")

    # -- reconciliation ----------------------------------------------------------------------
    def _reconcile(self, cfg: MessagingConfig, providers: dict[str, Provider | None],
                   report: DeliveryReport) -> DeliveryReport:
        now = self._store.clock()
        with self._store.read() as session:
            rows = list(session.scalars(select(Message).where(
                self._mine(), Message.status == "sending", Message.next_attempt_at <= now)))
            outs = [(m.id, m.channel, m.attempt_at, self._outgoing(session, cfg, m))
                    for m in rows]
        for message_id, channel, attempt_at, out in outs:
            provider = self._provider(cfg, providers, channel)
            if provider is None:
                continue
            try:
                found = provider.lookup(out)
            except LookupUnsupported:
                found = self._receipt_id(message_id)
                if found is None:
                    if attempt_at is not None and now - attempt_at < UNKNOWN_AFTER:
                        continue  # a receipt may still come
                    self._set(message_id, status="unknown", last_error=(
                        f"{channel}: the provider may have this message but cannot be asked; "
                        "check with the customer, then resend or mark it sent"))
                    report = replace(report, unknown=report.unknown + 1)
                    continue
            except SendError as exc:
                self._set(message_id, next_attempt_at=now + rules.backoff(1, exc.retry_after),
                          last_error=f"reconciling: {exc.reason}")
                continue
            if found:
                self._set(message_id, status="sent", provider_id=found, sent_at=attempt_at or now,
                          last_error=None)
                report = replace(report, reconciled=report.reconciled + 1,
                                 sent=report.sent + 1)
            else:  # the provider never got it: a new attempt, now
                self._set(message_id, status="queued", next_attempt_at=now)
                report = replace(report, reconciled=report.reconciled + 1)
        return report

    def _settle_lost_races(self) -> None:
        """The same automation written on two counters: the server kept the other's row
        (its `node` is immutable) and refused this counter's copy; once the server's row
        has been pulled here, the refusal is expected, not something staff must review."""
        with self._store.write() as session:
            lost = select(Message.id).where(
                Message.node != self._store.node_tag, Message.dedupe_key.is_not(None),
                literal_column("messages.id") == OutboxEntry.row_id).exists()
            session.execute(delete(OutboxEntry).where(
                OutboxEntry.status == "rejected", OutboxEntry.table_name == "messages",
                lost))

    def _receipt_id(self, message_id: uuid.UUID) -> str | None:
        with self._store.read() as session:
            return session.scalar(select(MessageReceipt.provider_id).where(
                MessageReceipt.message_id == message_id).limit(1))

    # -- sending ---------------------------------------------------------------------------
    def _due(self, now: datetime, joined: bool, channels: list[str]) -> list[uuid.UUID]:
        with self._store.read() as session:
            query = select(Message.id).where(
                self._mine(), Message.status == "queued", Message.next_attempt_at <= now,
                Message.channel.in_(channels))
            if joined:
                # Automations wait until the server accepted the row (see the docstring).
                pending = exists().where(OutboxEntry.table_name == "messages",
                                         OutboxEntry.row_id == literal_column("messages.id"))
                query = query.where((Message.dedupe_key.is_(None)) | ~pending)
            return list(session.scalars(query.order_by(Message.next_attempt_at).limit(2000)))

    def _send_due(self, cfg: MessagingConfig, providers: dict[str, Provider | None],
                  report: DeliveryReport, pace: bool, limit: int | None,
                  stop: threading.Event | None) -> DeliveryReport:
        with self._store.read() as session:
            joined = session.get(SyncState, 1) is not None
        # A channel not configured is not touched: its messages wait, unwritten, until it
        # is (a shop that has not set messaging up sees no churn).
        channels = [c for c in rules.SEND_CHANNELS if self._provider(cfg, providers, c)]
        with self._store.read() as session:
            idle = session.scalar(select(func.count()).select_from(Message).where(
                self._mine(), Message.status == "queued",
                Message.next_attempt_at <= self._store.clock(),
                Message.channel.not_in(channels))) or 0
        report = replace(report, waiting=report.waiting + idle)
        done = 0
        while True:
            batch = self._due(self._store.clock(), joined, channels)
            if not batch:
                break
            progressed = False
            for message_id in batch:
                if stop is not None and stop.is_set():
                    return report
                if limit is not None and done >= limit:
                    return report
                report, sent = self._one(cfg, providers, message_id, report, pace)
                progressed = progressed or sent
                done += 1
            if not progressed:
                break
        return report

    def _one(self, cfg: MessagingConfig, providers: dict[str, Provider | None],
             message_id: uuid.UUID, report: DeliveryReport, pace: bool,
             ) -> tuple[DeliveryReport, bool]:
        now = self._store.clock()
        with self._store.read() as session:
            message = session.get(Message, message_id)
            if message is None or message.status != "queued":
                return report, False
            why_not = self._stale(session, message, now)
            if why_not:
                pass
            elif message.purpose in AUTOMATED and message.template is not None:
                best = "any"
                customer = session.get(Customer, message.customer_id)
                if customer is not None and customer.preferences is not None:
                    best = customer.preferences.best_time
                allowed = rules.next_allowed(now, cfg.zone, best, cfg.quiet_hours)
                if allowed > now:
                    self._set(message_id, next_attempt_at=allowed)
                    return replace(report, waiting=report.waiting + 1), False
            channel = message.channel
            out = None if why_not else self._outgoing(session, cfg, message)
        if why_not:
            self._set(message_id, status="cancelled", last_error=why_not)
            return replace(report, cancelled=report.cancelled + 1), True
        assert out is not None
        paused = self._paused.get(channel)
        if paused and paused > now:
            self._set(message_id, next_attempt_at=paused)
            return replace(report, waiting=report.waiting + 1), False
        provider = self._provider(cfg, providers, channel)
        if provider is None:  # settings changed during this run
            return replace(report, waiting=report.waiting + 1), False
        bucket = self._buckets[channel]
        wait = bucket.wait_time()
        if wait > 0:
            if not pace:
                return replace(report, waiting=report.waiting + 1), False
            self._sleep(wait)
            bucket.wait_time()
        bucket.take()
        attempt = str(uuid.uuid4())
        with self._store.write() as session:
            claimed = session.execute(update(Message).where(
                Message.id == message_id, Message.status == "queued").values(
                status="sending", attempt_id=attempt, attempt_at=now, next_attempt_at=now,
                attempts=Message.attempts + 1, updated_at=now))
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return report, False
        crash_point("after_claim")
        out = replace(out, attempt_id=attempt, attempt_at=now)
        try:
            provider_id = provider.send(out)
        except SendError as exc:
            return self._failed(message_id, channel, exc, report), True
        crash_point("after_send")
        self._set(message_id, status="sent", provider_id=provider_id[:80], sent_at=now,
                  last_error=None)
        return replace(report, sent=report.sent + 1), True

    def _failed(self, message_id: uuid.UUID, channel: str, exc: SendError,
                report: DeliveryReport) -> DeliveryReport:
        now = self._store.clock()
        with self._store.read() as session:
            message = session.get(Message, message_id)
            attempts, due = (message.attempts, message.due_at) if message else (1, now)
        if exc.permanent:
            self._set(message_id, status="failed", last_error=exc.reason[:1000])
            self._fallback(message_id)
            return replace(report, failed=report.failed + 1)
        if exc.retry_after is not None:
            self._paused[channel] = now + rules.backoff(attempts, exc.retry_after)
        if now - due > GIVE_UP_AFTER:
            self._set(message_id, status="failed" if not exc.maybe_sent else "unknown",
                      last_error=f"gave up after {attempts} attempts: {exc.reason}"[:1000])
            return replace(report, failed=report.failed + 1)
        self._set(message_id, status="sending" if exc.maybe_sent else "queued",
                  next_attempt_at=now + rules.backoff(attempts, exc.retry_after),
                  last_error=exc.reason[:1000])
        return replace(report, retrying=report.retrying + 1)

    def _fallback(self, message_id: uuid.UUID) -> None:
        """A permanent failure: a copy on the next channel the customer can be reached on."""
        with self._store.write() as session:
            failed = session.get(Message, message_id)
            if failed is None or failed.customer_id is None or failed.purpose not in AUTOMATED:
                return
            customer = session.get(Customer, failed.customer_id)
            if customer is None:
                return
            cfg = config_in(session)
            tried = set(session.scalars(select(Message.channel).where(
                (Message.id == message_id)
                | (Message.dedupe_key.like(f"{failed.dedupe_key or failed.id}>%")))))
            for channel in cfg.channel_order:
                address = address_for(customer, channel)
                if channel in tried or not address or not cfg.configured(channel):
                    continue
                if consent_allows(session, customer, failed.purpose, channel):
                    continue
                key = f"{failed.dedupe_key or failed.id}>{channel}"
                copy_id = uuid.uuid5(NAMESPACE, key)
                if session.get(Message, copy_id) is not None:
                    return
                now = self._store.clock()
                session.add(Message(
                    id=copy_id, customer_id=failed.customer_id, ticket_id=failed.ticket_id,
                    appointment_id=failed.appointment_id, template=failed.template,
                    channel=channel, direction="out", purpose=failed.purpose,
                    language=failed.language, to_address=address, subject=failed.subject,
                    body=failed.body, status="queued", node=failed.node, dedupe_key=key[:120],
                    due_at=now, next_attempt_at=now, attempts=0, staff_id=failed.staff_id,
                    actor=failed.actor, created_at=now, updated_at=now))
                return

    # -- helpers ----------------------------------------------------------------------------
    def _stale(self, session: Session, message: Message, now: datetime) -> str | None:
        """Why a queued message must not go out any more, or None."""
        customer = session.get(Customer, message.customer_id) if message.customer_id else None
        if customer is not None:
            if customer.merged_into is not None:
                return "the customer was merged into another record"
            refused = consent_allows(session, customer, message.purpose, message.channel)
            if refused and message.purpose in AUTOMATED:
                return refused
        if message.template == "uncollected_reminder" and message.ticket_id:
            ticket = session.get(RepairTicket, message.ticket_id)
            if ticket is None or ticket.status != TicketStatus.READY.value:
                return "the repair is no longer waiting for pickup"
        if message.template == "appointment_reminder" and message.appointment_id:
            booking = session.get(Appointment, message.appointment_id)
            if booking is None or booking.status != "booked" or booking.starts_at <= now:
                return "the appointment was cancelled or has passed"
        return None

    def _outgoing(self, session: Session, cfg: MessagingConfig, m: Message) -> Outgoing:
        customer = session.get(Customer, m.customer_id) if m.customer_id else None
        current = (address_for(customer, m.channel)
                   if customer is not None and m.purpose != "verification" else None)
        to = current or m.to_address or ""
        in_session = False
        if m.channel == "whatsapp" and m.customer_id is not None:
            since = self._store.clock() - timedelta(hours=24)
            in_session = session.scalar(select(Message.id).where(
                Message.customer_id == m.customer_id, Message.direction == "in",
                Message.channel == "whatsapp", Message.created_at >= since).limit(1)) is not None
        params: tuple[str, ...] = ()
        if m.template and customer is not None:
            from shopdesk.services.messaging.outbox import resolve_template, values_for

            ticket = session.get(RepairTicket, m.ticket_id) if m.ticket_id else None
            values = values_for(cfg, customer, ticket)
            # The values it was queued with (an appointment's time, the points about to
            # expire) are only in its text: read back, they win over today's.
            text = resolve_template(session, m.template, m.language or "en",
                                    cfg.values["shop.language"])
            values.update(rules.values_from(text.body, m.body) or {})
            builtin = rules.TEMPLATES.get(m.template)
            if builtin is not None:
                import string

                params = tuple(values.get(f, "") for _, f, _, _ in
                               string.Formatter().parse(builtin.body["en"]) if f)
        if m.purpose == "verification":
            # WhatsApp authentication templates take the code as their one parameter.
            params = tuple(re.findall(r"\b\d{6}\b", m.body)[:1])
        html = rules.html_of(m.subject or "", m.body, cfg.shop_name) \
            if m.channel == "email" else None
        return Outgoing(message_id=str(m.id), attempt_id=m.attempt_id or "", to=to,
                        subject=m.subject or cfg.shop_name, body=m.body, html=html,
                        template=m.template if m.purpose != "verification" else "verification",
                        params=params, language=cfg.get("whatsapp.language"),
                        in_session=in_session, attempt_at=m.attempt_at,
                        sender_name=cfg.shop_name)

    def _set(self, message_id: uuid.UUID, **values: Any) -> None:
        now = self._store.clock()
        with self._store.write() as session:
            session.execute(update(Message).where(Message.id == message_id).values(
                updated_at=now, **values))
            customer = session.scalar(select(Message.customer_id).where(
                Message.id == message_id))
        self._store.publish(Changes(messages=frozenset({customer} if customer else set())))
