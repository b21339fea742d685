"""Repair tickets (the counter workflow): intake, status, technician, approval, pickup.

* Intake takes a customer and one or more devices (existing ones by id, or new
  ones typed in), each with the fault as described, a condition checklist,
  pre-existing faults, accessories left and the passcode (Fernet-encrypted at
  rest, see `shopdesk.services.repairs.passcodes`); estimate, approval and deposit.
  A device still under the shop's repair warranty flags the ticket as
  warranty rework.
* Intake sets the day promised to the customer (default: today plus the
  setting ``repairs.promised_days``); the condition checklist answers are
  Yes / No / Not tested (`shopdesk.domain.checklist`).
* While the ticket is open its work lines (parts and labour, each with a
  description) can be edited (`set_work`, see `shopdesk.services.repairs.work`).
* Status moves follow `shopdesk.domain.tickets.TRANSITIONS`; each is stamped
  with who and when. "collected" is reached only through `pickup`, which
  writes one service record per device (from the work lines when there are
  any), starts the shop warranty (setting ``repairs.warranty_days``) and
  erases the passcodes (as does cancelling).
* Only the assigned technician may reveal a passcode, and that is audited.

Thread rule: any thread; every write is one `Store.write()` transaction with
its audit entries; rejected input raises before anything is written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain import tickets as workflow
from shopdesk.domain.choices import ServiceKind
from shopdesk.domain.money import Amount, amount, parse_amount, split_evenly, total
from shopdesk.domain.permissions import Permission
from shopdesk.domain.service_rules import (
    clean_parts,
    clean_payment,
    clean_satisfaction,
    parts_total,
)
from shopdesk.domain.text import collapse_spaces, reject_controls
from shopdesk.domain.tickets import TicketStatus
from shopdesk.errors import FieldError, NotFound, PermissionDenied, ValidationError
from shopdesk.models import (
    Device,
    RepairTicket,
    StaffDirectory,
    TicketDevice,
    TicketStatusChange,
)
from shopdesk.services.audit import AuditTrail
from shopdesk.services.loyalty.ledger import LoyaltyService
from shopdesk.services.repairs.devices import DeviceService, customer_row, owned_device
from shopdesk.services.repairs.passcodes import PasscodeBox
from shopdesk.services.repairs.repair_views import (
    TicketDetail,
    TicketSaved,
)
from shopdesk.services.repairs.service_records import ServiceRecordService
from shopdesk.services.repairs.ticket_edits import TicketEdits, pickup_work
from shopdesk.services.repairs.ticket_input import (
    PickupWork,
    TicketDeviceIntake,
    TicketIntake,
    clean_intake,
)
from shopdesk.services.repairs.ticket_queries import TicketQueries
from shopdesk.services.settings import SettingsService
from shopdesk.services.store import Actor, Store

# The inputs live in ticket_input; callers import them from here with the service.
__all__ = ["PickupWork", "TicketDeviceIntake", "TicketIntake", "TicketService"]


class TicketService(TicketEdits, TicketQueries):
    """Repair-ticket use cases (the writes); reads come from `TicketQueries`.

    Any thread; each write is one `Store.write()` transaction with its audit entries.
    """

    def __init__(self, store: Store, audit: AuditTrail, settings: SettingsService,
                 devices: DeviceService, services: ServiceRecordService,
                 passcodes: PasscodeBox) -> None:
        self._store = store
        self._audit = audit
        self._settings = settings
        self._devices = devices
        self._services = services
        self._box = passcodes
        # The loyalty programme (issue 17), set by Shop: pickup redeems and earns points,
        # and applies the tier's labour discount and extra warranty days.
        self.loyalty: LoyaltyService | None = None

    # -- intake -----------------------------------------------------------------
    def intake(self, data: TicketIntake) -> TicketSaved:
        actor = self._store.require(Permission.MANAGE_TICKETS)
        now_local = self._store.clock().astimezone()  # promised days are the shop's days
        today = self._store.clock().date()
        lines, estimate, deposit, promised = clean_intake(
            data, today, now_local.date(), int(self._settings.get("repairs.promised_days")))
        for line in lines:  # encrypt before taking the write lock (a key lookup may be slow)
            line["passcode"] = self._box.encrypt(line["passcode"]) if line["passcode"] else None
        with self._store.write() as session:
            customer = customer_row(session, data.customer_id)
            if data.technician_id is not None:
                self._technician(session, data.technician_id)
            now = self._store.clock()
            number = workflow.ticket_number(
                self._store.node_tag, self._store.next_sequence(session, "repair_ticket"))
            ticket = RepairTicket(
                id=uuid.uuid4(), number=number, customer_id=customer.id,
                status=TicketStatus.RECEIVED.value, technician_id=data.technician_id,
                estimate=estimate, estimate_approved=data.estimate_approved,
                approved_at=now if data.estimate_approved is not None else None,
                deposit=deposit, warranty_rework=False, created_by=actor.staff_id,
                created_at=now, updated_at=now, promised_by=promised)
            session.add(ticket)
            session.flush()
            device_ids = []
            for position, line in enumerate(lines):
                if line["clean"] is not None or line.get("lookup"):
                    device = self._typed_device(session, actor, customer.id, line,
                                                f"devices[{position}]")
                    if device.id in device_ids:
                        raise ValidationError(FieldError(
                            f"devices[{position}]", "duplicate", "the device is listed twice"))
                else:
                    found = session.get(Device, line["device_id"])
                    if found is None:
                        raise NotFound(f"no device with id {line['device_id']}")
                    device = found
                if device.shop_warranty_until is not None and device.shop_warranty_until >= today:
                    ticket.warranty_rework = True
                device_ids.append(device.id)
                session.add(TicketDevice(
                    id=uuid.uuid4(), ticket_id=ticket.id, device_id=device.id,
                    position=position, fault=line["fault"],
                    checklist=json.dumps(line["checklist"], ensure_ascii=False),
                    pre_existing_faults=line["pre_existing_faults"],
                    accessories=line["accessories"], passcode_encrypted=line["passcode"]))
            self._stamp(session, actor, ticket, None, TicketStatus.RECEIVED, data.note)
            session.flush()
            self._audit.append(session, actor, "create", "repair_ticket", ticket.id, {
                "number": number, "customer_id": str(customer.id),
                "devices": [str(d) for d in device_ids],
                "estimate": str(estimate) if estimate is not None else None,
                "estimate_approved": data.estimate_approved, "deposit": str(deposit),
                "promised_by": promised.isoformat() if promised else None,
                "warranty_rework": ticket.warranty_rework,
                "passcodes": sum(1 for line in lines if line["passcode"])})
            detail = self._detail(session, ticket)
        return self._saved(detail, customer=True)

    # -- workflow ---------------------------------------------------------------
    def change_status(self, ticket_id: UUID | str, to: TicketStatus | str,
                      note: str = "") -> TicketSaved:
        """Move the ticket (by id or number) to `to`, if the workflow allows it."""
        actor = self._store.require(Permission.MANAGE_TICKETS)
        target = workflow.status(str(to))
        if target == TicketStatus.COLLECTED:
            raise ValidationError(FieldError(
                "status", "use_pickup", "a ticket is marked collected at pickup, with the "
                "final amount and payment"))
        reject_controls(note=note)
        with self._store.write() as session:
            ticket = self._find(session, ticket_id)
            current = TicketStatus(ticket.status)
            workflow.check_move(current, target)
            self._stamp(session, actor, ticket, current, target, note)
            if target == TicketStatus.CANCELLED:
                self._erase_passcodes(session, ticket.id)
            self._audit.append(session, actor, "change_status", "repair_ticket", ticket.id, {
                "number": ticket.number, "fields": {"status": [current.value, target.value]},
                "note": note.strip()})
            detail = self._detail(session, ticket)
        return self._saved(detail)

    def assign(self, ticket_id: UUID, technician_id: UUID | None) -> TicketSaved:
        """Give the ticket to a technician (None: unassign)."""
        actor = self._store.require(Permission.MANAGE_TICKETS)
        with self._store.write() as session:
            ticket = self._open_row(session, ticket_id)
            if technician_id is not None:
                self._technician(session, technician_id)
            if ticket.technician_id == technician_id:
                return TicketSaved(self._detail(session, ticket), Changes())
            before = ticket.technician_id
            ticket.technician_id = technician_id
            ticket.updated_at = self._store.clock()
            self._audit.append(session, actor, "assign", "repair_ticket", ticket.id, {
                "number": ticket.number, "fields": {"technician_id": [
                    str(before) if before else None,
                    str(technician_id) if technician_id else None]}})
            detail = self._detail(session, ticket)
        return self._saved(detail)

    def set_estimate(self, ticket_id: UUID, estimate: Amount | None) -> TicketSaved:
        """A new estimate; any earlier approval no longer holds."""
        actor = self._store.require(Permission.MANAGE_TICKETS)
        value = parse_amount(estimate, "estimate", required=False)
        with self._store.write() as session:
            ticket = self._open_row(session, ticket_id)
            before = ticket.estimate
            ticket.estimate, ticket.estimate_approved, ticket.approved_at = value, None, None
            ticket.updated_at = self._store.clock()
            self._audit.append(session, actor, "set_estimate", "repair_ticket", ticket.id, {
                "number": ticket.number, "fields": {"estimate": [
                    str(before) if before is not None else None,
                    str(value) if value is not None else None]}})
            detail = self._detail(session, ticket)
        return self._saved(detail)

    def record_approval(self, ticket_id: UUID, approved: bool) -> TicketSaved:
        """The customer approved (or declined) the estimate."""
        actor = self._store.require(Permission.MANAGE_TICKETS)
        with self._store.write() as session:
            ticket = self._open_row(session, ticket_id)
            if ticket.estimate is None:
                raise ValidationError(FieldError("estimate_approved", "no_estimate",
                                                 "there is no estimate to approve yet"))
            ticket.estimate_approved = approved
            ticket.approved_at = ticket.updated_at = self._store.clock()
            self._audit.append(session, actor, "approval", "repair_ticket", ticket.id, {
                "number": ticket.number, "estimate": str(ticket.estimate),
                "approved": approved})
            detail = self._detail(session, ticket)
        return self._saved(detail)

    def pickup(self, ticket_id: UUID | str, final_amount: Amount, payment_method: str | None,
               work: Sequence[PickupWork] = (), satisfaction: int | str | None = None,
               note: str = "", technician_id: UUID | None = None,
               redeem_points: int = 0) -> TicketSaved:
        """Hand the devices back: ready -> collected, service records, warranty, passcodes.

        Each device gets a service record (kind `repair`, or `warranty_claim` for
        warranty rework) with its parts and labour from `work`, else from the
        ticket's work lines. Either way parts and labour must add up to the final
        amount; with neither, the final amount is labour shared evenly across the
        devices. `technician_id` names who did the repair when nobody is assigned
        yet (it assigns the ticket, in the same transaction).

        Loyalty (issue 17): the customer's tier takes its discount off the labour
        (the final amount charged is lowered by it) and adds its extra warranty
        days; `redeem_points` pay part of the bill at the shop's point value; points
        are earned on the money paid (`loyalty.ticket_points` has the receipt's figures).
        """
        actor = self._store.require(Permission.MANAGE_TICKETS)
        final = amount(final_amount, "final_amount")
        method = clean_payment(payment_method, required=final > 0)
        rating = clean_satisfaction(satisfaction)
        cleaned = []
        reject_controls(note=note)
        for i, item in enumerate(work):
            reject_controls(**{f"work[{i}].description": item.description})
            parts = clean_parts(item.parts, f"work[{i}].parts")
            labour = amount(item.labour, f"work[{i}].labour")
            cleaned.append((item.device_id, collapse_spaces(item.description), parts, labour))
        if cleaned:
            given = total(parts_total(p) + lab for _d, _t, p, lab in cleaned)
            if given != final:
                raise ValidationError(FieldError(
                    "final_amount", "total_mismatch",
                    f"parts and labour add up to {given}, but the final amount is {final}"))
        days = int(self._settings.get("repairs.warranty_days"))
        with self._store.write() as session:
            ticket = self._find(session, ticket_id)
            workflow.check_move(ticket.status, TicketStatus.COLLECTED)
            tds = self._ticket_devices(session, ticket.id)
            lines = self._work_lines(session, ticket.id)
            if not cleaned and lines:
                cleaned = [(w.device_id, w.description,
                            clean_parts(w.parts, "work"), w.labour)
                           for w in pickup_work(lines, [td.device_id for td in tds])]
                given = total(parts_total(p) + lab for _d, _t, p, lab in cleaned)
                if given != final:
                    raise ValidationError(FieldError(
                        "final_amount", "total_mismatch",
                        f"the work lines add up to {given}, but the final amount is {final}"))
            assigned = ticket.technician_id
            if technician_id is not None and technician_id != assigned:
                self._technician(session, technician_id)
                ticket.technician_id = technician_id
            by_device = {d for d, *_ in cleaned}
            unknown = by_device - {td.device_id for td in tds}
            if unknown or len(by_device) != len(cleaned):
                raise ValidationError(FieldError(
                    "work", "device", "list each device of this ticket at most once"))
            now = self._store.clock()
            shares = split_evenly(final, len(tds))
            kind = (ServiceKind.WARRANTY_CLAIM if ticket.warranty_rework
                    else ServiceKind.REPAIR).value
            perks = self.loyalty.benefits_in(session, ticket.customer_id) \
                if self.loyalty is not None else None
            discount_pct = perks.labour_discount if perks else Decimal(0)
            discount = Decimal("0.00")
            warranty_until = now.date() + timedelta(
                days=days + (perks.extra_warranty_days if perks else 0))
            for td, share in zip(tds, shares, strict=True):
                found = next((c for c in cleaned if c[0] == td.device_id), None)
                if found is not None:
                    _d, text, parts, labour = found
                elif cleaned:
                    text, parts, labour = "", [], Decimal("0.00")
                else:
                    text, parts, labour = "", [], share
                if discount_pct:
                    off = (labour * discount_pct / 100).quantize(Decimal("0.01"))
                    labour, discount = labour - off, discount + off
                self._services.write(
                    session, actor, customer_id=ticket.customer_id, kind=kind,
                    description=text or f"Repair {ticket.number}: {td.fault}",
                    device_id=td.device_id, ticket_id=ticket.id,
                    technician_id=ticket.technician_id, parts=parts, labour=labour,
                    payment_method=method, satisfaction=rating, occurred_at=now)
                device = session.get(Device, td.device_id)
                assert device is not None
                if device.shop_warranty_until is None or device.shop_warranty_until < \
                        warranty_until:
                    device.shop_warranty_until = warranty_until
                    device.updated_at = now
            self._erase_passcodes(session, ticket.id)
            final -= discount
            if self.loyalty is not None:
                value = self.loyalty.redeem_value(redeem_points)
                if value > final:
                    raise ValidationError(FieldError(
                        "redeem_points", "too_many",
                        f"{redeem_points} points are worth {value}, more than the {final} due"))
                self.loyalty.on_pickup_in(
                    session, actor, ticket, final - value, kind, redeem_points)
            ticket.final_amount, ticket.payment_method = final, method
            ticket.collected_at = now
            self._stamp(session, actor, ticket, TicketStatus(ticket.status),
                        TicketStatus.COLLECTED, note)
            customer = customer_row(session, ticket.customer_id)
            customer.last_visit_at = now
            self._audit.append(session, actor, "pickup", "repair_ticket", ticket.id, {
                "number": ticket.number, "final_amount": str(final), "payment_method": method,
                "deposit": str(ticket.deposit), "warranty_until": warranty_until.isoformat(),
                "services": len(tds), "labour_discount": str(discount),
                "points_redeemed": redeem_points, **({"fields": {"technician_id": [
                    str(assigned) if assigned else None, str(ticket.technician_id)]}}
                    if ticket.technician_id != assigned else {})})
            detail = self._detail(session, ticket)
        return self._saved(detail, customer=True)

    def reveal_passcode(self, ticket_id: UUID, device_id: UUID) -> str:
        """The device's passcode, for the technician assigned to the ticket only."""
        actor = self._store.require(Permission.REVEAL_PASSCODE)
        with self._store.write() as session:
            ticket = self._row(session, ticket_id)
            if ticket.technician_id is None or actor.staff_id != ticket.technician_id:
                raise PermissionDenied("only the technician assigned to ticket "
                                       f"{ticket.number} may see its passcodes")
            td = session.scalar(select(TicketDevice).where(
                TicketDevice.ticket_id == ticket_id, TicketDevice.device_id == device_id))
            if td is None:
                raise NotFound(f"device {device_id} is not on ticket {ticket.number}")
            if not td.passcode_encrypted:
                raise NotFound(f"no passcode is stored for this device on {ticket.number}")
            self._audit.append(session, actor, "reveal_passcode", "repair_ticket", ticket.id,
                               {"number": ticket.number, "device_id": str(device_id)})
            token = td.passcode_encrypted
        return self._box.decrypt(token)

    # -- helpers ----------------------------------------------------------------
    def _typed_device(self, session: Session, actor: Actor, customer_id: UUID,
                      line: dict[str, Any], where: str) -> Device:
        """The customer's device on file with the typed IMEI or serial, else a new one.

        Typed with only an IMEI or serial, it must be on file for this customer.
        """
        clean = line["clean"] or line["lookup"]
        found = owned_device(session, customer_id, clean)
        if found is not None:
            return found
        if line["clean"] is None:
            self._devices.check_unique(session, clean)  # someone else's: named
            raise ValidationError([FieldError(f"{where}.{name}", "required", (
                "is required: no device of this customer has that "
                + ("IMEI" if clean.get("imei") else "serial"))) for name in ("make", "model")])
        return self._devices.insert(session, actor, customer_id, clean)

    def _saved(self, detail: TicketDetail, customer: bool = False) -> TicketSaved:
        changes = Changes(
            tickets=frozenset({detail.summary.id}),
            devices=frozenset(d.device.id for d in detail.devices),
            customers=frozenset({detail.summary.customer_id}) if customer else frozenset())
        self._store.publish(changes)
        return TicketSaved(detail, changes)

    def _stamp(self, session: Session, actor: Actor, ticket: RepairTicket,
               current: TicketStatus | None, target: TicketStatus, note: str) -> None:
        now = self._store.clock()
        ticket.status, ticket.updated_at = target.value, now
        session.add(TicketStatusChange(
            id=uuid.uuid4(), ticket_id=ticket.id,
            from_status=current.value if current else None, to_status=target.value,
            staff_id=actor.staff_id, actor=actor.name, at=now, note=note.strip()))
        # Automations (messages to the customer) join this transaction (issue 16).
        session.flush()
        self._store.emit(session, actor, "ticket_status", ticket=ticket, status=target)

    @staticmethod
    def _erase_passcodes(session: Session, ticket_id: UUID) -> None:
        for td in session.scalars(select(TicketDevice).where(
                TicketDevice.ticket_id == ticket_id,
                TicketDevice.passcode_encrypted.is_not(None))):
            td.passcode_encrypted = None

    @staticmethod
    def _technician(session: Session, staff_id: UUID) -> StaffDirectory:
        staff = session.get(StaffDirectory, staff_id)
        if staff is None:
            raise NotFound(f"no staff member with id {staff_id}")
        if not staff.is_active:
            raise ValidationError(FieldError("technician_id", "inactive",
                                             f"{staff.display_name}'s account is deactivated"))
        return staff

    def _open_row(self, session: Session, ticket_id: UUID) -> RepairTicket:
        row = self._row(session, ticket_id)
        if TicketStatus(row.status).final:
            raise ValidationError(FieldError(
                "status", "ticket_closed",
                f"ticket {row.number} is {TicketStatus(row.status).label.lower()}; "
                "it can no longer be changed"))
        return row
