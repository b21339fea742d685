"""The start screen: today's work with counts; the box keeps the focus; keys open
each ticket; the lists follow the writes made in the window (issue 12)."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from tests.conftest import Clock
from tests.core.test_worklist import ticket
from tests.ui.conftest import open_window


def register_ana(shop: Shop) -> UUID:
    return shop.customers.register(CustomerInput(
        first_name="Ana", last_name="López", phone="+44 7400 123456")).customer.id


def test_counts_keys_and_enter_open_each_ticket(qtbot, shop: Shop, clock: Clock) -> None:
    ana = register_ana(shop)
    late = ticket(shop, ana, "35391110000040", "diagnosing")
    clock.advance(days=5)
    ready = ticket(shop, ana, "35391110000041", "diagnosing", "in_repair", "ready")
    approval = ticket(shop, ana, "35391110000042", "awaiting_approval")
    parts = ticket(shop, ana, "35391110000043", "diagnosing", "awaiting_parts")
    window = open_window(qtbot, shop)
    try:
        search, today = window.search, window.search.today
        assert QApplication.focusWidget() is search.box
        assert search.results.currentWidget() is today
        assert {key: today.count(key) for key in today.cards} == {
            "ready": 1, "overdue": 1, "awaiting_approval": 1, "awaiting_parts": 1}
        assert today.cards["overdue"].number.text() == "1"
        assert today.ticket_ids() == [ready, late, approval, parts]
        assert today.current_ticket() == ready  # the first ticket is chosen

        expected = [ready, late, approval, parts]
        for ticket_id in expected:
            assert today.current_ticket() == ticket_id
            with qtbot.waitSignal(window.ticket.loaded):
                qtbot.keyClick(search.box, Qt.Key.Key_Return)
            assert window.stack.currentWidget() is window.ticket
            assert window.ticket.detail is not None
            assert window.ticket.detail.summary.id == ticket_id
            # The ticket page rebuilds its buttons on load and (before the repair
            # branch's keyboard work) leaves no widget focused; give the window back
            # its keys so Esc is the window's.
            window.activateWindow()
            qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
            qtbot.keyClick(window, Qt.Key.Key_Escape)
            assert window.stack.currentWidget() is search
            assert QApplication.focusWidget() is search.box  # it keeps the focus
            assert today.current_ticket() == ticket_id  # still chosen after coming back
            qtbot.keyClick(search.box, Qt.Key.Key_Down)
        qtbot.keyClick(search.box, Qt.Key.Key_PageUp)
        assert today.current_group() == "awaiting_approval"
        qtbot.keyClick(search.box, Qt.Key.Key_PageUp)
        assert today.current_ticket() == late
    finally:
        window.shutdown()


def test_a_write_in_the_window_moves_the_ticket_between_groups(
        qtbot, shop: Shop) -> None:
    ana = register_ana(shop)
    parts = ticket(shop, ana, "35391110000050", "diagnosing", "awaiting_parts")
    window = open_window(qtbot, shop)
    try:
        today = window.search.today
        assert today.ticket_ids("awaiting_parts") == [parts]
        tickets = shop.tickets
        window.ops.write(window, lambda: tickets.change_status(parts, "in_repair"))
        window.ops.write(window, lambda: tickets.change_status(parts, "ready"))
        qtbot.waitUntil(lambda: today.ticket_ids("ready") == [parts])
        assert today.count("awaiting_parts") == 0
        assert today.cards["awaiting_parts"].empty.isVisible()
        assert QApplication.focusWidget() is window.search.box
    finally:
        window.shutdown()


def test_typing_shows_customers_and_clearing_shows_todays_work(
        qtbot, shop: Shop) -> None:
    ana = register_ana(shop)
    ready = ticket(shop, ana, "35391110000060", "diagnosing", "in_repair", "ready")
    window = open_window(qtbot, shop)
    try:
        search = window.search
        qtbot.keyClicks(search.box, "lopez")
        qtbot.waitUntil(lambda: search.results.currentWidget() is search.table)
        qtbot.waitUntil(lambda: search.model.ids == [ana])
        search.box.clear()
        qtbot.waitUntil(lambda: search.results.currentWidget() is search.today)
        assert search.today.ticket_ids() == [ready]
        opened: list[UUID] = []
        search.open_customer.connect(lambda customer_id: opened.append(customer_id))
        with qtbot.waitSignal(window.ticket.loaded):
            qtbot.keyClick(search.box, Qt.Key.Key_Enter)
        assert window.ticket.detail is not None and window.ticket.detail.summary.id == ready
        assert opened == []
    finally:
        window.shutdown()
