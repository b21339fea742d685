"""The feedback figures of a period (spec 8.2): CSAT, NPS, CES with their counts,
aspects, sentiment and categories, per technician, service type, channel and month,
complaints, and each improvement action's category scores before and after it.

Thread rule: any thread (one read session).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopdesk.domain.feedback.sentiment import analyse
from shopdesk.errors import FieldError, ValidationError
from shopdesk.models import StaffDirectory, SupportTicket
from shopdesk.models.feedback import CATEGORIES, Feedback, FeedbackAction
from shopdesk.services.feedback.feedback import complaint_id
from shopdesk.services.feedback.feedback_views import (
    ASPECTS,
    ActionEffect,
    FeedbackReport,
    GroupScores,
    Score,
)
from shopdesk.services.store import Store

ACTION_WINDOW = timedelta(days=90)
_TWO = Decimal("0.01")


def mean(values: Iterable[int | None]) -> Score:
    got = [v for v in values if v is not None]
    return Score((Decimal(sum(got)) / len(got)).quantize(_TWO) if got else None, len(got))


def nps(values: Iterable[int | None]) -> tuple[Score, int, int, int]:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6)."""
    got = [v for v in values if v is not None]
    promoters = sum(1 for v in got if v >= 9)
    detractors = sum(1 for v in got if v <= 6)
    score = (Decimal(100 * (promoters - detractors)) / len(got)).quantize(Decimal("0.1")) \
        if got else None
    return Score(score, len(got)), promoters, len(got) - promoters - detractors, detractors


def _sentiment(row: Feedback) -> tuple[int, tuple[str, ...]]:
    """Stored analysis; answers from the web form are analysed here (none stored)."""
    if row.comment and not row.node and not row.categories:
        found = analyse(row.comment, row.language)
        return found.sentiment, found.categories
    return row.sentiment, tuple(c for c in row.categories.split(",") if c)


def _group(rows: list[Feedback], key: Callable[[Feedback], str | None]) -> tuple[GroupScores, ...]:
    groups: dict[str, list[Feedback]] = defaultdict(list)
    for row in rows:
        groups[key(row) or "(none)"].append(row)
    return tuple(GroupScores(name, len(g), mean(r.csat for r in g), nps(r.nps for r in g)[0],
                             mean(r.ces for r in g)) for name, g in sorted(groups.items()))


def _span(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time.min, UTC),
            datetime.combine(end + timedelta(days=1), time.min, UTC))


def feedback_report(store: Store, start: date, end: date) -> FeedbackReport:
    if end < start:
        raise ValidationError(FieldError("to", "after_from", "must not be before --from"))
    lo, hi = _span(start, end)
    with store.read() as session:
        rows = list(session.scalars(select(Feedback).where(
            Feedback.received_at >= lo, Feedback.received_at < hi)))
        names = dict(session.execute(select(StaffDirectory.id, StaffDirectory.display_name)).all())
        ids = [complaint_id(r.id) for r in rows]
        complaints = list(session.execute(select(SupportTicket.id, SupportTicket.status).where(
            SupportTicket.id.in_(ids)))) if ids else []
        actions = _actions(session, end)
    analysed = [(_sentiment(r), r) for r in rows]
    score, promoters, passives, detractors = nps(r.nps for r in rows)
    categories: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    negative: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    for (sentiment, cats), row in analysed:
        if not row.comment:
            continue
        for c in cats:
            categories[c] += 1
            negative[c] += sentiment < 0
    return FeedbackReport(
        start=start, end=end, answers=len(rows), csat=mean(r.csat for r in rows), nps=score,
        promoters=promoters, passives=passives, detractors=detractors,
        ces=mean(r.ces for r in rows),
        aspects={a: mean(getattr(r, a) for r in rows) for a in ASPECTS},
        sentiment=mean(s for (s, _c), r in analysed if r.comment),
        categories=categories, negative_categories=negative,
        csat_distribution={i: sum(1 for r in rows if r.csat == i) for i in range(1, 6)},
        by_technician=_group(rows, lambda r: names.get(r.technician_id)
                             if r.technician_id else None),
        by_service=_group(rows, lambda r: (r.service_kind or "").replace("_", " ") or None),
        by_channel=_group(rows, lambda r: r.channel),
        by_month=_group(rows, lambda r: f"{r.received_at:%Y-%m}"),
        complaints_opened=len(complaints),
        complaints_resolved=sum(1 for _i, status in complaints if status != "open"),
        actions=actions)


def _actions(session: Session, end: date) -> tuple[ActionEffect, ...]:
    """Each action up to `end`, with its category's comments 90 days either side."""
    out = []
    for action in session.scalars(select(FeedbackAction).where(
            FeedbackAction.started_on <= end).order_by(FeedbackAction.started_on)):
        at = datetime.combine(action.started_on, time.min, UTC)
        sides = []
        for lo, hi in ((at - ACTION_WINDOW, at), (at, at + ACTION_WINDOW)):
            rows = session.scalars(select(Feedback).where(
                Feedback.received_at >= lo, Feedback.received_at < hi,
                Feedback.comment != ""))
            scores = [s for s, cats in map(_sentiment, rows) if action.category in cats]
            share = (Decimal(sum(1 for s in scores if s < 0)) / len(scores)).quantize(_TWO) \
                if scores else None
            sides.append((mean(scores), share))
        out.append(ActionEffect(action.id, action.category, action.description,
                                action.started_on, sides[0][0], sides[1][0], sides[0][1],
                                sides[1][1]))
    return tuple(out)
