"""The automated messages (spec 4.4), fired inside the transaction of their event.

- registration -> `welcome`;
- a ticket opened -> `ticket_received`; awaiting approval -> `estimate_approval`;
  ready -> `ready_for_pickup`, and `uncollected_reminder` after its delay (dropped at
  send time if the ticket was collected meanwhile); collected -> `satisfaction_survey`
  after its delay (a marketing message: only with the customer's opt-in);
- an appointment booked -> `appointment_reminder` the day before.

Each is one `Store.emit` hook: the window and the command line call the same
ticket service, so `shopdesk tickets move` fires exactly what the board does. An
automation that consent or settings forbid is skipped (nothing is written); it
never makes the event itself fail.

Thread rule: the hooks run on the writer's thread, inside its transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopdesk.domain.tickets import TicketStatus
from shopdesk.errors import ValidationError
from shopdesk.models import Appointment, Customer, RepairTicket, TicketStatusChange
from shopdesk.services.messaging.outbox import Composer, Skipped, config_in
from shopdesk.services.store import Actor, Store

log = logging.getLogger(__name__)

ON_STATUS: dict[str, tuple[str, ...]] = {
    TicketStatus.RECEIVED.value: ("ticket_received",),
    TicketStatus.AWAITING_APPROVAL.value: ("estimate_approval",),
    TicketStatus.READY.value: ("ready_for_pickup", "uncollected_reminder"),
    TicketStatus.COLLECTED.value: ("satisfaction_survey",),
}


class Automations:
    """Registers the hooks on `store`; see the module docstring."""

    def __init__(self, store: Store, composer: Composer) -> None:
        self._store = store
        self._composer = composer
        store.on_event("ticket_status", self.ticket_status)
        store.on_event("customer_registered", self.customer_registered)
        store.on_event("appointment_booked", self.appointment_booked)

    def _fire(self, session: Session, actor: Actor, customer: Customer | None, template: str,
              key: str, **kwargs: object) -> None:
        if customer is None:
            return
        try:
            # Every refusal is raised before anything is added: no savepoint needed.
            self._composer.enqueue(session, actor, customer, template,
                                   now=self._store.clock(), dedupe_key=key,
                                   automatic=True, **kwargs)  # type: ignore[arg-type]
        except (Skipped, ValidationError) as why:
            log.info("no %s message for %s: %s", template, customer.code, why)

    def customer_registered(self, session: Session, actor: Actor, customer: Customer) -> None:
        self._fire(session, actor, customer, "welcome", f"welcome:{customer.id}")

    def ticket_status(self, session: Session, actor: Actor, ticket: RepairTicket,
                      status: TicketStatus) -> None:
        names = ON_STATUS.get(status.value)
        if not names:
            return
        # The n-th time this ticket reached this status: a ticket sent back to repair and
        # ready again is told again, the same move made on two counters is one message.
        n = session.scalar(select(func.count()).select_from(TicketStatusChange).where(
            TicketStatusChange.ticket_id == ticket.id,
            TicketStatusChange.to_status == status.value)) or 1
        customer = session.get(Customer, ticket.customer_id)
        cfg = config_in(session)  # read once for the messages of this event
        for name in names:
            self._fire(session, actor, customer, name, f"{name}:{ticket.id}:{n}",
                       ticket=ticket, cfg=cfg)

    def appointment_booked(self, session: Session, actor: Actor,
                           appointment: Appointment) -> None:
        now: datetime = self._store.clock()
        if appointment.starts_at <= now:
            return
        due = max(now, appointment.starts_at - timedelta(days=1))
        when = appointment.starts_at.astimezone(
            self._zone(session)).strftime("%a %d %b %H:%M")
        customer = session.get(Customer, appointment.customer_id)
        self._fire(session, actor, customer, "appointment_reminder",
                   f"appointment_reminder:{appointment.id}:{appointment.starts_at.isoformat()}",
                   appointment_id=appointment.id, due_at=due,
                   extra={"appointment_time": when, "appointment_reason": appointment.reason})

    @staticmethod
    def _zone(session: Session) -> tzinfo:
        return config_in(session).zone
