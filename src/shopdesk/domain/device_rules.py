"""The device form (spec 5.3): what staff type about a phone, tablet or laptop.

`clean_device` is pure: it turns a DeviceInput into stored values or raises one
ValidationError listing every broken rule. IMEIs are checked with their Luhn
digit, serials normalised (see `shopdesk.domain.imei`). Uniqueness of IMEIs
needs the database and is checked by `shopdesk.services.repairs.devices`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from shopdesk.domain.choices import DeviceCondition
from shopdesk.domain.imei import clean_imei, clean_serial, tac
from shopdesk.domain.text import collapse_spaces, control_errors
from shopdesk.errors import FieldError, ValidationError

MAX_MAKE = 60
MAX_MODEL = 80


@dataclass(frozen=True)
class DeviceInput:
    make: str = ""
    model: str = ""
    imei: str = ""
    imei2: str = ""  # the second SIM slot's IMEI on dual-SIM phones
    serial: str = ""
    purchase_date: date | str | None = None
    manufacturer_warranty_until: date | str | None = None
    condition: str = DeviceCondition.GOOD.value

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    def merged(self, changes: dict[str, Any]) -> DeviceInput:
        unknown = set(changes) - set(self.field_names())
        if unknown:
            raise ValidationError([FieldError(n, "unknown_field", "is not a device field")
                                   for n in sorted(unknown)])
        return dataclasses.replace(self, **changes)


def _date(value: date | str | None, field: str, errors: list[FieldError]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(FieldError(field, "date_format", "use a date like 2025-03-31"))
        return None


def clean_device(data: DeviceInput, today: date) -> dict[str, Any]:
    """Validated values: make, model, imei, imei2, serial, tac, dates, condition."""
    errors: list[FieldError] = control_errors(data)
    make = collapse_spaces(data.make)
    model = collapse_spaces(data.model)
    if not make:
        errors.append(FieldError("make", "required", "is required (e.g. Apple, Samsung)"))
    elif len(make) > MAX_MAKE:
        errors.append(FieldError("make", "too_long", f"must be at most {MAX_MAKE} characters"))
    if not model:
        errors.append(FieldError("model", "required", "is required (e.g. iPhone 13)"))
    elif len(model) > MAX_MODEL:
        errors.append(FieldError("model", "too_long", f"must be at most {MAX_MODEL} characters"))
    values: dict[str, Any] = {"make": make, "model": model}
    for field in ("imei", "imei2"):
        raw = getattr(data, field)
        values[field] = None
        if raw and raw.strip():
            try:
                values[field] = clean_imei(raw, field)
            except ValidationError as exc:
                errors.extend(exc.errors)
    if values["imei2"] and not values["imei"]:
        values["imei"], values["imei2"] = values["imei2"], None
    if values["imei"] and values["imei"] == values["imei2"]:
        errors.append(FieldError("imei2", "imei_same", "is the same as the first IMEI"))
    values["serial"] = None
    if data.serial and data.serial.strip():
        try:
            values["serial"] = clean_serial(data.serial)
        except ValidationError as exc:
            errors.extend(exc.errors)
    values["tac"] = tac(values["imei"]) if values["imei"] else None
    values["purchase_date"] = _date(data.purchase_date, "purchase_date", errors)
    if values["purchase_date"] and values["purchase_date"] > today:
        errors.append(FieldError("purchase_date", "future", "cannot be in the future"))
    values["manufacturer_warranty_until"] = _date(
        data.manufacturer_warranty_until, "manufacturer_warranty_until", errors)
    condition = (data.condition or DeviceCondition.GOOD.value).strip().lower()
    if condition not in {c.value for c in DeviceCondition}:
        errors.append(FieldError("condition", "choice", "must be one of: "
                                 + ", ".join(c.value for c in DeviceCondition)))
    values["condition"] = condition
    if errors:
        raise ValidationError(errors)
    return values


def known_by_identifier(data: DeviceInput, refused: ValidationError) -> dict[str, Any] | None:
    """When `clean_device` refused `data` only for a missing make and model, and it has
    a valid IMEI or serial: the cleaned identifiers (to look the device up by), else None."""
    if not all(e.field in ("make", "model") and e.rule == "required" for e in refused.errors):
        return None
    values: dict[str, Any] = {"imei": None, "imei2": None, "serial": None}
    if data.imei and data.imei.strip():
        values["imei"] = clean_imei(data.imei)
    if data.serial and data.serial.strip():
        values["serial"] = clean_serial(data.serial)
    return values if values["imei"] or values["serial"] else None
