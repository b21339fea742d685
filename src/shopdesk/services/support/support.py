"""Support and complaint tickets (spec 10): open, escalate, resolve, complaint steps.

Rules (see `shopdesk.domain.support`): a ticket starts at front-desk level with
a due time from its priority; escalation goes up and needs a role at or above
the target level; resolving needs a role at the ticket's level (a manager for
complaints); a refund needs the refund permission (managers and owners);
complaint steps are recorded in the order of spec 10.2.

Thread rule: any thread; each write is one `Store.write()` transaction with
its audit entry and event row; rejected input raises before anything is written.
"""

from __future__ import annotations

import builtins
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from shopdesk.changes import Changes
from shopdesk.domain import support as rules
from shopdesk.domain.money import Amount, parse_amount
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.domain.support import ComplaintStep, Level, Priority, SupportStatus
from shopdesk.domain.text import collapse_spaces, control_errors, reject_controls
from shopdesk.errors import FieldError, NotFound, PermissionDenied, ValidationError
from shopdesk.models import (
    Customer,
    Device,
    RepairTicket,
    SupportEvent,
    SupportTicket,
)
from shopdesk.services.audit import AuditTrail
from shopdesk.services.loyalty.ledger import LoyaltyService
from shopdesk.services.repairs.devices import customer_row
from shopdesk.services.repairs.repair_views import (
    SupportDetail,
    SupportEventInfo,
    SupportInfo,
    SupportSaved,
)
from shopdesk.services.store import Actor, Store

MAX_SUBJECT = 200


