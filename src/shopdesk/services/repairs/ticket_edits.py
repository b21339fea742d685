"""Editing an open repair ticket: its work lines and its promised-by day.

Work lines are the parts fitted and the labour done, each with a description,
a quantity and a unit price, on one device of the ticket or on the ticket as a
whole. They can be edited until pickup; at pickup they become the service
records (`pickup_work`) and the receipt's lines. An edit sends the whole list:
lines with an id are kept (and updated when changed), new ones are added,
missing ones removed (marked `removed_at`: a synced row is never deleted); each
edit is one transaction with one audit entry.

Thread rule: any thread; mixed into `TicketService` (which supplies the store,
the audit trail and the ticket helpers).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy.orm import Session

from shopdesk.changes import Changes
from shopdesk.domain.money import Amount, total
from shopdesk.domain.permissions import Permission
from shopdesk.domain.service_rules import PartInput, quantity_and_price
from shopdesk.domain.text import collapse_spaces, control_errors
from shopdesk.errors import FieldError, ValidationError
from shopdesk.models import RepairTicket, TicketWorkLine
from shopdesk.services.audit import AuditTrail
from shopdesk.services.repairs.repair_views import TicketDetail, TicketSaved
from shopdesk.services.store import Store

KINDS = ("part", "labour")
MAX_LINES = 100
MAX_DESCRIPTION = 300
MAX_SKU = 40


@dataclass(frozen=True)
class WorkLineInput:
    """One line as staff typed it; `id` of a line already on the ticket to keep it."""

    description: str
    kind: str = "labour"  # "part" or "labour"
    unit_price: Amount = "0"
    quantity: int | str = 1
    sku: str = ""
    device_id: UUID | None = None  # None: the ticket as a whole
    id: UUID | None = None


@dataclass(frozen=True)
class DeviceWork:
    """What the work lines say was done to one device, for its service record."""

    device_id: UUID
    description: str
    parts: tuple[PartInput, ...]
    labour: Decimal


def clean_lines(lines: Sequence[WorkLineInput]) -> list[dict[str, Any]]:
    """Validated lines, or one ValidationError naming every bad field (``work[2].quantity``)."""
    errors: list[FieldError] = []
    out: list[dict[str, Any]] = []
    if len(lines) > MAX_LINES:
        errors.append(FieldError("work", "too_many", f"a ticket has at most {MAX_LINES} lines"))
    for i, line in enumerate(lines):
        where = f"work[{i}]"
        errors += control_errors({"description": line.description, "sku": line.sku or ""},
                                 where)
        text = collapse_spaces(line.description)
        kind = (line.kind or "").strip().lower()
        sku = collapse_spaces(line.sku).upper() or None
        if not text:
            errors.append(FieldError(f"{where}.description", "required",
                                     "say what the part or the work is"))
        elif len(text) > MAX_DESCRIPTION:
            errors.append(FieldError(f"{where}.description", "too_long",
                                     f"must be at most {MAX_DESCRIPTION} characters"))
        if kind not in KINDS:
            errors.append(FieldError(f"{where}.kind", "choice", "must be part or labour"))
        if sku is not None and len(sku) > MAX_SKU:
            errors.append(FieldError(f"{where}.sku", "too_long",
                                     f"must be at most {MAX_SKU} characters"))
        quantity, price = quantity_and_price(line.quantity, line.unit_price, where, errors)
        out.append({"id": line.id, "device_id": line.device_id, "kind": kind,
                    "description": text, "sku": sku, "quantity": quantity,
                    "unit_price": price})
    if errors:
        raise ValidationError(errors)
    return out


def pickup_work(lines: Sequence[TicketWorkLine], device_ids: Sequence[UUID]) -> list[DeviceWork]:
    """Per device: its parts, its labour summed, the descriptions of its labour.

    Lines on the ticket as a whole count for the first device, so every line is
    in exactly one service record and the records add up to the lines' total.
    """
    grouped: dict[UUID, list[TicketWorkLine]] = {d: [] for d in device_ids}
    for line in lines:
        owner = line.device_id if line.device_id in grouped else device_ids[0]
        grouped[owner].append(line)
    out = []
    for device_id, items in grouped.items():
        parts = tuple(PartInput(name=w.description, quantity=w.quantity,
                                unit_price=w.unit_price, sku=w.sku or "")
                      for w in items if w.kind == "part")
        labour = [w for w in items if w.kind == "labour"]
        words = [w.description for w in labour] or [w.description for w in items]
        out.append(DeviceWork(device_id, "; ".join(words),
                              parts, total(w.unit_price * w.quantity for w in labour)))
    return out


def clean_promise(value: date | str | None, today: date) -> date | None:
    """A promised-by day as given (a date or "YYYY-MM-DD"; None or "": none), not past."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(FieldError("promised_by", "date_format",
                                             "use a date like 2026-03-31")) from None
    if value < today:
        raise ValidationError(FieldError("promised_by", "date_past", "cannot be before today"))
    return value


