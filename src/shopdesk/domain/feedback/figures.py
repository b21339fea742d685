"""The feedback figures of a period (spec 8.2), as plain frozen data.

Made by `services.feedback.feedback_report`, printed by the CLI and drawn by
`printing.feedback_report`; pure, any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class Score:
    """An average (or NPS) with how many answers it rests on."""

    value: Decimal | None
    count: int


@dataclass(frozen=True)
class GroupScores:
    name: str
    answers: int
    csat: Score
    nps: Score
    ces: Score


@dataclass(frozen=True)
class ActionEffect:
    """An improvement action and the category's scores before and after it."""

    id: UUID
    category: str
    description: str
    started_on: date
    before_sentiment: Score
    after_sentiment: Score
    before_negative_share: Decimal | None
    after_negative_share: Decimal | None


@dataclass(frozen=True)
class FeedbackReport:
    start: date
    end: date
    answers: int
    csat: Score
    nps: Score
    promoters: int
    passives: int
    detractors: int
    ces: Score
    aspects: dict[str, Score]
    sentiment: Score
    categories: dict[str, int]  # comments per category
    negative_categories: dict[str, int]
    csat_distribution: dict[int, int]
    by_technician: tuple[GroupScores, ...]
    by_service: tuple[GroupScores, ...]
    by_channel: tuple[GroupScores, ...]
    by_month: tuple[GroupScores, ...]
    complaints_opened: int
    complaints_resolved: int
    actions: tuple[ActionEffect, ...]
