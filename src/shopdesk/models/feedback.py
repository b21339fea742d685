"""Customer feedback (spec 8, issue 17) and the improvement actions it leads to.

`feedback`: one answer — the paper form typed at the counter, an online survey
answer (inserted on the server by the survey's web form and pulled like any other
row), a phone follow-up, or an imported online review. Answers are facts: rows are
inserted once and never changed (mode "append"). The complaint a detractor opens
is a support ticket whose id is derived from the feedback id.

`feedback_actions`: what the manager changed because of a category of comments,
and from when, so the report can show the scores before and after.

Personal columns (for the privacy registry): feedback.customer_id (link),
feedback.comment (free text the customer wrote), feedback.author (a reviewer's
name as published), feedback.actor (staff name); feedback_actions.actor.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shopdesk.models.base import Base, uuid_pk

CHANNELS = ("counter", "survey", "phone", "review", "whatsapp", "email")
CATEGORIES = ("price", "speed", "quality", "staff", "communication", "other")


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("channel IN ('counter','survey','phone','review','whatsapp','email')",
                        name="channel"),
        CheckConstraint("csat IS NULL OR csat BETWEEN 1 AND 5", name="csat"),
        CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps"),
        CheckConstraint("ces IS NULL OR ces BETWEEN 1 AND 7", name="ces"),
        CheckConstraint("speed IS NULL OR speed BETWEEN 1 AND 5", name="speed"),
        CheckConstraint("quality IS NULL OR quality BETWEEN 1 AND 5", name="quality"),
        CheckConstraint("price IS NULL OR price BETWEEN 1 AND 5", name="price"),
        CheckConstraint("staff IS NULL OR staff BETWEEN 1 AND 5", name="staff"),
        CheckConstraint("communication IS NULL OR communication BETWEEN 1 AND 5",
                        name="communication"),
        CheckConstraint("sentiment BETWEEN -100 AND 100", name="sentiment"),
        Index("ix_feedback_received", "received_at"),
        Index("ix_feedback_ticket", "ticket_id"),
        Index("ix_feedback_customer", "customer_id"),
    )

    id: Mapped[uuid_pk]
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("repair_tickets.id"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(10))
    csat: Mapped[int | None]
    nps: Mapped[int | None]  # also the recommendation likelihood (0-10)
    ces: Mapped[int | None]
    speed: Mapped[int | None]
    quality: Mapped[int | None]
    price: Mapped[int | None]
    staff: Mapped[int | None]
    communication: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    # -100 (very negative) .. 100; categories: comma-separated CATEGORIES.
    sentiment: Mapped[int] = mapped_column(default=0)
    categories: Mapped[str] = mapped_column(String(80), default="")
    # Derived at entry from the ticket, so reports need no joins across stores.
    technician_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    service_kind: Mapped[str | None] = mapped_column(String(24))
    platform: Mapped[str | None] = mapped_column(String(40))  # reviews: where published
    external_id: Mapped[str | None] = mapped_column(String(120))
    author: Mapped[str | None] = mapped_column(String(120))
    # The counter that recorded it (its node tag); NULL for answers from the web form.
    node: Mapped[str | None] = mapped_column(String(8))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    actor: Mapped[str] = mapped_column(String(120), default="")
    received_at: Mapped[datetime]


class FeedbackAction(Base):
    """An improvement the manager made about one category, effective from a date."""

    __tablename__ = "feedback_actions"
    __table_args__ = (
        CheckConstraint("category IN ('price','speed','quality','staff','communication',"
                        "'other')", name="category"),
        Index("ix_feedback_actions_started", "started_on"),
    )

    id: Mapped[uuid_pk]
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date]
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_directory.id"))
    actor: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime]