def _as_audit(row: TicketWorkLine | dict[str, Any]) -> str:
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    return (f"{get('kind')}: {get('description')} {get('quantity')} x "
            f"{get('unit_price')}")


class TicketEdits:
    """`set_work` and `set_promised_by`, mixed into `TicketService`; any thread."""

    _store: Store
    _audit: AuditTrail
    if TYPE_CHECKING:  # supplied by TicketService and TicketQueries
        def _open_row(self, session: Session, ticket_id: UUID) -> RepairTicket: ...
        def _detail(self, session: Session, ticket: RepairTicket) -> TicketDetail: ...
        def _saved(self, detail: TicketDetail, customer: bool = False) -> TicketSaved: ...
        @staticmethod
        def _work_lines(session: Session, ticket_id: UUID) -> list[TicketWorkLine]: ...
        @staticmethod
        def _ticket_device_ids(session: Session, ticket_id: UUID) -> list[UUID]: ...

    def set_work(self, ticket_id: UUID, lines: Sequence[WorkLineInput]) -> TicketSaved:
        """Replace the ticket's work lines with `lines` (in that order); open tickets only."""
        actor = self._store.require(Permission.MANAGE_TICKETS)
        clean = clean_lines(lines)
        with self._store.write() as session:
            ticket = self._open_row(session, ticket_id)
            devices = set(self._ticket_device_ids(session, ticket.id))
            current = {w.id: w for w in self._work_lines(session, ticket.id)}
            errors = [FieldError(f"work[{i}].device_id", "device",
                                 "the device is not on this ticket")
                      for i, c in enumerate(clean)
                      if c["device_id"] is not None and c["device_id"] not in devices]
            errors += [FieldError(f"work[{i}].id", "unknown_line",
                                  "the line is not on this ticket (reload the ticket)")
                       for i, c in enumerate(clean)
                       if c["id"] is not None and c["id"] not in current]
            if errors:
                raise ValidationError(errors)
            now = self._store.clock()
            kept: set[UUID] = set()
            added = changed = 0
            for position, c in enumerate(clean):
                values = {k: c[k] for k in ("device_id", "kind", "description", "sku",
                                            "quantity", "unit_price")}
                row = current.get(c["id"]) if c["id"] is not None else None
                if row is None:
                    session.add(TicketWorkLine(id=uuid.uuid4(), ticket_id=ticket.id,
                                               position=position, created_at=now,
                                               updated_at=now, **values))
                    added += 1
                    continue
                kept.add(row.id)
                if any(getattr(row, k) != v for k, v in values.items()) \
                        or row.position != position:
                    changed += any(getattr(row, k) != v for k, v in values.items())
                    for key, value in values.items():
                        setattr(row, key, value)
                    row.position, row.updated_at = position, now
            removed = [row for line_id, row in current.items() if line_id not in kept]
            for row in removed:  # never deleted: no synced row is (the server refuses it)
                row.removed_at = row.updated_at = now
            if not (added or changed or removed) and \
                    [c["id"] for c in clean] == list(current):
                return TicketSaved(self._detail(session, ticket), Changes())
            before = total(w.unit_price * w.quantity for w in current.values())
            after = total(c["unit_price"] * c["quantity"] for c in clean)
            ticket.updated_at = now
            session.flush()
            self._audit.append(session, actor, "set_work", "repair_ticket", ticket.id, {
                "number": ticket.number, "added": added, "changed": changed,
                "removed": [_as_audit(r) for r in removed],
                "lines": [_as_audit(c) for c in clean],
                "fields": {"work_total": [str(before), str(after)]}})
            detail = self._detail(session, ticket)
        return self._saved(detail)

    def set_promised_by(self, ticket_id: UUID, day: date | str | None) -> TicketSaved:
        """The day promised to the customer (None or "": no promise); not before today."""
        actor = self._store.require(Permission.MANAGE_TICKETS)
        value = clean_promise(day, self._store.clock().astimezone().date())
        with self._store.write() as session:
            ticket = self._open_row(session, ticket_id)
            before = ticket.promised_by
            if before == value:
                return TicketSaved(self._detail(session, ticket), Changes())
            ticket.promised_by = value
            ticket.updated_at = self._store.clock()
            self._audit.append(session, actor, "set_promised_by", "repair_ticket", ticket.id, {
                "number": ticket.number, "fields": {"promised_by": [
                    before.isoformat() if before else None,
                    value.isoformat() if value else None]}})
            detail = self._detail(session, ticket)
        return self._saved(detail)
