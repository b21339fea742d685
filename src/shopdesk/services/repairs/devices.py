"""Devices and their history (spec 5.3): register, edit, change owner, find, timeline.

A device belongs to one customer at a time; `device_owners` keeps every period
of ownership, and tickets and service records point at the device, so its
history follows the device whoever owns it now.

Thread rule: any thread. Reads open their own session; writes go through
`Store.write()` (one writer), each with its audit entry in the same
transaction; a rejected input raises before anything is written.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain.choices import ServiceKind
from shopdesk.domain.codes import normalize_code
from shopdesk.domain.device_rules import DeviceInput, clean_device
from shopdesk.domain.imei import TAC_LENGTH, normalize_identifier, strip_separators
from shopdesk.domain.permissions import Permission
from shopdesk.domain.text import reject_controls
from shopdesk.errors import FieldError, NotFound, ValidationError
from shopdesk.models import (
    Customer,
    Device,
    DeviceOwner,
    RepairTicket,
    ServiceRecord,
    StaffDirectory,
    TicketDevice,
)
from shopdesk.services.audit import AuditTrail
from shopdesk.services.repairs.repair_views import (
    DeviceHistory,
    DeviceInfo,
    DeviceSaved,
    HistoryEntry,
    OwnerPeriod,
)
from shopdesk.services.store import Actor, Store

DEVICE_FIELDS = ("make", "model", "imei", "imei2", "serial", "tac", "purchase_date",
                 "manufacturer_warranty_until", "condition")


def device_info(row: Device, owner: Customer) -> DeviceInfo:
    return DeviceInfo(
        row.id, row.make, row.model, row.imei, row.imei2, row.serial, row.tac,
        row.purchase_date, row.manufacturer_warranty_until, row.shop_warranty_until,
        row.condition, row.customer_id, owner.code, f"{owner.first_name} {owner.last_name}",
        row.created_at, row.updated_at)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def customer_row(session: Session, customer: UUID | str) -> Customer:
    """The customer by id, or by code as typed ("k7qx-0042"); NotFound if none."""
    if isinstance(customer, UUID):
        row = session.get(Customer, customer)
        if row is None:
            raise NotFound(f"no customer with id {customer}")
        return row
    found = session.scalar(select(Customer).where(Customer.code == normalize_code(customer)))
    if found is None:
        raise NotFound(f"no customer with code {customer.strip()}")
    return found


def owned_device(session: Session, customer_id: UUID, clean: dict[str, Any]) -> Device | None:
    """The customer's own device with the same IMEI (either slot) or serial, if any."""
    keys = [v for v in (clean.get("imei"), clean.get("imei2")) if v]
    match = [Device.imei.in_(keys), Device.imei2.in_(keys)] if keys else []
    if clean.get("serial"):
        match.append(Device.serial == clean["serial"])
    if not match:
        return None
    return session.scalar(select(Device).where(Device.customer_id == customer_id, or_(*match))
                          .limit(1))


