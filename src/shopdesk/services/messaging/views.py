"""What the messaging services return: frozen dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID


@dataclass(frozen=True)
class MessageView:
    """One entry of the outbox or of a customer's contact history."""

    id: UUID
    customer_id: UUID | None
    customer_code: str | None
    ticket_number: str | None
    template: str | None
    channel: str
    direction: str
    purpose: str
    to_address: str | None
    subject: str | None
    body: str
    status: str
    outcome: str | None
    due_at: datetime
    attempts: int
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    answered_at: datetime | None
    last_error: str | None
    staff: str | None
    created_at: datetime


@dataclass(frozen=True)
class ChannelStats:
    """Response time and rate of one customer on one channel."""

    channel: str
    sent: int
    answered: int
    response_rate: float | None  # answered / sent
    median_response_minutes: float | None


@dataclass(frozen=True)
class History:
    customer_id: UUID
    entries: tuple[MessageView, ...]
    stats: tuple[ChannelStats, ...]
    satisfaction: float | None  # the average of survey replies (1-5)
    failures: tuple[MessageView, ...]  # permanent failures, shown on the profile


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    waiting: int = 0  # not yet due (window, quiet hours) or waiting for sync
    reconciled: int = 0
    unknown: int = 0
    cancelled: int = 0
    verified: int = 0  # codes confirmed by a reply or a link


@dataclass(frozen=True)
class TemplateView:
    name: str
    language: str
    purpose: str
    enabled: bool
    delay_minutes: int
    subject: str
    body: str
    customized: bool
    help: str


@dataclass(frozen=True)
class AppointmentView:
    id: UUID
    customer_id: UUID
    customer_code: str
    customer_name: str
    day: date
    starts_at: datetime
    duration_minutes: int
    reason: str
    status: str
    ticket_number: str | None
    device: str | None
