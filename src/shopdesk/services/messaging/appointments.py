"""Appointments (spec 4.4): a customer, a time, a reason, optionally a device or ticket;
the counter's day view; booking one queues its reminder for the day before.

Thread rule: any thread; each write is one `Store.write()` transaction.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission
from shopdesk.domain.text import collapse_spaces
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import Appointment, Customer, Device, RepairTicket
from shopdesk.services.audit import AuditTrail
from shopdesk.services.messaging.outbox import config_in
from shopdesk.services.messaging.service import MessagingService
from shopdesk.services.messaging.views import AppointmentView
from shopdesk.services.store import Store


class AppointmentService:
    """Book, cancel, list by day. See the module docstring."""

    def __init__(self, store: Store, audit: AuditTrail) -> None:
        self._store = store
        self._audit = audit

    def book(self, customer: str | UUID, starts_at: datetime, reason: str,
             duration_minutes: int = 30, ticket: str | None = None,
             device_id: UUID | None = None) -> AppointmentView:
        actor = self._store.require(Permission.EDIT_CUSTOMERS)
        reason = collapse_spaces(reason)
        errors = []
        if not reason:
            errors.append(FieldError("reason", "required", "say what the appointment is for"))
        elif len(reason) > 200:
            errors.append(FieldError("reason", "max_length", "must be at most 200 characters"))
        if not 5 <= duration_minutes <= 8 * 60:
            errors.append(FieldError("duration", "range", "must be 5 to 480 minutes"))
        if starts_at.tzinfo is None:
            errors.append(FieldError("starts_at", "timezone", "needs a time zone"))
        if errors:
            raise ValidationError(errors)
        now = self._store.clock()
        with self._store.write() as session:
            row = MessagingService._customer(session, customer)
            ticket_row = MessagingService._ticket(session, ticket, row) if ticket else None
            if device_id is not None and session.get(Device, device_id) is None:
                raise NotFound(f"no device with id {device_id}")
            zone = config_in(session).zone
            booking = Appointment(
                id=uuid.uuid4(), customer_id=row.id, device_id=device_id,
                ticket_id=ticket_row.id if ticket_row else None,
                day=starts_at.astimezone(zone).date(), starts_at=starts_at,
                duration_minutes=duration_minutes, reason=reason, status="booked",
                created_by=actor.staff_id, created_at=now, updated_at=now)
            session.add(booking)
            session.flush()
            self._store.emit(session, actor, "appointment_booked", appointment=booking)
            self._audit.append(session, actor, "book", "appointment", booking.id,
                               {"customer": row.code, "starts_at": starts_at.isoformat(),
                                "reason": reason})
            view = _view(session, booking)
        self._store.publish(Changes(messages=frozenset({view.customer_id})))
        return view

    def set_status(self, appointment_id: UUID, status: str) -> AppointmentView:
        """cancelled, done or no_show (a cancelled one's reminder is dropped unsent)."""
        actor = self._store.require(Permission.EDIT_CUSTOMERS)
        if status not in ("cancelled", "done", "no_show", "booked"):
            raise ValidationError(FieldError("status", "choice",
                                             "is one of booked, cancelled, done, no_show"))
        with self._store.write() as session:
            booking = session.get(Appointment, appointment_id)
            if booking is None:
                raise NotFound(f"no appointment with id {appointment_id}")
            before, booking.status = booking.status, status
            booking.updated_at = self._store.clock()
            self._audit.append(session, actor, "set_status", "appointment", booking.id,
                               {"status": [before, status]})
            view = _view(session, booking)
        self._store.publish(Changes(messages=frozenset({view.customer_id})))
        return view

    def day(self, day: date) -> list[AppointmentView]:
        """The day's appointments (the shop's local day), by start time."""
        with self._store.read() as session:
            rows = session.scalars(select(Appointment).where(Appointment.day == day)
                                   .order_by(Appointment.starts_at))
            return [_view(session, a) for a in rows]

    def upcoming(self, customer_id: UUID, days: int = 60) -> list[AppointmentView]:
        now = self._store.clock()
        with self._store.read() as session:
            rows = session.scalars(select(Appointment).where(
                Appointment.customer_id == customer_id, Appointment.starts_at >= now,
                Appointment.starts_at <= now + timedelta(days=days))
                .order_by(Appointment.starts_at))
            return [_view(session, a) for a in rows]


def _view(session: Session, a: Appointment) -> AppointmentView:
    customer = session.get(Customer, a.customer_id)
    number = session.scalar(select(RepairTicket.number).where(
        RepairTicket.id == a.ticket_id)) if a.ticket_id else None
    device = session.get(Device, a.device_id) if a.device_id else None
    return AppointmentView(
        a.id, a.customer_id, customer.code if customer else "",
        f"{customer.first_name} {customer.last_name}" if customer else "", a.day, a.starts_at,
        a.duration_minutes, a.reason, a.status, number,
        f"{device.make} {device.model}" if device else None)
