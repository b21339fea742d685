"""Reading repair tickets: one ticket in full, the board, a customer's tickets.

SQL decides order and limits; results are frozen view dataclasses. Any thread
(each call opens its own read session); `TicketService` inherits these.

The board is read a page at a time (`board_groups` counts every status, never
capped; `board_page` reads one status from an offset), so a window can scroll
through every ticket without loading them all. Open tickets come most urgent
first (the earliest promised day, those without one last, then the oldest);
closed ones most recently changed first.
"""

from __future__ import annotations

import heapq
import json
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from shopdesk.domain import checklist as checks
from shopdesk.domain import tickets as workflow
from shopdesk.domain.money import line_total
from shopdesk.domain.tickets import TicketStatus
from shopdesk.errors import NotFound
from shopdesk.models import (
    Customer,
    Device,
    RepairTicket,
    ServiceRecord,
    StaffDirectory,
    TicketDevice,
    TicketStatusChange,
    TicketWorkLine,
)
from shopdesk.services.loyalty.perks import priority_customers_in
from shopdesk.services.repairs.devices import device_info
from shopdesk.services.repairs.repair_views import (
    BoardGroup,
    StatusChange,
    TicketDetail,
    TicketDeviceInfo,
    TicketSummary,
    WorkLineInfo,
)
from shopdesk.services.repairs.service_records import service_infos
from shopdesk.services.store import Store


