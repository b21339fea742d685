"""Recording feedback and turning detractors into complaints (spec 8; issue 17).

- `record`: an answer typed at the counter (paper form), logged from a phone
  follow-up, or received otherwise; validated field by field (one FieldError per
  broken rule, nothing written). The comment is analysed in the customer's
  language; a survey answer earns the customer feedback points.
- Detractors (NPS <= 6, CSAT <= 2, or a strongly negative comment) open a complaint
  support ticket whose id is derived from the feedback id, opened by exactly one
  counter: the one that recorded the answer, or, for answers that arrived through
  the central database (the survey's web form), the counter whose tag the repair
  ticket number (else the customer code) carries. `process_pending` is that
  counter's catch-up (run after each sync and by the nightly pass).

Thread rule: any thread; each write is one `Store.write()` transaction with its
audit entry; complaints are opened right after, in their own transaction.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain.feedback.sentiment import STRONGLY_NEGATIVE, analyse
from shopdesk.domain.loyalty import rules as loyalty_rules
from shopdesk.domain.permissions import Permission, Role
from shopdesk.domain.support import Priority
from shopdesk.domain.text import collapse_spaces
from shopdesk.domain.tickets import normalize_number
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import (
    Customer,
    CustomerPreferences,
    RepairTicket,
    ServiceRecord,
    SupportTicket,
)
from shopdesk.models.feedback import CATEGORIES, CHANNELS, Feedback, FeedbackAction
from shopdesk.models.loyalty import LoyaltyEntry
from shopdesk.services.audit import AuditTrail
from shopdesk.services.feedback.feedback_views import (
    ASPECTS,
    FeedbackInput,
    FeedbackSaved,
    FeedbackView,
)
from shopdesk.services.loyalty.ledger import LoyaltyService
from shopdesk.services.store import Actor, Store
from shopdesk.services.support.support import SupportService

MAX_COMMENT = 4000
RANGES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7), **{a: (1, 5) for a in ASPECTS}}


def is_detractor(csat: int | None, nps: int | None, sentiment: int) -> bool:
    return (nps is not None and nps <= 6) or (csat is not None and csat <= 2) \
        or sentiment <= STRONGLY_NEGATIVE


def complaint_priority(csat: int | None, nps: int | None, sentiment: int) -> Priority:
    """High for the angriest (NPS <= 3, CSAT 1, very negative words), else normal."""
    if (nps is not None and nps <= 3) or csat == 1 or sentiment <= -75:
        return Priority.HIGH
    return Priority.NORMAL


def complaint_id(feedback_id: UUID) -> UUID:
    """The one complaint a detractor's answer opens, whatever counter opens it."""
    return loyalty_rules.derived_id("complaint", feedback_id)


