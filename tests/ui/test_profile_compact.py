"""The customer profile at the counter (issue 12): open tickets in its header,
Tickets and Devices on screen without scrolling at 1366 x 768, a blank address
shows nothing."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QScrollArea

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from tests.core.test_worklist import ticket
from tests.ui.conftest import open_window

EVERYTHING = CustomerInput(
    first_name="Maximiliana", last_name="Castellanos-Villavicencio", phone="+34 612 345 678",
    whatsapp="+34 612 345 679", secondary_phone="0113 496 0000",
    email="maximiliana.castellanos@example.es", address_line1="Flat 4, 14 Wellington Street",
    address_line2="Wellington House", city="Leeds", region="West Yorkshire",
    postcode="LS1 4AP", country="GB", customer_type="business",
    company="Castellanos Telecom Repairs Ltd", date_of_birth="1988-03-14", gender="female",
    occupation="Architect", language="es", marketing_opt_in=True, channel="repair_intake",
    notes="Prefers WhatsApp in Spanish. Cracked screen twice in 2025. Invoices by e-mail to "
          "the company address, never to the shop in Leeds.")


def open_profile(qtbot, window: MainWindow, customer_id: UUID) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.profile.loaded):
        window.open_customer(customer_id)


def test_everything_fits_at_1366_by_768_with_tickets_and_devices_on_screen(
        qtbot, shop: Shop) -> None:
    customer_id = shop.customers.register(EVERYTHING).customer.id
    shop.customers.set_verified(customer_id, "phone", True)
    shop.customers.record_id_check(customer_id, "passport", "4821")
    ready = ticket(shop, customer_id, "35391110000080", "diagnosing", "in_repair", "ready")
    for n in range(4):
        ticket(shop, customer_id, f"3539111000009{n}", "diagnosing")
    window = open_window(qtbot, shop)
    try:
        window.resize(1366, 768)
        open_profile(qtbot, window, customer_id)
        profile = window.profile
        qtbot.waitUntil(lambda: profile.devices.tree.topLevelItemCount() == 5)
        qtbot.waitUntil(lambda: len(profile.open_tickets.buttons) == 3)
        assert profile.open_tickets.texts()[0].endswith("Ready for pickup")  # ready first
        assert "+2 more" in profile.open_tickets.more.text()
        assert ready in profile.tickets.ids()
        scroll = profile.findChild(QScrollArea)
        assert scroll is not None
        assert scroll.verticalScrollBar().maximum() == 0  # nothing to scroll to
        viewport = QRect(scroll.viewport().mapToGlobal(QPoint(0, 0)), scroll.viewport().size())
        tabs = QRect(profile.tabs.mapToGlobal(QPoint(0, 0)), profile.tabs.size())
        assert viewport.contains(tabs)
        assert tabs.height() >= 300  # room for the rows, not a sliver
        tab_titles = [profile.tabs.tabText(i) for i in range(profile.tabs.count())]
        assert "Tickets" in tab_titles and "Devices" in tab_titles
        assert profile.values["notes"].isVisible()
        assert "Leeds" in profile.values["address"].text()
        assert not profile.values["address"].text().endswith("GB")  # at home: no country
    finally:
        window.shutdown()


def test_open_tickets_in_the_header_open_their_ticket(qtbot, shop: Shop) -> None:
    customer_id = shop.customers.register(CustomerInput(
        first_name="Ana", last_name="López", phone="+44 7400 123456")).customer.id
    first = ticket(shop, customer_id, "35391110000100", "diagnosing")
    ready = ticket(shop, customer_id, "35391110000101", "diagnosing", "in_repair", "ready")
    ticket(shop, customer_id, "35391110000102", "cancelled")
    numbers = {t.id: t.number for t in shop.tickets.board()}
    window = open_window(qtbot, shop)
    try:
        open_profile(qtbot, window, customer_id)
        strip = window.profile.open_tickets
        qtbot.waitUntil(lambda: len(strip.buttons) == 2)
        assert strip.texts() == [f"{numbers[ready]} · Ready for pickup",
                                 f"{numbers[first]} · Diagnosing"]
        strip.buttons[0].setFocus()
        with qtbot.waitSignal(window.ticket.loaded):
            qtbot.keyClick(strip.buttons[0], Qt.Key.Key_Space)
        assert window.ticket.detail is not None and window.ticket.detail.summary.id == ready
    finally:
        window.shutdown()


def test_a_blank_address_shows_nothing_and_no_open_ticket_no_strip(
        qtbot, window: MainWindow, customers: dict[str, UUID]) -> None:
    open_profile(qtbot, window, customers["Müller"])  # Berlin, no street: an address
    profile = window.profile
    assert profile.values["address"].text() == "Berlin, DE"  # abroad: the country shows
    open_profile(qtbot, window, customers["López"])  # Leeds LS1 4AP at home
    assert profile.values["address"].text() == "LS1 4AP Leeds"
    shop = window.shop
    blank = shop.customers.register(CustomerInput(
        first_name="Kenji", last_name="Nakamura", phone="+44 7400 765432")).customer.id
    open_profile(qtbot, window, blank)
    assert not profile.values["address"].isVisible()  # no "GB" for a blank address
    assert "GB" not in profile.values["address"].text()
    assert not profile.values["company"].isVisible()
    assert profile.values["phone"].isVisible() and profile.values["email"].isVisible()
    assert not profile.open_tickets.isVisible()