class TicketQueries:
    """Read-only ticket queries; any thread. Mixed into `TicketService`."""

    _store: Store

    def get(self, number_or_id: str | UUID) -> TicketDetail:
        with self._store.read() as session:
            return self._detail(session, self._find(session, number_or_id))

    def board(self, status: TicketStatus | str | None = None,
              technician_id: UUID | None = None, limit: int = 500,
              include_closed: bool = False, unassigned: bool = False) -> list[TicketSummary]:
        """Tickets, most recently changed first. With no status: the open ones
        (unless `include_closed`); `unassigned` keeps those with no technician."""
        if status is not None:
            statuses = [workflow.status(str(status)).value]
        else:
            statuses = [s.value for s in (TicketStatus if include_closed
                                          else workflow.OPEN_STATUSES)]
        with self._store.read() as session:
            # Newest `limit` of each status by its (status, updated_at) index,
            # merged here: an IN (...) ORDER BY would sort every open ticket.
            newest: list[tuple[Any, UUID]] = []
            for value in statuses:
                query = select(RepairTicket.updated_at, RepairTicket.id).where(
                    RepairTicket.status == value)
                if technician_id is not None:
                    query = query.where(RepairTicket.technician_id == technician_id)
                elif unassigned:
                    query = query.where(RepairTicket.technician_id.is_(None))
                newest.extend((at, ticket_id) for at, ticket_id in session.execute(
                    query.order_by(RepairTicket.updated_at.desc()).limit(limit)))
            ids = [ticket_id for _, ticket_id in heapq.nlargest(limit, newest,
                                                               key=lambda r: r[0])]
            query = (self._summary_query().where(RepairTicket.id.in_(ids))
                     .order_by(RepairTicket.updated_at.desc()))
            found = self._summaries(session, query) if ids else []
        # Priority customers' tickets first, each part still most recently changed first.
        return sorted(found, key=lambda t: not t.priority)

    def count(self, status: TicketStatus | str | None = None,
              technician_id: UUID | None = None, include_closed: bool = False,
              unassigned: bool = False) -> int:
        """How many tickets `board` would list with no limit."""
        query = self._filtered(select(func.count()).select_from(RepairTicket), status,
                               technician_id, include_closed, unassigned)
        with self._store.read() as session:
            return int(session.scalar(query) or 0)

    def board_groups(self, technician_id: UUID | None = None, unassigned: bool = False,
                     today: date | None = None,
                     statuses: tuple[str, ...] | None = None) -> list[BoardGroup]:
        """Every status (or `statuses`) with its ticket count and how many are overdue."""
        today = today or self._store.clock().astimezone().date()
        wanted = statuses or tuple(s.value for s in TicketStatus)
        late = case((RepairTicket.promised_by < today, 1), else_=0)
        query = self._filtered(
            select(RepairTicket.status, func.count(), func.sum(late)).select_from(RepairTicket),
            None, technician_id, True, unassigned).where(
                RepairTicket.status.in_(wanted)).group_by(RepairTicket.status)
        with self._store.read() as session:
            found = {status: (n, int(overdue or 0)) for status, n, overdue
                     in session.execute(query)}
        return [BoardGroup(status, found.get(status, (0, 0))[0],
                           0 if TicketStatus(status).final else found.get(status, (0, 0))[1])
                for status in wanted]

    def board_overview(self, statuses: tuple[str, ...], technician_id: UUID | None = None,
                       unassigned: bool = False, first: int = 50,
                       today: date | None = None
                       ) -> list[tuple[BoardGroup, list[TicketSummary]]]:
        """`board_groups` and each group's first page, in one call (what the board opens
        with: one trip to the read pool instead of one per status)."""
        groups = self.board_groups(technician_id, unassigned, today, statuses)
        return [(g, self.board_page(g.status, 0, first, technician_id, unassigned)
                 if g.count else []) for g in groups]

    def board_page(self, status: TicketStatus | str, offset: int = 0, limit: int = 50,
                   technician_id: UUID | None = None,
                   unassigned: bool = False) -> list[TicketSummary]:
        """One page of one status: open ones by promised day then age, closed ones newest."""
        value = workflow.status(str(status))
        offset, limit = max(0, offset), max(1, limit)
        ids = self._filtered(select(RepairTicket.id), value, technician_id, False, unassigned)
        with self._store.read() as session:
            if value.final:
                page = list(session.scalars(ids.order_by(
                    RepairTicket.updated_at.desc()).offset(offset).limit(limit)))
            else:
                page = self._urgent_first(session, ids, offset, limit)
            if not page:
                return []
            rows = {t.id: t for t in self._summaries(
                session, self._summary_query().where(RepairTicket.id.in_(page)))}
        return [rows[i] for i in page]

    @staticmethod
    def _urgent_first(session: Session, ids: Any, offset: int, limit: int) -> list[UUID]:
        """The open tickets promised first (earliest day, then oldest), then those with
        no promise (oldest first): two walks of the (status, promised_by, created_at)
        index instead of sorting every ticket of the status for each page."""
        promised = ids.where(RepairTicket.promised_by.is_not(None))
        before = int(session.scalar(select(func.count()).select_from(
            promised.subquery())) or 0)
        page: list[UUID] = []
        if offset < before:
            page = list(session.scalars(promised.order_by(
                RepairTicket.promised_by, RepairTicket.created_at).offset(offset).limit(limit)))
        if len(page) < limit:
            page += list(session.scalars(
                ids.where(RepairTicket.promised_by.is_(None))
                .order_by(RepairTicket.created_at)
                .offset(max(0, offset - before)).limit(limit - len(page))))
        return page

    def usual_payment_method(self, recent: int = 500) -> str | None:
        """The payment method of most of the last `recent` pickups (None before any)."""
        latest = (select(RepairTicket.payment_method)
                  .where(RepairTicket.status == TicketStatus.COLLECTED.value,
                         RepairTicket.payment_method.is_not(None))
                  .order_by(RepairTicket.updated_at.desc()).limit(recent).subquery())
        query = (select(latest.c.payment_method).group_by(latest.c.payment_method)
                 .order_by(func.count().desc(), latest.c.payment_method).limit(1))
        with self._store.read() as session:
            return session.scalar(query)

    @staticmethod
    def _filtered(query: Any, status: TicketStatus | str | None, technician_id: UUID | None,
                  include_closed: bool, unassigned: bool) -> Any:
        if status is not None:
            query = query.where(RepairTicket.status == workflow.status(str(status)).value)
        elif not include_closed:
            query = query.where(RepairTicket.status.in_(
                [s.value for s in workflow.OPEN_STATUSES]))
        if technician_id is not None:
            query = query.where(RepairTicket.technician_id == technician_id)
        elif unassigned:
            query = query.where(RepairTicket.technician_id.is_(None))
        return query

    def for_customer(self, customer_id: UUID, limit: int = 500) -> list[TicketSummary]:
        query = (self._summary_query().where(RepairTicket.customer_id == customer_id)
                 .order_by(RepairTicket.created_at.desc()).limit(limit))
        with self._store.read() as session:
            return self._summaries(session, query)

    @staticmethod
    def _row(session: Session, ticket_id: UUID) -> RepairTicket:
        row = session.get(RepairTicket, ticket_id)
        if row is None:
            raise NotFound(f"no repair ticket with id {ticket_id}")
        return row

    def _find(self, session: Session, number_or_id: str | UUID) -> RepairTicket:
        if isinstance(number_or_id, UUID):
            return self._row(session, number_or_id)
        number = workflow.normalize_number(number_or_id)
        row = session.scalar(select(RepairTicket).where(RepairTicket.number == number))
        if row is None:
            try:
                return self._row(session, UUID(number_or_id.strip()))
            except ValueError:
                raise NotFound(f"no repair ticket numbered {number}") from None
        return row

    @staticmethod
    def _ticket_devices(session: Session, ticket_id: UUID) -> list[TicketDevice]:
        return list(session.scalars(select(TicketDevice).where(
            TicketDevice.ticket_id == ticket_id).order_by(TicketDevice.position)))

    @staticmethod
    def _ticket_device_ids(session: Session, ticket_id: UUID) -> list[UUID]:
        return list(session.scalars(select(TicketDevice.device_id).where(
            TicketDevice.ticket_id == ticket_id).order_by(TicketDevice.position)))

    @staticmethod
    def _summary_query() -> Any:  # a Select of (ticket, code, first, last, technician)
        return (select(RepairTicket, Customer.code, Customer.first_name, Customer.last_name,
                       StaffDirectory.display_name)
                .join(Customer, Customer.id == RepairTicket.customer_id)
                .outerjoin(StaffDirectory, StaffDirectory.id == RepairTicket.technician_id))

    @staticmethod
    def _summaries(session: Session, query: Any) -> list[TicketSummary]:
        rows = session.execute(query).all()
        labels = device_labels(session, [r[0].id for r in rows])
        first_in_line = priority_customers_in(session, {r[0].customer_id for r in rows})
        return [TicketSummary(
            t.id, t.number, t.status, t.customer_id, code, f"{first} {last}", t.technician_id,
            tech, ", ".join(labels[t.id]), len(labels[t.id]), t.estimate, t.warranty_rework,
            t.created_at, t.updated_at, t.promised_by, t.customer_id in first_in_line)
            for t, code, first, last, tech in rows]

    @staticmethod
    def _work_lines(session: Session, ticket_id: UUID) -> list[TicketWorkLine]:
        return list(session.scalars(select(TicketWorkLine).where(
            TicketWorkLine.ticket_id == ticket_id, TicketWorkLine.removed_at.is_(None))
            .order_by(TicketWorkLine.position)))

    def _detail(self, session: Session, ticket: RepairTicket) -> TicketDetail:
        session.flush()
        summary = self._summaries(session, self._summary_query().where(
            RepairTicket.id == ticket.id))[0]
        devices = []
        for td, device, owner in session.execute(
                select(TicketDevice, Device, Customer)
                .join(Device, Device.id == TicketDevice.device_id)
                .join(Customer, Customer.id == Device.customer_id)
                .where(TicketDevice.ticket_id == ticket.id).order_by(TicketDevice.position)):
            devices.append(TicketDeviceInfo(
                device_info(device, owner), td.fault, checks.read(json.loads(td.checklist)),
                td.pre_existing_faults, td.accessories, bool(td.passcode_encrypted)))
        history = [StatusChange(c.from_status, c.to_status, c.at, c.staff_id, c.actor, c.note)
                   for c in session.scalars(select(TicketStatusChange).where(
                       TicketStatusChange.ticket_id == ticket.id)
                       .order_by(TicketStatusChange.at))]
        services = service_infos(session, list(session.scalars(
            select(ServiceRecord).where(ServiceRecord.ticket_id == ticket.id)
            .order_by(ServiceRecord.occurred_at))))
        work = [WorkLineInfo(w.id, w.device_id, w.kind, w.description, w.sku, w.quantity,
                             w.unit_price, line_total(w.quantity, w.unit_price))
                for w in self._work_lines(session, ticket.id)]
        return TicketDetail(
            summary, devices, ticket.estimate_approved, ticket.approved_at, ticket.deposit,
            ticket.final_amount, ticket.payment_method, ticket.collected_at,
            tuple(s.value for s in workflow.next_statuses(ticket.status)
                  if s != TicketStatus.COLLECTED or ticket.status == TicketStatus.READY),
            history, services, work)


def device_labels(session: Session, ids: list[UUID]) -> dict[UUID, list[str]]:
    """"Make Model" of each ticket's devices, in their order on the ticket."""
    labels: dict[UUID, list[str]] = {i: [] for i in ids}
    if ids:
        for ticket_id, make, model in session.execute(
                select(TicketDevice.ticket_id, Device.make, Device.model)
                .join(Device, Device.id == TicketDevice.device_id)
                .where(TicketDevice.ticket_id.in_(ids))
                .order_by(TicketDevice.ticket_id, TicketDevice.position)):
            labels[ticket_id].append(f"{make} {model}")
    return labels
