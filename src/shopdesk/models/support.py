"""Support and complaint tickets (spec 10) and their event log."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base, created_at, utcnow, uuid_pk

_LEVELS = "'front_desk','supervisor','manager','owner'"


class SupportTicket(Base):
    __tablename__ = "support_tickets"
    __table_args__ = (
        CheckConstraint("priority IN ('low','normal','high','urgent')", name="priority"),
        CheckConstraint("status IN ('open','resolved','closed')", name="status"),
        CheckConstraint(f"level IN ({_LEVELS})", name="level"),
        CheckConstraint("refund IS NULL OR refund >= 0", name="refund_non_negative"),
        Index("ix_support_tickets_status_due", "status", "due_at"),
        Index("ix_support_tickets_customer", "customer_id"),
        Index("ix_support_tickets_updated", "updated_at"),
    )

    id: Mapped[uuid_pk]
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    repair_ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repair_tickets.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    priority: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default="open")
    level: Mapped[str] = mapped_column(String(12), default="front_desk")
    complaint: Mapped[bool] = mapped_column(default=False)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    refund: Mapped[Decimal | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupportEvent(Base):
    """Opened, escalated, a complaint step, a note, resolved, closed: who and when."""

    __tablename__ = "support_events"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('opened','escalation','complaint_step','note','resolved','closed')",
            name="kind"),
        Index("ix_support_events_ticket", "ticket_id", "at"),
    )

    id: Mapped[uuid_pk]
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("support_tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(24))
    from_level: Mapped[str | None] = mapped_column(String(12))
    to_level: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]
