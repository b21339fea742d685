"""Repair tickets: the counter workflow from intake to pickup.

One ticket may hold several devices (`ticket_devices`); every status change is
kept with who and when (`ticket_status_changes`); the work done (parts and
labour, each with a description) is kept as lines while the ticket is open
(`ticket_work_lines`) and becomes the service records at pickup. Amounts are
`Money` (pence).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base, created_at, utcnow, uuid_pk

_STATUSES = ("'received','diagnosing','awaiting_approval','awaiting_parts','in_repair',"
             "'ready','collected','cancelled'")


class RepairTicket(Base):
    __tablename__ = "repair_tickets"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        CheckConstraint(
            "payment_method IS NULL OR payment_method IN "
            "('cash','card','mobile_money','bank_transfer','store_credit')",
            name="payment_method"),
        CheckConstraint("estimate IS NULL OR estimate >= 0", name="estimate_non_negative"),
        CheckConstraint("deposit >= 0", name="deposit_non_negative"),
        CheckConstraint("final_amount IS NULL OR final_amount >= 0",
                        name="final_amount_non_negative"),
        Index("ix_repair_tickets_status_updated", "status", "updated_at"),
        Index("ix_repair_tickets_updated", "updated_at"),
        Index("ix_repair_tickets_technician", "technician_id", "updated_at"),
        Index("ix_repair_tickets_customer", "customer_id", "created_at"),
        Index("ix_repair_tickets_status_promised", "status", "promised_by", "created_at"),
    )

    id: Mapped[uuid_pk]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(20), default="received")
    technician_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    estimate: Mapped[Decimal | None]
    estimate_approved: Mapped[bool | None]
    approved_at: Mapped[datetime | None]
    deposit: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    final_amount: Mapped[Decimal | None]
    payment_method: Mapped[str | None] = mapped_column(String(16))
    warranty_rework: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    collected_at: Mapped[datetime | None]
    # The day the shop promised the customer the repair (overdue after it).
    promised_by: Mapped[date | None]


class TicketDevice(Base):
    """A device on a ticket, as it came in; the passcode is Fernet ciphertext."""

    __tablename__ = "ticket_devices"
    __table_args__ = (
        UniqueConstraint("ticket_id", "device_id"),
        Index("ix_ticket_devices_device", "device_id"),
    )

    id: Mapped[uuid_pk]
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("repair_tickets.id", ondelete="CASCADE"))
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"))
    position: Mapped[int] = mapped_column(default=0)
    fault: Mapped[str] = mapped_column(Text)
    checklist: Mapped[str] = mapped_column(Text, default="{}", info={"json": True})
    pre_existing_faults: Mapped[str] = mapped_column(Text, default="")
    accessories: Mapped[str] = mapped_column(Text, default="")
    passcode_encrypted: Mapped[str | None] = mapped_column(Text)


class TicketStatusChange(Base):
    __tablename__ = "ticket_status_changes"
    __table_args__ = (
        CheckConstraint(f"to_status IN ({_STATUSES})", name="to_status"),
        Index("ix_ticket_status_changes_ticket", "ticket_id", "at"),
    )

    id: Mapped[uuid_pk]
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("repair_tickets.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")


class TicketWorkLine(Base):
    """A part fitted or labour done on an open ticket, with what it was and what it costs."""

    __tablename__ = "ticket_work_lines"
    __table_args__ = (
        CheckConstraint("kind IN ('part','labour')", name="kind"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
        Index("ix_ticket_work_lines_ticket", "ticket_id", "position"),
    )

    id: Mapped[uuid_pk]
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("repair_tickets.id", ondelete="CASCADE"))
    # The device the work was on; None: the ticket as a whole (a diagnosis fee).
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text)
    sku: Mapped[str | None] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price: Mapped[Decimal]
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Taken off the ticket (kept, never deleted: synced rows never are).
    removed_at: Mapped[datetime | None]