def _score(value: int | str | None, name: str, errors: list[FieldError]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    low, high = RANGES[name]
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors.append(FieldError(name, "range", f"must be a whole number from {low} to {high}"))
        return None
    return number


def clean_feedback(data: FeedbackInput) -> dict[str, Any]:
    """The validated values of one answer; ValidationError naming each broken rule."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {k: _score(getattr(data, k), k, errors) for k in ("csat", "nps", "ces")}
    for key in data.aspects:
        if key not in ASPECTS:
            errors.append(FieldError(key, "aspect", f"is not one of: {', '.join(ASPECTS)}"))
    for aspect in ASPECTS:
        out[aspect] = _score(data.aspects.get(aspect), aspect, errors)
    channel = (data.channel or "").strip().lower()
    if channel not in CHANNELS:
        errors.append(FieldError("channel", "choice", f"must be one of: {', '.join(CHANNELS)}"))
    out["channel"] = channel
    comment = (data.comment or "").strip()
    if len(comment) > MAX_COMMENT:
        errors.append(FieldError("comment", "too_long",
                                 f"must be at most {MAX_COMMENT} characters"))
    out["comment"] = comment
    given = [getattr(data, k) for k in ("csat", "nps", "ces")] + list(data.aspects.values())
    if not comment and all(v is None or (isinstance(v, str) and not v.strip()) for v in given):
        errors.append(FieldError("answer", "required",
                                 "give at least one score (--csat, --nps, --ces) or a comment"))
    for key, limit in (("platform", 40), ("external_id", 120), ("author", 120)):
        value = collapse_spaces(getattr(data, key) or "") or None
        if value is not None and len(value) > limit:
            errors.append(FieldError(key, "too_long", f"must be at most {limit} characters"))
        out[key] = value
    if data.language is not None and not 2 <= len(data.language.strip()) <= 8:
        errors.append(FieldError("language", "format", "is a language code such as en or fr"))
    if errors:
        raise ValidationError(errors)
    return out


class FeedbackService:
    """Feedback answers and what they lead to. Any thread."""

    def __init__(self, store: Store, audit: AuditTrail, loyalty: LoyaltyService,
                 support: SupportService) -> None:
        self._store = store
        self._audit = audit
        self._loyalty = loyalty
        self._support = support

    # -- recording ----------------------------------------------------------------------
    def record(self, data: FeedbackInput) -> FeedbackSaved:
        actor = self._store.require(Permission.RECORD_FEEDBACK)
        clean = clean_feedback(data)
        with self._store.write() as session:
            row = self.insert_in(session, actor, data, clean)
            fid = row.id
        self.open_complaint(fid)
        view = self.get(fid)
        customer = self._customer_of(fid)
        changes = Changes(customers=frozenset({customer} if customer else set()),
                          feedback=True, loyalty=customer is not None,
                          support=frozenset({complaint_id(fid)}) if view.complaint_number
                          else frozenset())
        return FeedbackSaved(view, self._store.publish(changes))

    def insert_in(self, session: Session, actor: Actor, data: FeedbackInput,
                  clean: dict[str, Any], row_id: UUID | None = None) -> Feedback:
        ticket = self._ticket(session, data.ticket) if data.ticket is not None else None
        customer_id = ticket.customer_id if ticket is not None else data.customer_id
        if customer_id is not None and session.get(Customer, customer_id) is None:
            raise NotFound(f"no customer with id {customer_id}")
        language = (data.language or "").strip().lower() or (session.scalar(
            select(CustomerPreferences.language).where(
                CustomerPreferences.customer_id == customer_id)) if customer_id else None) \
            or "en"
        found = analyse(clean["comment"], language) if clean["comment"] else None
        review = clean["channel"] == "review"
        service_kind = None
        if ticket is not None:
            service_kind = session.scalar(select(ServiceRecord.kind).where(
                ServiceRecord.ticket_id == ticket.id).limit(1)) or "repair"
        row = Feedback(
            id=row_id or uuid.uuid4(), ticket_id=ticket.id if ticket else None,
            customer_id=customer_id, language=language[:8],
            sentiment=found.sentiment if found else 0,
            categories=",".join(found.categories) if found else "",
            technician_id=ticket.technician_id if ticket else None, service_kind=service_kind,
            # An imported review is the same row whichever counter imports it (its id
            # comes from the platform's review id): no counter, no staff member in it.
            node=None if review else self._store.node_tag,
            staff_id=None if review else actor.staff_id,
            actor="review import" if review else actor.label[:120],
            received_at=data.received_at or self._store.clock(), **clean)
        session.add(row)
        session.flush()
        rule = self._loyalty.rules()
        if customer_id is not None and rule.feedback_points and clean["channel"] != "review":
            # One answer per ticket earns points (a second form for it earns nothing).
            key = ticket.id if ticket is not None else row.id
            self._loyalty.add_in(
                session, actor, customer_id, "earn", "feedback", rule.feedback_points,
                reason="thank you for your feedback", ticket_id=ticket.id if ticket else None,
                ref_id=row.id.hex, expires_at=rule.expires(self._store.clock()),
                entry_id=loyalty_rules.derived_id("feedback", key))
        self._audit.append(session, actor, "create", "feedback", row.id, {
            "ticket": ticket.number if ticket else None, "channel": clean["channel"],
            **{k: clean[k] for k in RANGES if clean[k] is not None},
            "sentiment": row.sentiment, "categories": row.categories})
        return row

    # -- complaints -----------------------------------------------------------------------
    def responsible(self, session: Session, row: Feedback) -> bool:
        """Whether this counter opens `row`'s complaint (exactly one counter does)."""
        mine = self._store.node_tag
        if row.node:
            return row.node == mine
        if row.ticket_id is not None:
            number = session.scalar(select(RepairTicket.number).where(
                RepairTicket.id == row.ticket_id))
            return number is not None and number.split("-")[1] == mine
        if row.customer_id is not None:
            code = session.scalar(select(Customer.code).where(Customer.id == row.customer_id))
            return code is not None and code.split("-")[0] == mine
        return False

    def open_complaint(self, feedback_id: UUID) -> UUID | None:
        """Open the detractor's complaint if this counter is the one to; its id, or None."""
        with self._store.read() as session:
            row = session.get(Feedback, feedback_id)
            if row is None or row.customer_id is None or not self.responsible(session, row):
                return None
            sentiment = row.sentiment
            if row.comment and not row.node:  # from the web form: analysed here
                sentiment = analyse(row.comment, row.language).sentiment
            if not is_detractor(row.csat, row.nps, sentiment):
                return None
            number = session.scalar(select(RepairTicket.number).where(
                RepairTicket.id == row.ticket_id)) if row.ticket_id else None
            scores = ", ".join(f"{k.upper()} {getattr(row, k)}" for k in ("csat", "nps", "ces")
                               if getattr(row, k) is not None)
            customer, ticket_id, channel, comment = (row.customer_id, row.ticket_id,
                                                     row.channel, row.comment)
            csat, nps = row.csat, row.nps
        actor = self._store.actor or self._system()
        subject = f"Unhappy customer feedback{' on ' + number if number else ''}"
        description = (f"From {channel} feedback ({scores or 'no scores'}; sentiment "
                       f"{sentiment}).\n{comment}").strip()
        saved = self._support.open_as(
            actor, customer, subject, description, complaint_priority(csat, nps, sentiment),
            repair_ticket_id=ticket_id, complaint=True, row_id=complaint_id(feedback_id))
        return saved.ticket.ticket.id

    def process_pending(self) -> int:
        """Open the complaints this counter owes (answers pulled from the central
        database, or recorded here before a crash); returns how many were opened."""
        with self._store.read() as session:
            rows = list(session.scalars(select(Feedback).where(
                Feedback.customer_id.is_not(None),
                or_(Feedback.nps <= 6, Feedback.csat <= 2, Feedback.comment != ""))))
            wanted = [r.id for r in rows if session.get(SupportTicket, complaint_id(r.id)) is None
                      and self.responsible(session, r)]
        return sum(1 for fid in wanted if self.open_complaint(fid) is not None)

    # -- improvement actions --------------------------------------------------------------
    def add_action(self, category: str, description: str, started_on: date) -> UUID:
        actor = self._store.require(Permission.MANAGE_FEEDBACK)
        text = collapse_spaces(description)
        errors = []
        if category not in CATEGORIES:
            errors.append(FieldError("category", "choice",
                                     f"must be one of: {', '.join(CATEGORIES)}"))
        if not text:
            errors.append(FieldError("description", "required", "say what was changed"))
        if errors:
            raise ValidationError(errors)
        with self._store.write() as session:
            row = FeedbackAction(id=uuid.uuid4(), category=category, description=text,
                                 started_on=started_on, staff_id=actor.staff_id,
                                 actor=actor.label[:120], created_at=self._store.clock())
            session.add(row)
            self._audit.append(session, actor, "create", "feedback_action", row.id,
                               {"category": category, "started_on": started_on.isoformat()})
        return row.id

    # -- reads ------------------------------------------------------------------------------
    def get(self, feedback_id: UUID) -> FeedbackView:
        with self._store.read() as session:
            row = session.get(Feedback, feedback_id)
            if row is None:
                raise NotFound(f"no feedback with id {feedback_id}")
            return self._view(session, row)

    def for_ticket(self, ticket: str | UUID) -> list[FeedbackView]:
        with self._store.read() as session:
            t = self._ticket(session, ticket)
            return [self._view(session, r) for r in session.scalars(
                select(Feedback).where(Feedback.ticket_id == t.id)
                .order_by(Feedback.received_at))]

    def complaints_opened(self) -> int:
        with self._store.read() as session:
            ids = [complaint_id(f) for f in session.scalars(select(Feedback.id))]
            return session.scalar(select(func.count()).select_from(SupportTicket).where(
                SupportTicket.id.in_(ids))) or 0 if ids else 0

    def _view(self, session: Session, row: Feedback) -> FeedbackView:
        number = session.scalar(select(RepairTicket.number).where(
            RepairTicket.id == row.ticket_id)) if row.ticket_id else None
        code = session.scalar(select(Customer.code).where(
            Customer.id == row.customer_id)) if row.customer_id else None
        complaint = session.scalar(select(SupportTicket.number).where(
            SupportTicket.id == complaint_id(row.id)))
        points = session.scalar(select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
            LoyaltyEntry.ref_id == row.id.hex, LoyaltyEntry.source == "feedback")) or 0
        return FeedbackView(
            id=row.id, ticket_number=number, customer_code=code, channel=row.channel,
            csat=row.csat, nps=row.nps, ces=row.ces,
            aspects={a: getattr(row, a) for a in ASPECTS}, comment=row.comment,
            language=row.language, sentiment=row.sentiment,
            categories=tuple(c for c in row.categories.split(",") if c),
            detractor=is_detractor(row.csat, row.nps, row.sentiment),
            complaint_number=complaint, points_earned=int(points), received_at=row.received_at)

    def _customer_of(self, feedback_id: UUID) -> UUID | None:
        with self._store.read() as session:
            return session.scalar(select(Feedback.customer_id).where(Feedback.id == feedback_id))

    @staticmethod
    def _ticket(session: Session, ticket: str | UUID) -> RepairTicket:
        row = session.get(RepairTicket, ticket) if isinstance(ticket, UUID) else \
            session.scalar(select(RepairTicket).where(
                RepairTicket.number == normalize_number(str(ticket))))
        if row is None:
            raise NotFound(f"no repair ticket {ticket}")
        return row

    @staticmethod
    def _system() -> Actor:
        return Actor(None, "feedback follow-up", Role.OWNER)
