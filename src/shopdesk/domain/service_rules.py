"""Service records (spec 5.1, 5.2): parts, labour, payment, satisfaction, as typed.

Pure validation: each function returns clean values or raises ValidationError
naming the field (parts are named ``parts[0].unit_price`` and so on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from shopdesk.domain.choices import PaymentMethod, ServiceKind
from shopdesk.domain.money import Amount, amount, line_total, total
from shopdesk.domain.text import collapse_spaces, control_errors
from shopdesk.errors import FieldError, ValidationError

MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class PartInput:
    name: str
    quantity: int | str = 1
    unit_price: Amount = "0"
    sku: str = ""


@dataclass(frozen=True)
class ServiceInput:
    """A service outside a repair ticket (a part sold, a consultation, a return...)."""

    customer_id: UUID
    kind: str
    description: str
    device_id: UUID | None = None
    technician_id: UUID | None = None
    parts: Sequence[PartInput] = ()
    labour: Amount = "0"
    payment_method: str | None = None
    satisfaction: int | str | None = None
    occurred_at: datetime | None = None  # defaults to now


def quantity_and_price(quantity: int | str, unit_price: Amount, where: str,
                       errors: list[FieldError]) -> tuple[int, Decimal]:
    """A line's whole quantity (1 to MAX_QUANTITY) and unit price; what is wrong goes to
    `errors` (as ``<where>.quantity`` / ``<where>.unit_price``), with 1 and 0 in its place."""
    try:
        count = int(str(quantity).strip())
        if not 1 <= count <= MAX_QUANTITY:
            raise ValueError
    except ValueError:
        errors.append(FieldError(f"{where}.quantity", "quantity",
                                 f"must be a whole number from 1 to {MAX_QUANTITY}"))
        count = 1
    try:
        price = amount(unit_price, f"{where}.unit_price")
    except ValidationError as exc:
        errors.extend(exc.errors)
        price = Decimal("0.00")
    return count, price


def clean_parts(parts: Sequence[PartInput], prefix: str = "parts") -> list[dict[str, Any]]:
    errors: list[FieldError] = []
    out: list[dict[str, Any]] = []
    for i, part in enumerate(parts):
        where = f"{prefix}[{i}]"
        errors += control_errors(part, where)
        name = collapse_spaces(part.name)
        sku = collapse_spaces(part.sku).upper() or None
        if not name and not sku:
            errors.append(FieldError(f"{where}.name", "required", "give a part name or SKU"))
        quantity, price = quantity_and_price(part.quantity, part.unit_price, where, errors)
        out.append({"name": name or sku, "sku": sku, "quantity": quantity,
                    "unit_price": price, "line_total": line_total(quantity, price)})
    if errors:
        raise ValidationError(errors)
    return out


def parts_total(parts: Sequence[dict[str, Any]]) -> Decimal:
    return total(p["line_total"] for p in parts)


def clean_kind(kind: str) -> str:
    value = (kind or "").strip().lower()
    if value not in {k.value for k in ServiceKind}:
        raise ValidationError(FieldError("kind", "choice", "must be one of: "
                                         + ", ".join(k.value for k in ServiceKind)))
    return value


def clean_payment(method: str | None, required: bool) -> str | None:
    value = (method or "").strip().lower()
    if not value:
        if required:
            raise ValidationError(FieldError("payment_method", "required",
                                             "say how the customer paid"))
        return None
    if value not in {m.value for m in PaymentMethod}:
        raise ValidationError(FieldError("payment_method", "choice", "must be one of: "
                                         + ", ".join(m.value for m in PaymentMethod)))
    return value


def clean_satisfaction(rating: int | str | None) -> int | None:
    if rating is None or (isinstance(rating, str) and not rating.strip()):
        return None
    try:
        value = int(str(rating).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        raise ValidationError(FieldError("satisfaction", "rating",
                                         "a satisfaction rating is 1 to 5"))
    return value
