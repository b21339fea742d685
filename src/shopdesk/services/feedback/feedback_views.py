"""What the feedback services take and return: frozen dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from shopdesk.changes import Changes
from shopdesk.domain.feedback.figures import (  # re-exported: the report's views
    ActionEffect,
    FeedbackReport,
    GroupScores,
    Score,
)

ASPECTS = ("speed", "quality", "price", "staff", "communication")
__all__ = ["ASPECTS", "ActionEffect", "FeedbackInput", "FeedbackReport", "FeedbackSaved",
           "FeedbackView", "GroupScores", "ImportResult", "Score"]


@dataclass(frozen=True)
class FeedbackInput:
    """One answer as typed or received; every score is optional, but not all at once."""

    ticket: str | UUID | None = None  # ticket number or id
    customer_id: UUID | None = None  # when there is no ticket (phone follow-up, review)
    channel: str = "counter"
    csat: int | str | None = None
    nps: int | str | None = None
    ces: int | str | None = None
    aspects: dict[str, int | str | None] = field(default_factory=dict)
    comment: str = ""
    language: str | None = None  # default: the customer's language
    received_at: datetime | None = None
    platform: str | None = None
    external_id: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class FeedbackView:
    id: UUID
    ticket_number: str | None
    customer_code: str | None
    channel: str
    csat: int | None
    nps: int | None
    ces: int | None
    aspects: dict[str, int | None]
    comment: str
    language: str
    sentiment: int
    categories: tuple[str, ...]
    detractor: bool
    complaint_number: str | None
    points_earned: int
    received_at: datetime


@dataclass(frozen=True)
class FeedbackSaved:
    feedback: FeedbackView
    changes: Changes


@dataclass(frozen=True)
class ImportResult:
    added: int
    duplicates: int
    rejected: tuple[tuple[int, str], ...]  # (line, one-line reason)
    complaints: int
