"""Plain data the documents are drawn from: frozen dataclasses, no ORM, no Qt.

Amounts are two-place `Decimal`s in the shop's currency; dates are `date`s or
aware datetimes already converted to the shop's local time by the caller.

Thread rule: any thread; pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class ShopHeader:
    name: str
    address: str = ""
    phone: str = ""
    currency: str = "GBP"
    logo_path: str = ""  # PNG/JPEG file; "" or a missing file: no logo
    locale: str = "en_GB"  # how amounts are written (Babel locale name)


@dataclass(frozen=True)
class DeviceLine:
    make: str
    model: str
    imei: str | None = None
    serial: str | None = None
    fault: str = ""
    checklist: tuple[tuple[str, str], ...] = ()  # (check, "Yes" / "No" / "Not tested" / note)
    pre_existing_faults: str = ""
    accessories: str = ""

    @property
    def name(self) -> str:
        return f"{self.make} {self.model}".strip()

    @property
    def ident(self) -> str:
        if self.imei:
            return f"IMEI {self.imei}"
        return f"S/N {self.serial}" if self.serial else ""


@dataclass(frozen=True)
class ChargeLine:
    """One line of a receipt: a part (quantity x unit price) or labour."""

    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ReceiptData:
    shop: ShopHeader
    number: str
    issued_at: datetime
    customer_name: str
    customer_code: str
    devices: tuple[DeviceLine, ...]
    lines: tuple[ChargeLine, ...]
    total: Decimal
    tax_rate: Decimal  # percent, included in the total
    tax: Decimal
    deposit: Decimal
    paid_now: Decimal
    payment_method: str  # label, "" when nothing was paid now
    balance: Decimal
    warranty_terms: str = ""
    warranty_until: date | None = None
    technician: str = ""
    paper: str = "80mm"  # "80mm", "a4" or "letter"
    # Loyalty (issue 17): points redeemed as a payment line, earned, and the new balance.
    points_redeemed: int = 0
    points_value: Decimal = Decimal("0.00")
    points_earned: int | None = None  # None: not collected yet, nothing to show
    points_balance: int = 0


@dataclass(frozen=True)
class LabelData:
    number: str
    customer_name: str
    devices: tuple[DeviceLine, ...]  # one label each
    received_on: date | None = None
    size: str = "62x29mm"  # or "2.25x1.25in"


@dataclass(frozen=True)
class JobSheetData:
    shop: ShopHeader
    number: str
    received_at: datetime
    customer_name: str
    customer_code: str
    customer_phone: str
    customer_email: str
    devices: tuple[DeviceLine, ...]
    estimate: Decimal | None
    deposit: Decimal
    technician: str = ""
    terms: str = ""
    staff_name: str = ""


@dataclass(frozen=True)
class FeedbackData:
    shop: ShopHeader
    number: str
    customer_name: str
    devices: tuple[str, ...]
    collected_on: date | None = None
    survey_url: str = ""


@dataclass(frozen=True)
class CountRow:
    label: str
    count: int
    amount: Decimal | None = None


@dataclass(frozen=True)
class TicketRow:
    number: str
    created_on: date
    customer_name: str
    technician: str
    status: str
    devices: str
    amount: Decimal | None


@dataclass(frozen=True)
class ReportData:
    shop: ShopHeader
    date_from: date
    date_to: date
    generated_at: datetime
    customers_by_channel: tuple[CountRow, ...]
    tickets_by_status: tuple[CountRow, ...]
    tickets_by_technician: tuple[CountRow, ...]  # amount: revenue of collected tickets
    revenue_by_service: tuple[CountRow, ...]  # count: services; amount: revenue
    tickets: tuple[TicketRow, ...] = field(default_factory=tuple)


_PAYMENT = {"cash": "Cash", "card": "Card", "mobile_money": "Mobile money",
            "bank_transfer": "Bank transfer", "store_credit": "Store credit"}


def payment_label(method: str | None) -> str:
    """'Cash', 'Mobile money': how a payment method is printed and shown."""
    return _PAYMENT.get(method or "", (method or "").replace("_", " ").capitalize())
