"""Enter on an IMEI, serial or ticket number as people and scanners write it opens
the device or ticket, not the owner's profile (issue 12)."""

from __future__ import annotations

from uuid import UUID

import pytest
from PySide6.QtCore import Qt

from shopdesk.domain.device_rules import DeviceInput
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from tests.core.repair_helpers import IPHONE

SERIAL = "F2LXK0QJHG7F"


def intake(shop: Shop, owner: UUID) -> str:
    saved = shop.tickets.intake(TicketIntake(owner, [
        TicketDeviceIntake("no power", device=DeviceInput(make="Apple", model="iPhone 13",
                                                          imei=IPHONE)),
        TicketDeviceIntake("cracked", device=DeviceInput(make="Apple", model="MacBook Air",
                                                         serial=SERIAL))]))
    return saved.ticket.summary.number


def enter(qtbot, window: MainWindow, text: str) -> None:  # type: ignore[no-untyped-def]
    box = window.search.box
    box.setFocus()
    box.clear()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


@pytest.mark.parametrize("written", [
    f"{IPHONE[:2]} {IPHONE[2:8]} {IPHONE[8:14]} {IPHONE[14]}",  # as printed on the box
    f"{IPHONE[:2]}-{IPHONE[2:8]}-{IPHONE[8:14]}-{IPHONE[14]}",
    f"{IPHONE[:8]}.{IPHONE[8:]}",
    f"  {IPHONE} ",
    "f2lxk 0qjhg7f",
])
def test_device_numbers_as_written_open_the_device(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID],  # type: ignore[no-untyped-def]
        written: str) -> None:
    intake(shop, customers["Dubois"])
    with qtbot.waitSignal(window.device.loaded, timeout=5000):
        enter(qtbot, window, written)
    assert window.stack.currentWidget() is window.device


def test_ticket_number_in_lower_case_and_groups_opens_the_ticket(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:  # type: ignore[no-untyped-def]
    number = intake(shop, customers["Dubois"])
    with qtbot.waitSignal(window.ticket.loaded, timeout=5000):
        enter(qtbot, window, " " + number.lower().replace("-", " ") + " ")
    assert window.ticket.title.text() == number


def test_a_two_word_name_still_opens_the_customer(
        qtbot, window: MainWindow, customers: dict[str, UUID]) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.profile.loaded, timeout=5000):
        enter(qtbot, window, "Chloe Dubois")
    assert window.profile.customer_id == customers["Dubois"]
