"""A customer's service history (spec 5.1, 5.2): record services, list them.

Repairs on tickets are written by `TicketService.pickup`; this service records
the rest (part purchases, consultations, warranty claims, returns and
exchanges) and reads the history of a customer or a device.

Thread rule: any thread; writes go through `Store.write()` with their audit
entry in the same transaction; rejected input raises before any write.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain.money import amount, line_total, total
from shopdesk.domain.permissions import Permission
from shopdesk.domain.service_rules import (
    ServiceInput,
    clean_kind,
    clean_parts,
    clean_payment,
    clean_satisfaction,
    parts_total,
)
from shopdesk.domain.text import collapse_spaces, control_errors
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import Device, ServicePart, ServiceRecord, StaffDirectory
from shopdesk.services.audit import AuditTrail
from shopdesk.services.loyalty.ledger import LoyaltyService
from shopdesk.services.repairs.devices import customer_row
from shopdesk.services.repairs.repair_views import PartInfo, ServiceInfo, ServiceSaved
from shopdesk.services.store import Actor, Store


def service_infos(session: Session, rows: Sequence[ServiceRecord]) -> list[ServiceInfo]:
    """Views of `rows` with their parts and technician names (two queries)."""
    ids = [r.id for r in rows]
    parts: dict[UUID, list[PartInfo]] = {i: [] for i in ids}
    if ids:
        for p in session.scalars(select(ServicePart).where(ServicePart.service_id.in_(ids))
                                 .order_by(ServicePart.service_id, ServicePart.name)):
            parts[p.service_id].append(PartInfo(p.name, p.sku, p.quantity, p.unit_price,
                                                line_total(p.quantity, p.unit_price)))
    techs = {r.technician_id for r in rows if r.technician_id}
    names: dict[UUID, str] = dict(session.execute(
        select(StaffDirectory.id, StaffDirectory.display_name)
        .where(StaffDirectory.id.in_(techs))).all()) if techs else {}
    return [ServiceInfo(r.id, r.customer_id, r.device_id, r.ticket_id, r.occurred_at, r.kind,
                        r.description, r.technician_id,
                        names.get(r.technician_id) if r.technician_id else None,
                        tuple(parts[r.id]), r.labour, r.total, r.payment_method,
                        r.satisfaction) for r in rows]


class ServiceRecordService:
    def __init__(self, store: Store, audit: AuditTrail) -> None:
        self._store = store
        self._audit = audit
        self.loyalty: LoyaltyService | None = None  # set by Shop: purchases earn points

    def record(self, data: ServiceInput) -> ServiceSaved:
        """Record a service outside a ticket; total = parts + labour."""
        actor = self._store.require(Permission.RECORD_SERVICES)
        errors = control_errors(data.description, "description")
        clean: dict[str, Any] = {}
        for key, check in (("kind", lambda: clean_kind(data.kind)),
                           ("parts", lambda: clean_parts(data.parts)),
                           ("labour", lambda: amount(data.labour, "labour")),
                           ("payment_method", lambda: clean_payment(data.payment_method, False)),
                           ("satisfaction", lambda: clean_satisfaction(data.satisfaction))):
            try:
                clean[key] = check()
            except ValidationError as exc:
                errors.extend(exc.errors)
        description = collapse_spaces(data.description)
        if not description:
            errors.append(FieldError("description", "required", "say what was done"))
        if errors:
            raise ValidationError(errors)
        with self._store.write() as session:
            customer_row(session, data.customer_id)
            if data.device_id is not None and session.get(Device, data.device_id) is None:
                raise NotFound(f"no device with id {data.device_id}")
            if (data.technician_id is not None
                    and session.get(StaffDirectory, data.technician_id) is None):
                raise NotFound(f"no staff member with id {data.technician_id}")
            row = self.write(session, actor, customer_id=data.customer_id,
                             kind=clean["kind"], description=description,
                             device_id=data.device_id, ticket_id=None,
                             technician_id=data.technician_id, parts=clean["parts"],
                             labour=clean["labour"], payment_method=clean["payment_method"],
                             satisfaction=clean["satisfaction"],
                             occurred_at=data.occurred_at or self._store.clock())
            if self.loyalty is not None and clean["payment_method"] is not None:
                # Paid for at the counter (a part purchase, a consultation): points.
                self.loyalty.earn_in(session, actor, data.customer_id, row.total, row.kind,
                                     self.loyalty.rules(), service_id=row.id)
            info = service_infos(session, [row])[0]
        changes = Changes(customers=frozenset({data.customer_id}),
                          devices=frozenset({data.device_id}) if data.device_id else frozenset())
        self._store.publish(changes)
        return ServiceSaved(info, changes)

    def write(self, session: Session, actor: Actor, *, customer_id: UUID, kind: str,
              description: str, device_id: UUID | None, ticket_id: UUID | None,
              technician_id: UUID | None, parts: list[dict[str, Any]], labour: Decimal,
              payment_method: str | None, satisfaction: int | None,
              occurred_at: datetime) -> ServiceRecord:
        """Insert one validated record with its parts and audit entry (inside a write)."""
        row = ServiceRecord(
            id=uuid.uuid4(), customer_id=customer_id, occurred_at=occurred_at, kind=kind,
            description=description, staff_id=actor.staff_id, device_id=device_id,
            ticket_id=ticket_id, technician_id=technician_id, labour=labour,
            total=total([parts_total(parts), labour]), payment_method=payment_method,
            satisfaction=satisfaction)
        session.add(row)
        session.flush()  # no ORM relationship orders the parts after their record
        for part in parts:
            session.add(ServicePart(id=uuid.uuid4(), service_id=row.id, name=part["name"],
                                    sku=part["sku"], quantity=part["quantity"],
                                    unit_price=part["unit_price"]))
        session.flush()
        self._audit.append(session, actor, "create", "service", row.id, {
            "customer_id": str(customer_id), "kind": kind,
            "device_id": str(device_id) if device_id else None,
            "ticket_id": str(ticket_id) if ticket_id else None,
            "total": str(row.total), "parts": len(parts)})
        return row

    def for_customer(self, customer_id: UUID, limit: int = 500) -> list[ServiceInfo]:
        """Newest first."""
        with self._store.read() as session:
            rows = list(session.scalars(
                select(ServiceRecord).where(ServiceRecord.customer_id == customer_id)
                .order_by(ServiceRecord.occurred_at.desc()).limit(limit)))
            return service_infos(session, rows)

    def for_device(self, device_id: UUID, limit: int = 500) -> list[ServiceInfo]:
        """Newest first, across the device's owners."""
        with self._store.read() as session:
            rows = list(session.scalars(
                select(ServiceRecord).where(ServiceRecord.device_id == device_id)
                .order_by(ServiceRecord.occurred_at.desc()).limit(limit)))
            return service_infos(session, rows)
