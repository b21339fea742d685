"""Plain, immutable views of devices, tickets, service records and support tickets.

Built inside a read or write session; never ORM objects; safe across threads.
Amounts are `Decimal` with two places; times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from shopdesk.changes import Changes
from shopdesk.domain.money import Settlement, settle, total
from shopdesk.domain.tickets import TicketStatus


@dataclass(frozen=True)
class DeviceInfo:
    id: UUID
    make: str
    model: str
    imei: str | None
    imei2: str | None
    serial: str | None
    tac: str | None
    purchase_date: date | None
    manufacturer_warranty_until: date | None
    shop_warranty_until: date | None
    condition: str
    customer_id: UUID  # the current owner
    customer_code: str
    customer_name: str
    created_at: datetime
    updated_at: datetime

    @property
    def label(self) -> str:
        ident = self.imei or self.serial
        return f"{self.make} {self.model}" + (f" ({ident})" if ident else "")

    def under_shop_warranty(self, on: date) -> bool:
        return self.shop_warranty_until is not None and on <= self.shop_warranty_until


@dataclass(frozen=True)
class DeviceSaved:
    device: DeviceInfo
    changes: Changes


@dataclass(frozen=True)
class OwnerPeriod:
    customer_id: UUID
    customer_code: str
    customer_name: str
    from_at: datetime
    to_at: datetime | None  # None: the current owner


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a device's timeline: a repair ticket or a service record."""

    at: datetime
    entry: str  # "ticket" or "service"
    id: UUID  # the ticket's or the service record's id
    title: str  # ticket number, or the service kind's label
    kind: str  # "repair_ticket" or the service kind (repair, part_purchase, ...)
    description: str  # the fault as described, or the service's description
    status: str | None  # the ticket's status; None for a service record
    pre_existing_faults: str  # noted at intake ("" for service records)
    owner_id: UUID  # the customer who brought it in / was served then
    owner_code: str
    owner_name: str
    technician: str | None
    amount: Decimal | None  # the ticket's final amount or estimate; the service total
    warranty_rework: bool = False


@dataclass(frozen=True)
class DeviceHistory:
    device: DeviceInfo
    owners: list[OwnerPeriod]  # oldest first
    entries: list[HistoryEntry]  # newest first


@dataclass(frozen=True)
class PartInfo:
    name: str
    sku: str | None
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class ServiceInfo:
    id: UUID
    customer_id: UUID
    device_id: UUID | None
    ticket_id: UUID | None
    occurred_at: datetime
    kind: str
    description: str
    technician_id: UUID | None
    technician_name: str | None
    parts: tuple[PartInfo, ...]
    labour: Decimal
    total: Decimal
    payment_method: str | None
    satisfaction: int | None


@dataclass(frozen=True)
class ServiceSaved:
    service: ServiceInfo
    changes: Changes


@dataclass(frozen=True)
class TicketSummary:
    """One row of the ticket board."""

    id: UUID
    number: str
    status: str
    customer_id: UUID
    customer_code: str
    customer_name: str
    technician_id: UUID | None
    technician_name: str | None
    devices: str  # "Apple iPhone 12, Samsung Galaxy A52"
    device_count: int
    estimate: Decimal | None
    warranty_rework: bool
    created_at: datetime
    updated_at: datetime
    promised_by: date | None = None  # the day promised to the customer
    # The customer's loyalty tier gives priority on the board (issue 17): listed first.
    priority: bool = False

    def overdue(self, today: date) -> bool:
        """Still open after the promised day."""
        return self.promised_by is not None and today > self.promised_by \
            and not TicketStatus(self.status).final


@dataclass(frozen=True)
class BoardGroup:
    """One status of the ticket board: how many tickets, how many past their promise."""

    status: str
    count: int
    overdue: int


@dataclass(frozen=True)
class TicketDeviceInfo:
    device: DeviceInfo
    fault: str
    checklist: dict[str, str]  # check -> "yes" / "no" / "not_tested" / a note
    pre_existing_faults: str
    accessories: str
    has_passcode: bool


@dataclass(frozen=True)
class StatusChange:
    from_status: str | None  # None for the intake itself
    to_status: str
    at: datetime
    staff_id: UUID | None
    staff_name: str
    note: str


@dataclass(frozen=True)
class WorkLineInfo:
    """A part or labour line of an open ticket (`kind` is "part" or "labour")."""

    id: UUID
    device_id: UUID | None  # None: the ticket as a whole
    kind: str
    description: str
    sku: str | None
    quantity: int
    unit_price: Decimal
    amount: Decimal  # quantity x unit price


@dataclass(frozen=True)
class TicketDetail:
    summary: TicketSummary
    devices: list[TicketDeviceInfo]
    estimate_approved: bool | None
    approved_at: datetime | None
    deposit: Decimal
    final_amount: Decimal | None
    payment_method: str | None
    collected_at: datetime | None
    next_statuses: tuple[str, ...]  # where change_status may move it now
    history: list[StatusChange]  # oldest first
    services: list[ServiceInfo] = field(default_factory=list)  # written at pickup
    work: list[WorkLineInfo] = field(default_factory=list)  # parts and labour, in order

    @property
    def promised_by(self) -> date | None:
        return self.summary.promised_by

    @property
    def work_total(self) -> Decimal | None:
        """What the work lines add up to (None when there are none)."""
        return total(line.amount for line in self.work) if self.work else None

    @property
    def settlement(self) -> Settlement:
        """Total, deposit, paid at pickup and balance: the receipt's own figures."""
        expected = self.work_total if self.work else self.summary.estimate
        return settle(expected, self.deposit, self.final_amount,
                      TicketStatus(self.summary.status).final)

    @property
    def balance_due(self) -> Decimal:
        """What the customer still owes (zero once collected: pickup takes the rest)."""
        return self.settlement.balance


@dataclass(frozen=True)
class TicketSaved:
    ticket: TicketDetail
    changes: Changes


@dataclass(frozen=True)
class SupportInfo:
    id: UUID
    number: str
    customer_id: UUID
    customer_code: str
    customer_name: str
    repair_ticket_id: UUID | None
    repair_ticket_number: str | None
    device_id: UUID | None
    priority: str
    status: str
    level: str
    complaint: bool
    subject: str
    description: str
    due_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    refund: Decimal | None
    created_at: datetime
    updated_at: datetime
    overdue: bool  # open and past its target, as of when it was read


@dataclass(frozen=True)
class SupportEventInfo:
    kind: str  # opened, escalation, complaint_step, note, resolved, closed
    step: str | None
    from_level: str | None
    to_level: str | None
    note: str
    staff_name: str
    at: datetime


@dataclass(frozen=True)
class SupportDetail:
    ticket: SupportInfo
    events: list[SupportEventInfo]  # oldest first
    complaint_steps: tuple[str, ...]  # recorded so far, in order
    next_complaint_step: str | None  # None when not a complaint or all done


@dataclass(frozen=True)
class SupportSaved:
    ticket: SupportDetail
    changes: Changes