class DeviceService:
    def __init__(self, store: Store, audit: AuditTrail) -> None:
        self._store = store
        self._audit = audit

    # -- writes -----------------------------------------------------------------
    def register(self, customer_id: UUID, data: DeviceInput) -> DeviceSaved:
        actor = self._store.require(Permission.MANAGE_DEVICES)
        clean = clean_device(data, self._store.clock().date())
        with self._store.write() as session:
            owner = customer_row(session, customer_id)
            row = self.insert(session, actor, owner.id, clean)
            saved = DeviceSaved(device_info(row, owner),
                                Changes(devices=frozenset({row.id}),
                                        customers=frozenset({owner.id})))
        self._store.publish(saved.changes)
        return saved

    def insert(self, session: Session, actor: Actor, customer_id: UUID,
               clean: dict[str, Any]) -> Device:
        """Add a validated device for its first owner, audited (inside a write)."""
        self.check_unique(session, clean)
        now = self._store.clock()
        row = Device(id=uuid.uuid4(), customer_id=customer_id, created_at=now,
                     updated_at=now, shop_warranty_until=None,
                     **{k: clean[k] for k in DEVICE_FIELDS})
        session.add(row)
        session.flush()  # the owner row refers to it; no relationship orders them
        session.add(DeviceOwner(id=uuid.uuid4(), device_id=row.id, customer_id=customer_id,
                                from_at=now, to_at=None))
        session.flush()
        self._audit.append(session, actor, "create", "device", row.id, {
            "customer_id": str(customer_id),
            "fields": {k: [None, _jsonable(clean[k])] for k in DEVICE_FIELDS if clean[k]}})
        return row

    def update(self, device_id: UUID, changes: dict[str, Any]) -> DeviceSaved:
        """Apply `changes` (DeviceInput field -> typed value) with the device rules."""
        actor = self._store.require(Permission.MANAGE_DEVICES)
        current = self.get(device_id)
        data = DeviceInput(
            make=current.make, model=current.model, imei=current.imei or "",
            imei2=current.imei2 or "", serial=current.serial or "",
            purchase_date=current.purchase_date,
            manufacturer_warranty_until=current.manufacturer_warranty_until,
            condition=current.condition).merged(changes)
        clean = clean_device(data, self._store.clock().date())
        with self._store.write() as session:
            row = self._row(session, device_id)
            self.check_unique(session, clean, exclude=device_id)
            diff = {k: [_jsonable(getattr(row, k)), _jsonable(clean[k])]
                    for k in DEVICE_FIELDS if getattr(row, k) != clean[k]}
            owner = customer_row(session, row.customer_id)
            if not diff:
                return DeviceSaved(device_info(row, owner), Changes())
            for key in diff:
                setattr(row, key, clean[key])
            row.updated_at = self._store.clock()
            self._audit.append(session, actor, "update", "device", row.id, {"fields": diff})
            saved = DeviceSaved(device_info(row, owner), Changes(devices=frozenset({row.id})))
        self._store.publish(saved.changes)
        return saved

    def change_owner(self, device_id: UUID, customer_id: UUID, note: str = "") -> DeviceSaved:
        """The device now belongs to `customer_id`; its history stays with it."""
        actor = self._store.require(Permission.MANAGE_DEVICES)
        reject_controls(note=note)
        with self._store.write() as session:
            row = self._row(session, device_id)
            new_owner = customer_row(session, customer_id)
            if row.customer_id == customer_id:
                raise ValidationError(FieldError(
                    "customer_id", "same_owner", "the device already belongs to this customer"))
            now = self._store.clock()
            current = session.scalar(select(DeviceOwner).where(
                DeviceOwner.device_id == device_id, DeviceOwner.to_at.is_(None)))
            if current is not None:
                current.to_at = now
            previous = row.customer_id
            session.add(DeviceOwner(id=uuid.uuid4(), device_id=device_id,
                                    customer_id=customer_id, from_at=now, to_at=None))
            row.customer_id = customer_id
            row.updated_at = now
            self._audit.append(session, actor, "change_owner", "device", row.id, {
                "fields": {"customer_id": [str(previous), str(customer_id)]},
                "note": note.strip()})
            saved = DeviceSaved(device_info(row, new_owner), Changes(
                devices=frozenset({row.id}), customers=frozenset({previous, customer_id})))
        self._store.publish(saved.changes)
        return saved

    # -- reads ------------------------------------------------------------------
    def get(self, device_id: UUID) -> DeviceInfo:
        with self._store.read() as session:
            row = self._row(session, device_id)
            return device_info(row, customer_row(session, row.customer_id))

    def find(self, identifier: str) -> DeviceInfo | None:
        """The device with this IMEI, second IMEI or serial (as typed or scanned)."""
        key = normalize_identifier(identifier)
        if not key:
            return None
        with self._store.read() as session:
            hit = session.execute(
                select(Device, Customer).join(Customer, Customer.id == Device.customer_id)
                .where(or_(Device.imei == key, Device.imei2 == key, Device.serial == key))
                .limit(1)).first()
            return device_info(hit[0], hit[1]) if hit else None

    def suggest_model(self, imei: str) -> tuple[str, str] | None:
        """(make, model) of the latest device seen with the same type allocation code."""
        digits = strip_separators(imei)
        if len(digits) < TAC_LENGTH or not digits[:TAC_LENGTH].isdigit():
            return None
        with self._store.read() as session:
            hit = session.execute(
                select(Device.make, Device.model).where(Device.tac == digits[:TAC_LENGTH])
                .order_by(Device.created_at.desc()).limit(1)).first()
            return (hit.make, hit.model) if hit else None

    def for_customer(self, customer_id: UUID) -> list[DeviceInfo]:
        """The devices a customer owns now, newest first."""
        with self._store.read() as session:
            owner = customer_row(session, customer_id)
            rows = session.scalars(select(Device).where(Device.customer_id == customer_id)
                                   .order_by(Device.created_at.desc()))
            return [device_info(r, owner) for r in rows]

    def history(self, device_id: UUID) -> DeviceHistory:
        """Every ticket and service on the device across owners, newest first.

        Service records written at a ticket's pickup are shown through their
        ticket (one line per repair), not a second time.
        """
        with self._store.read() as session:
            row = self._row(session, device_id)
            device = device_info(row, customer_row(session, row.customer_id))
            owners = [
                OwnerPeriod(o.customer_id, c.code, f"{c.first_name} {c.last_name}",
                            o.from_at, o.to_at)
                for o, c in session.execute(
                    select(DeviceOwner, Customer)
                    .join(Customer, Customer.id == DeviceOwner.customer_id)
                    .where(DeviceOwner.device_id == device_id)
                    .order_by(DeviceOwner.from_at))]
            entries: list[HistoryEntry] = []
            for ticket, td, customer, tech in session.execute(
                    select(RepairTicket, TicketDevice, Customer, StaffDirectory.display_name)
                    .join(TicketDevice, TicketDevice.ticket_id == RepairTicket.id)
                    .join(Customer, Customer.id == RepairTicket.customer_id)
                    .outerjoin(StaffDirectory, StaffDirectory.id == RepairTicket.technician_id)
                    .where(TicketDevice.device_id == device_id)):
                entries.append(HistoryEntry(
                    ticket.created_at, "ticket", ticket.id, ticket.number, "repair_ticket",
                    td.fault, ticket.status, td.pre_existing_faults, customer.id,
                    customer.code, f"{customer.first_name} {customer.last_name}", tech,
                    ticket.final_amount if ticket.final_amount is not None
                    else ticket.estimate, ticket.warranty_rework))
            for service, customer, tech in session.execute(
                    select(ServiceRecord, Customer, StaffDirectory.display_name)
                    .join(Customer, Customer.id == ServiceRecord.customer_id)
                    .outerjoin(StaffDirectory, StaffDirectory.id == ServiceRecord.technician_id)
                    .where(ServiceRecord.device_id == device_id,
                           ServiceRecord.ticket_id.is_(None))):
                entries.append(HistoryEntry(
                    service.occurred_at, "service", service.id,
                    ServiceKind(service.kind).label, service.kind, service.description, None,
                    "", customer.id, customer.code,
                    f"{customer.first_name} {customer.last_name}", tech, service.total))
            entries.sort(key=lambda e: e.at, reverse=True)
            return DeviceHistory(device, owners, entries)

    def history_of(self, identifier: str) -> DeviceHistory:
        """`history` of the device found by IMEI or serial; NotFound if none."""
        device = self.find(identifier)
        if device is None:
            raise NotFound(f"no device with IMEI or serial '{identifier.strip()}'")
        return self.history(device.id)

    # -- helpers ----------------------------------------------------------------
    @staticmethod
    def check_unique(session: Session, clean: dict[str, Any],
                     exclude: UUID | None = None) -> None:
        """An IMEI belongs to one device (in either IMEI column); names the holder."""
        errors = []
        for field in ("imei", "imei2"):
            value = clean.get(field)
            if not value:
                continue
            query = (select(Device.make, Device.model, Customer.code)
                     .join(Customer, Customer.id == Device.customer_id)
                     .where(or_(Device.imei == value, Device.imei2 == value)))
            if exclude is not None:
                query = query.where(Device.id != exclude)
            hit = session.execute(query.limit(1)).first()
            if hit:
                errors.append(FieldError(
                    field, "unique", f"{value} is already registered: {hit.make} {hit.model} "
                    f"of customer {hit.code}"))
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _row(session: Session, device_id: UUID) -> Device:
        row = session.get(Device, device_id)
        if row is None:
            raise NotFound(f"no device with id {device_id}")
        return row
