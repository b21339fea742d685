"""Shared builders for the device, ticket and support tests."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.domain.device_rules import DeviceInput
from shopdesk.domain.imei import luhn_check_digit
from shopdesk.models import Base
from shopdesk.shop import Shop

TECH_SECRET = "tech-pass-1"


def imei(first14: str) -> str:
    return first14 + str(luhn_check_digit(first14))


IPHONE = imei("35391110123456")  # TAC 35391110
IPHONE_2 = imei("35391110999999")
GALAXY = imei("35291612000001")


def customer(shop: Shop, phone: str = "07400 123456", first: str = "Ana") -> UUID:
    return shop.customers.register(CustomerInput(
        first_name=first, last_name="López", phone=phone)).customer.id


def phone_input(number: str = IPHONE, **overrides: object) -> DeviceInput:
    base: dict[str, object] = dict(make="Apple", model="iPhone 13", imei=number)
    base.update(overrides)
    return DeviceInput(**base)  # type: ignore[arg-type]


def add_staff(shop: Shop, username: str, role: str, secret: str = TECH_SECRET) -> UUID:
    return shop.staff.create(username, username.capitalize(), role, secret).id


def counts(shop: Shop) -> dict[str, int]:
    """Rows per table: compared before and after a refused write."""
    with shop.store.read() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables}