class SupportService:
    def __init__(self, store: Store, audit: AuditTrail) -> None:
        self._store = store
        self._audit = audit
        self.loyalty: LoyaltyService | None = None  # set by Shop (issue 17: refunds)

    def open(self, customer_id: UUID, subject: str, description: str,
             priority: Priority | str = Priority.NORMAL, repair_ticket_id: UUID | None = None,
             device_id: UUID | None = None, complaint: bool = False) -> SupportSaved:
        actor = self._store.require(Permission.HANDLE_SUPPORT)
        return self.open_as(actor, customer_id, subject, description, priority,
                            repair_ticket_id, device_id, complaint)

    def open_as(self, actor: Actor, customer_id: UUID, subject: str, description: str,
                priority: Priority | str = Priority.NORMAL,
                repair_ticket_id: UUID | None = None, device_id: UUID | None = None,
                complaint: bool = False, row_id: UUID | None = None) -> SupportSaved:
        """`open` for a process acting on its own (feedback's detractor complaints);
        with `row_id`, a ticket already stored under that id is returned as it is,
        so a complaint derived from one answer is opened once."""
        if row_id is not None:
            with self._store.read() as session:
                existing = session.get(SupportTicket, row_id)
                if existing is not None:
                    return self._saved(self._detail(session, existing))
        errors = control_errors(subject, "subject") + control_errors(description, "description")
        subject = collapse_spaces(subject)
        if not subject:
            errors.append(FieldError("subject", "required", "say in a line what it is about"))
        elif len(subject) > MAX_SUBJECT:
            errors.append(FieldError("subject", "too_long",
                                     f"must be at most {MAX_SUBJECT} characters"))
        try:
            level_priority = rules.choice(Priority, str(priority), "priority")
        except ValidationError as exc:
            errors.extend(exc.errors)
            level_priority = Priority.NORMAL.value
        if errors:
            raise ValidationError(errors)
        with self._store.write() as session:
            customer_row(session, customer_id)
            if repair_ticket_id is not None and session.get(RepairTicket,
                                                            repair_ticket_id) is None:
                raise NotFound(f"no repair ticket with id {repair_ticket_id}")
            if device_id is not None and session.get(Device, device_id) is None:
                raise NotFound(f"no device with id {device_id}")
            now = self._store.clock()
            number = rules.support_number(self._store.node_tag,
                                          self._store.next_sequence(session, "support_ticket"))
            row = SupportTicket(
                id=row_id or uuid.uuid4(), number=number, customer_id=customer_id,
                repair_ticket_id=repair_ticket_id, device_id=device_id,
                priority=level_priority, status=SupportStatus.OPEN.value,
                level=Level.FRONT_DESK.value, complaint=complaint, subject=subject,
                description=description.strip(), due_at=rules.due_at(now, level_priority),
                created_by=actor.staff_id, created_at=now, updated_at=now)
            session.add(row)
            session.flush()  # before its first event row
            self._event(session, actor, row, "opened", note=subject)
            self._audit.append(session, actor, "create", "support_ticket", row.id, {
                "number": number, "customer_id": str(customer_id),
                "priority": level_priority, "complaint": complaint})
            detail = self._detail(session, row)
        return self._saved(detail)

    def escalate(self, ticket_id: UUID, to_level: Level | str, note: str = "") -> SupportSaved:
        actor = self._store.require(Permission.HANDLE_SUPPORT)
        target = Level(rules.choice(Level, str(to_level), "level"))
        reject_controls(note=note)
        with self._store.write() as session:
            row = self._open_row(session, ticket_id)
            rules.check_escalation(row.level, target, actor.role)
            before = row.level
            row.level, row.updated_at = target.value, self._store.clock()
            self._event(session, actor, row, "escalation", note=note, from_level=before,
                        to_level=target.value)
            self._audit.append(session, actor, "escalate", "support_ticket", row.id, {
                "number": row.number, "fields": {"level": [before, target.value]},
                "note": note.strip()})
            detail = self._detail(session, row)
        return self._saved(detail)

    def resolve(self, ticket_id: UUID, resolution: str,
                refund: Amount | None = None) -> SupportSaved:
        actor = self._store.require(Permission.HANDLE_SUPPORT)
        reject_controls(resolution=resolution)
        text = resolution.strip()
        if not text:
            raise ValidationError(FieldError("resolution", "required",
                                             "say how the issue was resolved"))
        amount = parse_amount(refund, "refund", required=False)
        if amount is not None and amount > 0 and not allowed(actor.role, Permission.REFUND):
            raise PermissionDenied(f"{actor.role.label} staff may not give refunds; "
                                   "a manager or the owner must")
        with self._store.write() as session:
            row = self._open_row(session, ticket_id)
            needed = rules.required_level(row.level, row.complaint)
            own = rules.level_of(actor.role)
            if own.rank < needed.rank:
                what = "a complaint" if row.complaint else "this ticket"
                raise PermissionDenied(
                    f"{actor.role.label} staff may not resolve {what} at "
                    f"{Level(row.level).label.lower()} level; a {needed.label.lower()} "
                    "or above must")
            now = self._store.clock()
            row.status, row.resolution, row.resolved_at = SupportStatus.RESOLVED.value, text, now
            row.refund, row.updated_at = amount, now
            self._event(session, actor, row, "resolved", note=text)
            self._audit.append(session, actor, "resolve", "support_ticket", row.id, {
                "number": row.number, "refund": str(amount) if amount is not None else None,
                "level": row.level})
            if amount and row.repair_ticket_id is not None and self.loyalty is not None:
                # A refunded repair gives back the points it used and takes those it earned.
                self.loyalty.reverse_in(session, actor, row.repair_ticket_id,
                                        f"refund on {row.number}")
            detail = self._detail(session, row)
        return self._saved(detail)

    def close(self, ticket_id: UUID, note: str = "") -> SupportSaved:
        """A resolved ticket is closed (nothing more to do)."""
        actor = self._store.require(Permission.HANDLE_SUPPORT)
        reject_controls(note=note)
        with self._store.write() as session:
            row = self._row(session, ticket_id)
            if row.status != SupportStatus.RESOLVED.value:
                raise ValidationError(FieldError("status", "not_resolved",
                                                 f"{row.number} is {row.status}; resolve it "
                                                 "before closing it"))
            row.status, row.updated_at = SupportStatus.CLOSED.value, self._store.clock()
            self._event(session, actor, row, "closed", note=note)
            self._audit.append(session, actor, "close", "support_ticket", row.id,
                               {"number": row.number})
            detail = self._detail(session, row)
        return self._saved(detail)

    def record_complaint_step(self, ticket_id: UUID, step: ComplaintStep | str,
                              note: str = "") -> SupportSaved:
        actor = self._store.require(Permission.HANDLE_SUPPORT)
        wanted = ComplaintStep(rules.choice(ComplaintStep, str(step), "step"))
        reject_controls(note=note)
        with self._store.write() as session:
            row = self._row(session, ticket_id)
            if not row.complaint:
                raise ValidationError(FieldError("step", "not_a_complaint",
                                                 f"{row.number} is not a complaint"))
            if row.status == SupportStatus.CLOSED.value:
                raise ValidationError(FieldError("status", "closed",
                                                 f"{row.number} is closed"))
            rules.check_step(self._steps(session, row.id), wanted)
            row.updated_at = self._store.clock()
            self._event(session, actor, row, "complaint_step", note=note, step=wanted.value)
            self._audit.append(session, actor, "complaint_step", "support_ticket", row.id,
                               {"number": row.number, "step": wanted.value,
                                "note": note.strip()})
            detail = self._detail(session, row)
        return self._saved(detail)

    def add_note(self, ticket_id: UUID, note: str) -> SupportSaved:
        actor = self._store.require(Permission.HANDLE_SUPPORT)
        reject_controls(note=note)
        if not note.strip():
            raise ValidationError(FieldError("note", "required", "the note is empty"))
        with self._store.write() as session:
            row = self._row(session, ticket_id)
            row.updated_at = self._store.clock()
            self._event(session, actor, row, "note", note=note)
            self._audit.append(session, actor, "note", "support_ticket", row.id,
                               {"number": row.number})
            detail = self._detail(session, row)
        return self._saved(detail)

    # -- reads ------------------------------------------------------------------
    def get(self, number_or_id: str | UUID) -> SupportDetail:
        with self._store.read() as session:
            if isinstance(number_or_id, UUID):
                row = self._row(session, number_or_id)
            else:
                found = session.scalar(select(SupportTicket).where(
                    SupportTicket.number == number_or_id.strip().upper()))
                if found is None:
                    raise NotFound(f"no support ticket numbered {number_or_id.strip()}")
                row = found
            return self._detail(session, row)

    def list(self, status: SupportStatus | str | None = None,
             limit: int = 500) -> builtins.list[SupportInfo]:
        """Most recently changed first."""
        query = self._query().order_by(SupportTicket.updated_at.desc()).limit(limit)
        if status is not None:
            query = query.where(SupportTicket.status == rules.choice(
                SupportStatus, str(status), "status"))
        return self._infos(query)

    def overdue(self, now: datetime | None = None,
                limit: int = 500) -> builtins.list[SupportInfo]:
        """Open tickets past their resolution target, most overdue first."""
        at = now or self._store.clock()
        query = (self._query().where(SupportTicket.status == SupportStatus.OPEN.value,
                                     SupportTicket.due_at < at)
                 .order_by(SupportTicket.due_at).limit(limit))
        return self._infos(query, at)

    def for_customer(self, customer_id: UUID) -> builtins.list[SupportInfo]:
        return self._infos(self._query().where(SupportTicket.customer_id == customer_id)
                           .order_by(SupportTicket.created_at.desc()))

    # -- helpers ----------------------------------------------------------------
    def _saved(self, detail: SupportDetail) -> SupportSaved:
        changes = Changes(support=frozenset({detail.ticket.id}),
                          customers=frozenset({detail.ticket.customer_id}))
        self._store.publish(changes)
        return SupportSaved(detail, changes)

    def _event(self, session: Session, actor: Actor, row: SupportTicket, kind: str, *,
               note: str = "", step: str | None = None, from_level: str | None = None,
               to_level: str | None = None) -> None:
        session.add(SupportEvent(id=uuid.uuid4(), ticket_id=row.id, kind=kind, step=step,
                                 from_level=from_level, to_level=to_level, note=note.strip(),
                                 staff_id=actor.staff_id, actor=actor.name,
                                 at=self._store.clock()))

    @staticmethod
    def _steps(session: Session, ticket_id: UUID) -> builtins.list[str]:
        return [s for s in session.scalars(
            select(SupportEvent.step).where(SupportEvent.ticket_id == ticket_id,
                                            SupportEvent.kind == "complaint_step")
            .order_by(SupportEvent.at)) if s]

    @staticmethod
    def _row(session: Session, ticket_id: UUID) -> SupportTicket:
        row = session.get(SupportTicket, ticket_id)
        if row is None:
            raise NotFound(f"no support ticket with id {ticket_id}")
        return row

    def _open_row(self, session: Session, ticket_id: UUID) -> SupportTicket:
        row = self._row(session, ticket_id)
        if row.status != SupportStatus.OPEN.value:
            raise ValidationError(FieldError("status", "not_open",
                                             f"{row.number} is already {row.status}"))
        return row

    @staticmethod
    def _query() -> Any:  # a Select of (ticket, code, first, last, repair number)
        repair = aliased(RepairTicket)
        return (select(SupportTicket, Customer.code, Customer.first_name, Customer.last_name,
                       repair.number)
                .join(Customer, Customer.id == SupportTicket.customer_id)
                .outerjoin(repair, repair.id == SupportTicket.repair_ticket_id))

    def _infos(self, query: Any, at: datetime | None = None) -> builtins.list[SupportInfo]:
        now = at or self._store.clock()
        with self._store.read() as session:
            return [self._info(r, code, f"{first} {last}", number, now)
                    for r, code, first, last, number in session.execute(query)]

    @staticmethod
    def _info(r: SupportTicket, code: str, name: str, repair_number: str | None,
              now: datetime) -> SupportInfo:
        return SupportInfo(
            r.id, r.number, r.customer_id, code, name, r.repair_ticket_id, repair_number,
            r.device_id, r.priority, r.status, r.level, r.complaint, r.subject, r.description,
            r.due_at, r.resolved_at, r.resolution, r.refund, r.created_at, r.updated_at,
            r.status == SupportStatus.OPEN.value and r.due_at < now)

    def _detail(self, session: Session, row: SupportTicket) -> SupportDetail:
        session.flush()
        r, code, first, last, number = session.execute(
            self._query().where(SupportTicket.id == row.id)).one()
        info = self._info(r, code, f"{first} {last}", number, self._store.clock())
        events = [SupportEventInfo(e.kind, e.step, e.from_level, e.to_level, e.note, e.actor,
                                   e.at)
                  for e in session.scalars(select(SupportEvent).where(
                      SupportEvent.ticket_id == row.id).order_by(SupportEvent.at))]
        steps = tuple(e.step for e in events if e.kind == "complaint_step" and e.step)
        following = rules.next_step(steps) if row.complaint else None
        return SupportDetail(info, events, steps, following.value if following else None)
