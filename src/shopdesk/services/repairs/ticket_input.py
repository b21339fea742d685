"""What a new repair ticket is made of, as staff or a script give it, and its checks.

`TicketIntake` (customer, devices, estimate, deposit, promise), `TicketDeviceIntake`
(one device: known or typed, the fault, the checklist, accessories, passcode) and
`PickupWork` (what was done to one device, at pickup). `clean_intake` applies
every rule that needs no database and raises one ValidationError naming each
broken field (``devices[1].imei``); `TicketService.intake` does the rest.

Pure; safe from any thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from shopdesk.domain import checklist as checks
from shopdesk.domain.device_rules import DeviceInput, clean_device, known_by_identifier
from shopdesk.domain.money import Amount, amount, parse_amount
from shopdesk.domain.service_rules import PartInput
from shopdesk.domain.text import collapse_spaces, control_errors
from shopdesk.errors import FieldError, ValidationError
from shopdesk.services.repairs.ticket_edits import clean_promise

MAX_PASSCODE = 64
MAX_FAULT = 2000


@dataclass(frozen=True)
class TicketDeviceIntake:
    """One device on a new ticket: `device_id` of a known device, or `device` typed in."""

    fault: str
    device_id: UUID | None = None
    device: DeviceInput | None = None
    # check -> Yes/No/Not tested (a `Check`, "yes"/"no"/"not tested", or True/False)
    # or a short note; see `shopdesk.domain.checklist`.
    checklist: Mapping[str, object] = field(default_factory=dict)
    pre_existing_faults: str = ""
    accessories: str = ""
    passcode: str = ""  # PIN, password or pattern (e.g. "L-shape 1-4-7-8-9")


@dataclass(frozen=True)
class TicketIntake:
    """A new ticket; `customer_id` is the customer's id or code ("K7QX-0042").

    A device typed in whose IMEI or serial is already one of this customer's
    devices is that device (it is not registered twice).
    """

    customer_id: UUID | str
    devices: Sequence[TicketDeviceIntake]
    estimate: Amount | None = None
    estimate_approved: bool | None = None
    deposit: Amount = "0"
    technician_id: UUID | None = None
    note: str = ""
    # The day promised to the customer: None for the shop's default (today plus
    # `repairs.promised_days`), "" for no promise, else a date or "YYYY-MM-DD".
    promised_by: date | str | None = None


@dataclass(frozen=True)
class PickupWork:
    """What was done to one device of the ticket, for its service record."""

    device_id: UUID
    description: str = ""
    parts: Sequence[PartInput] = ()
    labour: Amount = "0"


def promised_day(value: date | str | None, today: date, default_days: int) -> date | None:
    """The promised-by day of a new ticket (see `TicketIntake.promised_by`)."""
    if value is None:
        return today + timedelta(days=default_days) if default_days > 0 else None
    return clean_promise(value, today)


def clean_intake(data: TicketIntake, today: date, local_today: date, promised_days: int
                 ) -> tuple[list[dict[str, Any]], Decimal | None, Decimal | None, date | None]:
    """The intake's lines (one per device), estimate, deposit and promised day, checked.

    `today` is the UTC day (device dates), `local_today` the shop's (the promise).
    """
    errors: list[FieldError] = control_errors(data.note, "note")
    lines: list[dict[str, Any]] = []
    if not data.devices:
        errors.append(FieldError("devices", "required", "a ticket needs at least one device"))
    seen: set[UUID] = set()
    for i, item in enumerate(data.devices):
        where = f"devices[{i}]"
        line: dict[str, Any] = {"device_id": item.device_id, "clean": None}
        if (item.device_id is None) == (item.device is None):
            errors.append(FieldError(where, "device", "give either a known device or a "
                                     "new device's details"))
        elif item.device_id is not None:
            if item.device_id in seen:
                errors.append(FieldError(where, "duplicate", "the device is listed twice"))
            seen.add(item.device_id)
        elif item.device is not None:
            try:
                line["clean"] = clean_device(item.device, today)
            except ValidationError as exc:
                named = known_by_identifier(item.device, exc)
                if named is not None:  # only an IMEI or serial: a device on file?
                    line["lookup"] = named
                else:
                    errors.extend(FieldError(f"{where}.{e.field}", e.rule, e.message)
                                  for e in exc.errors)
        errors += control_errors({k: getattr(item, k) for k in (
            "fault", "pre_existing_faults", "accessories", "passcode", "checklist")}, where)
        line["fault"] = collapse_spaces(item.fault)
        if not line["fault"]:
            errors.append(FieldError(f"{where}.fault", "required",
                                     "describe the fault as the customer tells it"))
        elif len(line["fault"]) > MAX_FAULT:
            errors.append(FieldError(f"{where}.fault", "too_long",
                                     f"must be at most {MAX_FAULT} characters"))
        try:
            line["checklist"] = checks.clean(item.checklist, f"{where}.checklist")
        except ValidationError as exc:
            errors.extend(exc.errors)
        line["pre_existing_faults"] = item.pre_existing_faults.strip()
        line["accessories"] = collapse_spaces(item.accessories)
        if len(item.passcode) > MAX_PASSCODE:
            errors.append(FieldError(f"{where}.passcode", "too_long",
                                     f"must be at most {MAX_PASSCODE} characters"))
        line["passcode"] = item.passcode.strip()
        lines.append(line)
    estimate = deposit = None
    try:
        estimate = parse_amount(data.estimate, "estimate", required=False)
    except ValidationError as exc:
        errors.extend(exc.errors)
    try:
        deposit = amount(data.deposit if data.deposit is not None else "0", "deposit")
    except ValidationError as exc:
        errors.extend(exc.errors)
    if data.estimate_approved is not None and data.estimate in (None, ""):
        errors.append(FieldError("estimate_approved", "no_estimate",
                                 "there is no estimate to approve"))
    promised = None
    try:
        promised = promised_day(data.promised_by, local_today, promised_days)
    except ValidationError as exc:
        errors.extend(exc.errors)
    if errors:
        raise ValidationError(errors)
    return lines, estimate, deposit, promised
