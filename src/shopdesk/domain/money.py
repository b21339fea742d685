"""Amounts of money as exact decimals in the shop's currency (never floats).

`parse_amount` accepts what staff type ("12.50", "12,50", "1,234.50", "£12")
or a Decimal/int, quantizes to two places (half up) and refuses negatives,
garbage and floats with a FieldError naming the field. Amounts are stored as
integer minor units (pence) by `shopdesk.models.base.Money`.

Pure functions; safe from any thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from shopdesk.errors import FieldError, ValidationError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("10000000.00")  # ten million: far above any counter sale
_CURRENCY = re.compile(r"^[£$€¥₹]|[£$€¥₹]$")

Amount = Decimal | int | str


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _from_text(text: str) -> Decimal:
    text = _CURRENCY.sub("", text.strip()).replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        # The later separator is the decimal one; the other groups thousands.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = f"{head.replace(',', '')}.{tail}" if len(tail) <= 2 else text.replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d*)?|-?\.\d+", text):
        raise InvalidOperation(text)
    return Decimal(text)


def parse_amount(value: Amount | None, field: str, *, required: bool = True) -> Decimal | None:
    """An amount >= 0 with two decimal places, or None when empty and not required."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(FieldError(field, "required", "an amount is required"))
        return None
    if isinstance(value, float | bool):
        raise ValidationError(FieldError(
            field, "money_format", "give the amount as text or a Decimal, not a float"))
    try:
        amount = _from_text(value) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValidationError(FieldError(
            field, "money_format", f"'{value}' is not an amount (e.g. 12.50)")) from None
    if not amount.is_finite():
        raise ValidationError(FieldError(field, "money_format", f"'{value}' is not an amount"))
    if amount < 0:
        raise ValidationError(FieldError(field, "money_negative",
                                         f"must not be negative (got {value})"))
    amount = quantize(amount)
    if amount > MAX_AMOUNT:
        raise ValidationError(FieldError(field, "money_too_large",
                                         f"must be at most {MAX_AMOUNT}"))
    return amount


def amount(value: Amount, field: str) -> Decimal:
    """`parse_amount` for a required amount (typed as never None)."""
    result = parse_amount(value, field)
    assert result is not None
    return result


def line_total(quantity: int, unit_price: Decimal) -> Decimal:
    return quantize(unit_price * quantity)


def total(amounts: Iterable[Decimal]) -> Decimal:
    return quantize(sum(amounts, ZERO))


def to_minor(value: Decimal) -> int:
    """Pence (minor units) of a two-place amount; exact."""
    return int((quantize(value) * 100).to_integral_value())


def from_minor(value: int) -> Decimal:
    return quantize(Decimal(value) / 100)


def split_evenly(value: Decimal, parts: int) -> list[Decimal]:
    """`value` in `parts` shares to the penny; the first shares take the odd pennies."""
    minor = to_minor(value)
    share, rest = divmod(minor, parts)
    return [from_minor(share + (1 if i < rest else 0)) for i in range(parts)]


def format_amount(value: Decimal | None) -> str:
    return "" if value is None else f"{quantize(value):.2f}"
