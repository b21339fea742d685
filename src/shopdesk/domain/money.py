"""Amounts of money as exact decimals in the shop's currency (never floats).

`parse_amount` accepts what staff type ("12.50", "12,50", "1,234.50", "£12")
or a Decimal/int, quantizes to two places (half up) and refuses negatives,
garbage and floats with a FieldError naming the field. Amounts are stored as
integer minor units (pence) by `shopdesk.models.base.Money`.

`settle` is the one rule for what a repair ticket owes (screens and receipts
agree); `format_money` the one rule for writing an amount in the shop's
currency and locale (Babel's CLDR data: '£1,234.50', '1.234,50 €').

Pure functions; safe from any thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

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


# -- what a ticket owes ------------------------------------------------------------
@dataclass(frozen=True)
class Settlement:
    """The amounts a ticket's screen and its receipt both show (one rule for both).

    `total`: the final amount once collected, else what is expected (the work
    lines' total when there are lines, else the estimate, else zero).
    `paid_now`: what was paid at pickup (the total less the deposit).
    `balance`: what is still to pay: zero once the ticket is collected (the
    pickup takes the full payment) or cancelled.
    """

    total: Decimal
    deposit: Decimal
    paid_now: Decimal
    balance: Decimal


def settle(expected: Decimal | None, deposit: Decimal, final_amount: Decimal | None,
           closed: bool) -> Settlement:
    if final_amount is not None:  # collected: the pickup took the rest
        return Settlement(final_amount, deposit, max(ZERO, quantize(final_amount - deposit)),
                          ZERO)
    total = expected if expected is not None else ZERO
    balance = ZERO if closed else max(ZERO, quantize(total - deposit))
    return Settlement(total, deposit, ZERO, balance)


# -- how amounts are written -------------------------------------------------------
def default_locale(region: str) -> str:
    """The usual locale of a country ('GB' -> 'en_GB', 'DE' -> 'de_DE'); 'en_GB' if unknown."""
    try:
        return str(Locale.parse(f"und_{region.strip().upper()}"))
    except (ValueError, TypeError, UnknownLocaleError):
        return "en_GB"


def check_locale(value: str) -> str:
    """A locale Babel knows ('en_GB', 'de-DE', 'fr'), normalised; ValueError if not."""
    try:
        return str(Locale.parse(value.strip().replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError):
        raise ValueError(f"'{value}' is not a locale (e.g. en_GB, de_DE, fr_FR)") from None


@lru_cache(maxsize=32)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def format_money(value: Decimal | None, currency: str, locale: str, empty: str = "") -> str:
    """An amount as people of `locale` write `currency`: '£1,234.50', '1.234,50 €'.

    The one rule for the screens and the printed documents; `empty` for None.
    """
    if value is None:
        return empty
    try:
        where = _locale(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        where = _locale("en_GB")
    return format_currency(quantize(value), currency, locale=where)
