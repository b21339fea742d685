"""Talking to customers (issue 16): messages and their receipts, templates, appointments,
verification codes.

`messages` is at once the durable outbox and the contact history: an outgoing
message is written as `queued` in the same transaction as the event that caused
it; the sender moves it through `sending` (an attempt id recorded before the
provider call) to `sent`, or `failed` with the reason. Calls and visits that staff
log, and replies that arrive by webhook (direction `in`), are rows of the same
table, so the profile's timeline is one query.

`message_receipts` is append-only: delivery/read/failed receipts written by the
central webhook function (never by a counter), so a receipt never races the
sending counter's own status updates of the message row.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base, created_at, uuid_pk

CHANNELS = "'whatsapp','sms','email','call','visit'"
MESSAGE_STATUSES = ("'queued','sending','sent','delivered','read','failed','unknown',"
                    "'cancelled','logged','received'")


class Message(Base):
    """One message (out or in), call or visit. See the module docstring."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"channel IN ({CHANNELS})", name="channel"),
        CheckConstraint("direction IN ('out','in')", name="direction"),
        CheckConstraint("purpose IN ('service','marketing','verification','test','manual')",
                        name="purpose"),
        CheckConstraint(f"status IN ({MESSAGE_STATUSES})", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_messages_customer", "customer_id", "created_at"),
        Index("ix_messages_due", "status", "next_attempt_at"),
        Index("ix_messages_provider", "provider_id"),
        Index("ix_messages_dedupe", "dedupe_key"),
    )

    id: Mapped[uuid_pk]
    # NULL only for a reply from a number no customer has (webhook).
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repair_tickets.id"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"))
    template: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(3), default="out")
    purpose: Mapped[str] = mapped_column(String(14), default="service")
    language: Mapped[str | None] = mapped_column(String(8))
    to_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="", info={"max_length": 4000})
    status: Mapped[str] = mapped_column(String(10), default="queued")
    outcome: Mapped[str | None] = mapped_column(String(24))  # calls and visits
    # The counter (node tag) that created the row: the only one that may send it.
    node: Mapped[str] = mapped_column(String(8))
    # Automations: one key per event ("ready_for_pickup:<ticket>:<n>"); the row id is
    # derived from it, so two counters firing the same event write the same row.
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    due_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    attempt_id: Mapped[str | None] = mapped_column(String(36))
    attempt_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(Text, info={"max_length": 1000})
    sent_at: Mapped[datetime | None]
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    actor: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime]


class MessageReceipt(Base):
    """A provider's word on a sent message (delivered, read, failed), from the webhook."""

    __tablename__ = "message_receipts"
    __table_args__ = (
        CheckConstraint("status IN ('sent','delivered','read','failed')", name="status"),
        Index("ix_message_receipts_message", "message_id"),
    )

    id: Mapped[uuid_pk]
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id"))
    provider_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime]
    error: Mapped[str | None] = mapped_column(Text, info={"max_length": 1000})


class MessageTemplate(Base):
    """A manager's version of an automated message (the built-in text is the default)."""

    __tablename__ = "message_templates"
    __table_args__ = (
        CheckConstraint("delay_minutes >= 0", name="delay_non_negative"),
        Index("ix_message_templates_name", "name", "language", unique=True),
    )

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(default=True)
    delay_minutes: Mapped[int] = mapped_column(default=0)
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, info={"max_length": 4000})
    updated_at: Mapped[datetime]


class Appointment(Base):
    """A customer, a time, a reason; optionally a device or ticket."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("status IN ('booked','cancelled','done','no_show')", name="status"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        Index("ix_appointments_day", "day", "starts_at"),
        Index("ix_appointments_customer", "customer_id"),
    )

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repair_tickets.id"))
    day: Mapped[date]  # the shop's local day, for the day view
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=30)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="booked")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime]


class VerificationCode(Base):
    """A phone code (6 digits, keyed hash) or an e-mail link token (hash) sent to verify."""

    __tablename__ = "verification_codes"
    __table_args__ = (
        CheckConstraint("item IN ('phone','email')", name="item"),
        CheckConstraint("status IN ('open','verified','expired','locked','cancelled')",
                        name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_verification_codes_customer", "customer_id", "item"),
    )

    id: Mapped[uuid_pk]
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    item: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(254))  # the number/address being verified
    code_hash: Mapped[str] = mapped_column(String(64))
    link_hash: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    node: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="open")
    verified_how: Mapped[str | None] = mapped_column(String(16))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
