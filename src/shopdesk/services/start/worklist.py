"""Today's work at the counter, and the open tickets beside a customer's name.

`WorkList.today()` answers the four questions of the start screen: which
tickets are ready for pickup, which are past the day promised to the customer,
which wait for the customer's approval of the estimate, which wait for parts.
Each group has its exact count and its first items, longest waiting first.
`WorkList.open_tickets(ids)` gives, per customer, their open tickets (ready
ones first) for the search results and the profile header.

Read-only; any thread (each call opens its own read session). SQL counts and
limits; nothing loads every ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, func, select

from shopdesk.domain.tickets import OPEN_STATUSES, TicketStatus
from shopdesk.models import (
    Customer,
    RepairTicket,
    Staff,
    TicketStatusChange,
)
from shopdesk.services.repairs.ticket_queries import device_labels
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Store

GROUP_LIMIT = 50  # items listed per group; the count is always exact
# Open and not yet ready: the statuses in which a ticket can be late.
IN_WORK = tuple(s.value for s in OPEN_STATUSES if s != TicketStatus.READY)


# -- the promise ---------------------------------------------------------------
# Until tickets carry the day promised at intake (migration 0006 adds
# `repair_tickets.promised_by`), a ticket's promise is `repairs.promised_days`
# after the day it was taken in. These two functions are the only place that
# knows; with the column they become `RepairTicket.promised_by < today` (in work)
# and `ticket.promised_by`. Days are the shop's local days.
def overdue_where(today: date, promised_days: int) -> ColumnElement[bool]:
    """SQL: a ticket in work whose promised day is before `today`."""
    midnight = datetime.combine(today, time()).astimezone()  # local midnight, aware
    return RepairTicket.status.in_(IN_WORK) & (
        RepairTicket.created_at < midnight - timedelta(days=promised_days))


def promised_day(ticket: RepairTicket, promised_days: int) -> date:
    """The day promised to the customer for `ticket`."""
    return (ticket.created_at.astimezone() + timedelta(days=promised_days)).date()


def local_today(now: datetime) -> date:
    return now.astimezone().date()


@dataclass(frozen=True)
class WorkItem:
    """One ticket on the start screen."""

    ticket_id: UUID
    number: str
    status: str
    customer_id: UUID
    customer_name: str
    customer_code: str
    customer_phone: str
    devices: str  # "Apple iPhone 12, Samsung Galaxy A52"
    technician: str | None
    created_at: datetime
    since: datetime  # when it reached its current status
    promised_by: date
    overdue: bool


@dataclass(frozen=True)
class WorkGroup:
    """One question of the start screen, with its exact count and first items."""

    key: str  # "ready", "overdue", "awaiting_approval", "awaiting_parts"
    title: str
    count: int
    items: tuple[WorkItem, ...]


@dataclass(frozen=True)
class OpenTicket:
    """An open ticket of a customer, for a result row or a profile header."""

    ticket_id: UUID
    number: str
    status: str
    overdue: bool


@dataclass(frozen=True)
class CustomerWork:
    """A customer's open tickets, ready ones first, then the most recent."""

    tickets: tuple[OpenTicket, ...]

    @property
    def ready(self) -> int:
        return sum(1 for t in self.tickets if t.status == TicketStatus.READY)


class WorkList:
    """Read-only queries for the start screen and the customer rows; any thread."""

    def __init__(self, store: Store, settings: SettingsService) -> None:
        self._store = store
        self._settings = settings

    def _promised_days(self) -> int:
        return int(self._settings.get("repairs.promised_days"))

    def today(self, limit: int = GROUP_LIMIT) -> list[WorkGroup]:
        """Ready for pickup, overdue, awaiting approval, awaiting parts: each with
        its exact count and its first `limit` tickets, longest waiting first."""
        today, days = local_today(self._store.clock()), self._promised_days()
        late = overdue_where(today, days)
        # When each ticket reached its status: its last move there (else its last change).
        since = func.coalesce(
            select(func.max(TicketStatusChange.at))
            .where(TicketStatusChange.ticket_id == RepairTicket.id,
                   TicketStatusChange.to_status == RepairTicket.status)
            .scalar_subquery(), RepairTicket.updated_at)
        questions: list[tuple[str, str, ColumnElement[bool], Any]] = [
            ("ready", "Ready for pickup", RepairTicket.status == TicketStatus.READY.value,
             since),
            ("overdue", "Overdue", late, RepairTicket.created_at),
            ("awaiting_approval", "Awaiting approval",
             RepairTicket.status == TicketStatus.AWAITING_APPROVAL.value, since),
            ("awaiting_parts", "Awaiting parts",
             RepairTicket.status == TicketStatus.AWAITING_PARTS.value, since),
        ]
        groups = []
        with self._store.read() as session:
            for key, title, where, oldest_first in questions:
                count = session.scalar(select(func.count()).select_from(RepairTicket)
                                       .where(where)) or 0
                rows = session.execute(
                    select(RepairTicket, Customer.first_name, Customer.last_name,
                           Customer.code, Customer.phone, Staff.display_name, since)
                    .join(Customer, Customer.id == RepairTicket.customer_id)
                    .outerjoin(Staff, Staff.id == RepairTicket.technician_id)
                    .where(where).order_by(oldest_first, RepairTicket.number)
                    .limit(limit)).all()
                labels = device_labels(session, [r[0].id for r in rows])
                items = tuple(_item(row, labels, today, days) for row in rows)
                groups.append(WorkGroup(key, title, count, items))
        return groups

    def open_tickets(self, customer_ids: list[UUID]) -> dict[UUID, CustomerWork]:
        """Each given customer's open tickets (customers without any are left out)."""
        if not customer_ids:
            return {}
        today, days = local_today(self._store.clock()), self._promised_days()
        found: dict[UUID, list[OpenTicket]] = {}
        with self._store.read() as session:
            late = overdue_where(today, days)
            for ticket_id, number, status, customer_id, overdue in session.execute(
                    select(RepairTicket.id, RepairTicket.number, RepairTicket.status,
                           RepairTicket.customer_id, late)
                    .where(RepairTicket.customer_id.in_(customer_ids),
                           RepairTicket.status.in_([s.value for s in OPEN_STATUSES]))
                    .order_by(RepairTicket.updated_at.desc())):
                found.setdefault(customer_id, []).append(
                    OpenTicket(ticket_id, number, status, bool(overdue)))
        return {customer_id: CustomerWork(tuple(sorted(
            tickets, key=lambda t: t.status != TicketStatus.READY)))
            for customer_id, tickets in found.items()}


def _item(row: Any, labels: dict[UUID, list[str]], today: date, days: int) -> WorkItem:
    t, first, last, code, phone, technician, since = row
    due = promised_day(t, days)
    if not isinstance(since, datetime):  # a raw SQL value: the column's ISO text
        since = datetime.fromisoformat(since)
    return WorkItem(
        t.id, t.number, t.status, t.customer_id, f"{first} {last}", code, phone,
        ", ".join(labels[t.id]), technician, t.created_at, since, due,
        t.status in IN_WORK and due < today)
