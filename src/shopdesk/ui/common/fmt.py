"""Turning stored values into what staff read: labels, amounts, local times, phones, errors.

Pure functions, no widgets; safe on any thread. Amounts are written in the
shop's currency and locale (`money`, the rule the printed documents use too);
the window sets them once at start and again when the settings change
(`set_money_format`, GUI thread).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from shopdesk.domain.choices import (
    BestTime,
    Channel,
    ContactMethod,
    CustomerType,
    DeviceCondition,
    DocumentKind,
    Gender,
    IdDocumentType,
    LoyaltyTier,
    PaymentMethod,
    ServiceKind,
)
from shopdesk.domain.money import format_money
from shopdesk.domain.permissions import Role
from shopdesk.domain.phones import format_phone
from shopdesk.domain.support import Level, Priority, SupportStatus
from shopdesk.domain.tickets import TicketStatus
from shopdesk.errors import ValidationError


class _Choice(Protocol):
    """A member of a closed list: stored as its value, shown as its label."""

    @property
    def label(self) -> str: ...


DASH = "—"
# Each closed list by the name of the field that stores it; called with a stored value.
ENUMS: dict[str, Callable[[str], _Choice]] = {
    "customer_type": CustomerType, "channel": Channel, "preferred_contact": ContactMethod,
    "gender": Gender, "best_time": BestTime, "kind": DocumentKind,
    "id_document_type": IdDocumentType, "loyalty_tier": LoyaltyTier, "role": Role,
}

# The stored repair and support choices `label` knows.
_ENUMS: dict[str, Callable[[str], _Choice]] = {
    "status": TicketStatus, "condition": DeviceCondition, "payment": PaymentMethod,
    "service_kind": ServiceKind, "priority": Priority, "level": Level,
    "support_status": SupportStatus,
}

# What each customer field is called on screen.
FIELD_LABELS: dict[str, str] = {
    "first_name": "First name", "last_name": "Last name", "phone": "Mobile phone",
    "email": "E-mail", "address_line1": "Address line 1", "address_line2": "Address line 2",
    "city": "City", "region": "Region / county", "postcode": "Postcode", "country": "Country",
    "preferred_contact": "Preferred contact", "date_of_birth": "Date of birth",
    "gender": "Gender", "occupation": "Occupation", "company": "Company",
    "secondary_phone": "Secondary phone", "whatsapp": "WhatsApp", "customer_type": "Customer type",
    "notes": "Notes", "channel": "Registered via", "best_time": "Best time to contact",
    "language": "Language", "marketing_opt_in": "Marketing messages",
    "service_notifications": "Service notifications",
    # staff accounts
    "display_name": "Name", "username": "Username", "secret": "PIN or password",
    "role": "Role",
    # devices, tickets, support
    "make": "Make", "model": "Model", "imei": "IMEI", "imei2": "Second IMEI",
    "serial": "Serial number", "condition": "Condition", "fault": "Fault",
    "passcode": "Passcode", "estimate": "Estimate", "deposit": "Deposit",
    "final_amount": "Final amount", "payment_method": "Payment method",
    "satisfaction": "Satisfaction", "labour": "Labour", "unit_price": "Unit price",
    "quantity": "Quantity", "subject": "Subject", "resolution": "Resolution",
    "refund": "Refund",
}

# Labels the enums' generic `.label` spells awkwardly.
_VERB_STARTS = ("is ", "must ", "cannot ", "already ", "has ", "should ")


def choice_label(member: _Choice) -> str:
    """What a combo box shows for an enum member."""
    return member.label


def label_of(kind: str, value: object) -> str:
    """The `.label` of a stored enum value (or the value itself if unknown)."""
    if value in (None, ""):
        return DASH
    enum = ENUMS.get(kind)
    if enum is not None:
        try:
            return enum(str(value)).label
        except ValueError:
            pass
    return str(value)


def local_time(moment: datetime | None, with_time: bool = True) -> str:
    """A UTC instant shown in the computer's local time zone."""
    if moment is None:
        return DASH
    local = moment.astimezone()
    return local.strftime("%d %b %Y %H:%M" if with_time else "%d %b %Y")


def day(value: date | str | None) -> str:
    """A date (or an ISO date text) as staff read it: '07 Mar 2025'."""
    if value is None or value == "":
        return DASH
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    try:
        return date.fromisoformat(value).strftime("%d %b %Y")
    except ValueError:
        return value  # not a date after all: shown as stored


def phone(e164: str | None, region: str) -> str:
    return format_phone(e164, region) if e164 else DASH


def text(value: object) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def field_message(field: str, message: str) -> str:
    """A FieldError as a sentence: 'First name is required'."""
    if message.startswith(_VERB_STARTS):
        return f"{FIELD_LABELS.get(field, field.replace('_', ' ').capitalize())} {message}"
    return message[:1].upper() + message[1:]


def size(n: int) -> str:
    """A file size as people read it: '512 bytes', '3.4 KB', '12.0 MB'."""
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


_money_format = ("GBP", "en_GB")  # (currency, locale): see set_money_format


def set_money_format(currency: str, locale: str) -> None:
    """The shop's currency and locale for `money` (from `settings.money_format()`)."""
    global _money_format
    _money_format = (currency, locale)


def money(value: Decimal | None) -> str:
    """An amount in the shop's currency as its locale writes it ('£49.99', '49,99 €'),
    or a dash when unknown: the same rule as the receipts."""
    return format_money(value, *_money_format, empty=DASH)


def amount_text(value: Decimal | None) -> str:
    """An amount to edit in a text field: '49.99' (no symbol), '' when unknown."""
    return "" if value is None else f"{value:.2f}"


def label(kind: str, value: str | None) -> str:
    """The label of a stored repair/support choice ('awaiting_parts' -> 'Awaiting parts')."""
    if not value:
        return DASH
    try:
        return _ENUMS[kind](value).label
    except ValueError:
        return value


def error_text(error: BaseException) -> str:
    """A core error as one or more sentences for a message box or banner."""
    if isinstance(error, ValidationError):
        return "\n".join(field_message(e.field.rpartition(".")[2], e.message)
                         for e in error.errors)
    message = str(error)
    return message[:1].upper() + message[1:]
