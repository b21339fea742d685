"""The search box names devices and tickets by IMEI, serial or number (issue #4)."""

from __future__ import annotations

from uuid import UUID

import pytest

from shopdesk.search.identify import looks_like_identifier
from shopdesk.services.repairs.repair_views import SupportDetail, TicketDetail
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from tests.core.repair_helpers import IPHONE, customer, phone_input


def intake(shop: Shop) -> tuple[UUID, TicketDetail, SupportDetail]:
    """A customer with a repair (an iPhone with a serial too) and a support ticket."""
    owner = customer(shop)
    ticket = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("Cracked screen", device=phone_input(serial="F2LXK0QJHG7F"))])).ticket
    support = shop.support.open(owner, "Screen flickers again", "since the repair").ticket
    return owner, ticket, support


def test_imei_serial_and_numbers_are_identified(shop: Shop) -> None:
    owner, ticket, support = intake(shop)
    device_id = ticket.devices[0].device.id

    spaced = f"{IPHONE[:2]} {IPHONE[2:8]} {IPHONE[8:14]} {IPHONE[14]}"
    for text in (IPHONE, spaced, "f2lxk0qjhg7f"):
        named = shop.identify(text)
        assert named is not None and (named.kind, named.id) == ("device", device_id), text
        assert named.customer_id == owner
    number = ticket.summary.number
    assert shop.identify(number.lower()) == shop.identify(number)
    named = shop.identify(number)
    assert named is not None and (named.kind, named.id) == ("repair_ticket", ticket.summary.id)
    named = shop.identify(support.ticket.number)
    assert named is not None and named.kind == "support_ticket"
    for text in ("", "smith", "john smith", "0740", "R-ZZZZ-9999", "356938035643809"):
        assert shop.identify(text) is None, text


def test_search_box_finds_the_owner_by_imei_or_ticket(shop: Shop) -> None:
    owner = customer(shop)
    ticket = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("No power", device=phone_input())])).ticket
    assert [h.id for h in shop.search(IPHONE)] == [owner]
    assert next(h.id for h in shop.search(ticket.summary.number)) == owner


def test_numbers_as_people_and_scanners_write_them(shop: Shop) -> None:
    owner, ticket, support = intake(shop)
    device_id = ticket.devices[0].device.id
    groups = (IPHONE[:2], IPHONE[2:8], IPHONE[8:14], IPHONE[14])
    for text in (" ".join(groups), "-".join(groups), ".".join(groups), "/".join(groups),
                 f"{IPHONE}\r\n", f"{IPHONE}\n", f"\t {IPHONE}  ", f"{groups[0]} - {IPHONE[2:]}",
                 "f2lx-k0qj-hg7f", " F2LXK0QJHG7F\r"):
        named = shop.identify(text)
        assert named is not None and (named.kind, named.id) == ("device", device_id), repr(text)
    number = ticket.summary.number  # R-NODE-0001
    for text in (number.lower(), f"  {number}\r\n", number.replace("-", " "),
                 number.lower().replace("-", " - ")):
        named = shop.identify(text)
        assert named is not None and named.kind == "repair_ticket", repr(text)
        assert named.id == ticket.summary.id
    named = shop.identify(support.ticket.number.lower().replace("-", " "))
    assert named is not None and named.kind == "support_ticket"
    # The search box lists the owner for them too.
    assert [h.id for h in shop.search(" ".join(groups))] == [owner]


@pytest.mark.parametrize("text,expected", [
    ("353911101234566", True), ("35 391110 123456 6", True), ("35-391110-123456-6", True),
    ("r-abcd-0001", True), ("F2LXK0QJHG7F\r\n", True), ("smith", True),  # a serial may be letters
    ("john smith", False), ("anna-maria", False), ("0740", False), ("", False),
    ("ana@example.com", False), ("j. smith", False),
])
def test_what_looks_like_an_identifier(text: str, expected: bool) -> None:
    assert looks_like_identifier(text) is expected
