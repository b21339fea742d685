"""The search box names devices and tickets by IMEI, serial or number (issue #4)."""

from __future__ import annotations

from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from tests.core.repair_helpers import IPHONE, customer, phone_input


def test_imei_serial_and_numbers_are_identified(shop: Shop) -> None:
    owner = customer(shop)
    ticket = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("Cracked screen", device=phone_input(serial="F2LXK0QJHG7F"))])).ticket
    support = shop.support.open(owner, "Screen flickers again", "since the repair").ticket
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
