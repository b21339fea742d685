"""Repair screens: intake, board, detail workflow, pickup, devices tab, device history, scans."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from shopdesk.domain.device_rules import DeviceInput
from shopdesk.domain.imei import luhn_check_digit
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from shopdesk.ui.common.widgets import select_id
from shopdesk.ui.main_window import MainWindow


def imei(first14: str) -> str:
    return first14 + str(luhn_check_digit(first14))


IPHONE = imei("35391110123456")
GALAXY = imei("35291612000001")


def open_profile(qtbot, window: MainWindow, customer_id: UUID) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.profile.loaded):
        window.open_customer(customer_id)


def make_ticket(shop: Shop, customer_id: UUID, number: str = IPHONE,
                estimate: str | None = "89.00") -> UUID:
    saved = shop.tickets.intake(TicketIntake(customer_id, [TicketDeviceIntake(
        "screen black after a fall",
        device=DeviceInput(make="Apple", model="iPhone 13", imei=number),
        checklist={"Screen cracked": True}, pre_existing_faults="scratch on the back",
        passcode="1234")], estimate=estimate, deposit="20"))
    return saved.ticket.summary.id


def open_ticket(qtbot, window: MainWindow, ticket_id: UUID) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.ticket.loaded):
        window.open_ticket(ticket_id)


def test_intake_from_profile_creates_ticket_and_opens_it(qtbot, window: MainWindow, shop: Shop,
                                                         customers: dict[str, UUID]) -> None:
    open_profile(qtbot, window, customers["López"])
    window.profile.devices.ticket_button.click()
    intake = window.intake
    assert window.stack.currentWidget() is intake
    qtbot.waitUntil(lambda: intake.picker.customer_id == customers["López"])
    entry = intake.entries[0]
    qtbot.keyClicks(entry.line("make"), "Apple")
    qtbot.keyClicks(entry.line("model"), "iPhone 13")
    qtbot.keyClicks(entry.line("imei"), IPHONE)
    qtbot.keyClicks(entry.line("fault"), "Cracked screen")
    checks = entry.checklist  # one Tab stop: Down to "Screen cracked", Y answers it
    checks.setFocus()
    qtbot.keyClick(checks, Qt.Key.Key_Down)
    qtbot.keyClick(checks, Qt.Key.Key_Y)
    qtbot.keyClicks(entry.line("passcode"), "2580")
    intake.estimate.setText("120.00")
    intake.deposit.setText("20")
    with qtbot.waitSignal(window.ticket.loaded, timeout=5000):
        intake.save_button.click()
    assert window.stack.currentWidget() is window.ticket
    detail = window.ticket.detail
    assert detail is not None and detail.summary.customer_id == customers["López"]
    assert detail.devices[0].device.imei == IPHONE
    assert detail.devices[0].checklist["Screen cracked"] == "yes"
    assert detail.devices[0].checklist["Powers on"] == "not_tested"  # never read as "no"
    assert window.ticket.status.text() == "Received"
    assert window.ticket.values["estimate"].text() == "£120.00"
    assert len(shop.tickets.for_customer(customers["López"])) == 1


def test_invalid_imei_shows_inline_error_and_creates_nothing(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:
    window.new_ticket(customers["Müller"])
    intake = window.intake
    entry = intake.entries[0]
    entry.line("make").setText("Apple")
    entry.line("model").setText("iPhone 13")
    qtbot.keyClicks(entry.line("imei"), IPHONE[:-1] + str((int(IPHONE[-1]) + 1) % 10))
    assert entry.errors["imei"].isVisibleTo(intake)  # live, while typing
    assert "check digit" in entry.errors["imei"].text()
    entry.line("fault").setText("No sound")
    intake.save()
    assert not intake.saving
    assert shop.tickets.for_customer(customers["Müller"]) == []
    # the core's own errors land under their fields too
    entry.line("imei").setText("")
    entry.line("make").setText("")
    intake.estimate.setText("abc")
    intake.save()
    qtbot.waitUntil(lambda: bool(entry.errors["make"].text()))
    assert entry.errors["make"].text().startswith("Make is required")
    assert intake.errors["estimate"].text()
    assert shop.tickets.for_customer(customers["Müller"]) == []


def test_imei_type_code_suggests_make_and_model(qtbot, window: MainWindow, shop: Shop,
                                                customers: dict[str, UUID]) -> None:
    make_ticket(shop, customers["López"])
    window.new_ticket(customers["Dubois"])
    entry = window.intake.entries[0]
    qtbot.keyClicks(entry.line("imei"), imei("35391110555555"))
    qtbot.waitUntil(lambda: entry.line("model").text() == "iPhone 13")
    assert entry.line("make").text() == "Apple"


def test_board_lists_and_filters_by_status(qtbot, window: MainWindow, shop: Shop,
                                           customers: dict[str, UUID]) -> None:
    first = make_ticket(shop, customers["López"])
    second = make_ticket(shop, customers["Dubois"], GALAXY)
    shop.tickets.change_status(second, "diagnosing")
    number_1 = shop.tickets.get(first).summary.number
    number_2 = shop.tickets.get(second).summary.number
    board = window.board
    with qtbot.waitSignal(board.loaded):
        qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is board
    assert sorted(board.numbers()) == sorted([number_1, number_2])
    with qtbot.waitSignal(board.loaded):
        board.status.setCurrentIndex(board.status.findData("diagnosing"))
    assert board.numbers() == [number_2]
    assert board.model.index(0, 0).data() == "Diagnosing · 1"
    # a change elsewhere refreshes the board by itself
    with qtbot.waitSignal(board.loaded):
        window.ops.write(None, lambda: shop.tickets.change_status(first, "diagnosing"))
    assert sorted(board.numbers()) == sorted([number_1, number_2])
    board.tree.setCurrentIndex(board.model.index(0, 0, board.model.index(0, 0)))
    with qtbot.waitSignal(window.ticket.loaded):
        qtbot.keyClick(board.tree, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.ticket


def test_status_buttons_move_ticket_and_forbidden_moves_are_absent(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["López"])
    open_ticket(qtbot, window, ticket_id)
    page = window.ticket
    assert set(page.status_buttons) == {"diagnosing", "awaiting_approval", "in_repair",
                                        "cancelled"}
    assert "ready" not in page.status_buttons  # received -> ready is not allowed
    assert not page.pickup_button.isVisibleTo(page)
    for target in ("diagnosing", "in_repair", "ready"):
        with qtbot.waitSignal(page.loaded):
            page.status_buttons[target].click()
        assert page.detail is not None and page.detail.summary.status == target
    assert page.status.text() == "Ready"
    assert page.pickup_button.isVisibleTo(page)
    assert "collected" not in page.status_buttons
    assert page.history.topLevelItem(0).text(1) == "In repair → Ready"
    # a move the workflow forbids is refused with the reason, nothing changes
    page.change_status("awaiting_parts")
    qtbot.waitUntil(lambda: bool(page.error.text()))
    assert "cannot move to awaiting parts" in page.error.text()
    assert shop.tickets.get(ticket_id).summary.status == "ready"


def test_pickup_dialog_collects_and_service_history_shows_record(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["López"])
    for status in ("diagnosing", "in_repair", "ready"):
        shop.tickets.change_status(ticket_id, status)
    open_ticket(qtbot, window, ticket_id)
    page = window.ticket
    work = page.work
    work.add_line("labour")
    work.table.item(0, 2).setText("Replaced screen")
    work.table.item(0, 5).setText("40.00")
    work.add_line("part")
    work.table.item(1, 2).setText("Screen assembly")
    work.table.item(1, 3).setText("SCR-13")
    work.table.item(1, 5).setText("50.00")
    assert work.total.text() == "Total £90.00"
    with qtbot.waitSignal(page.loaded):
        work.save.click()
    assert [w.description for w in page.detail.work] == ["Replaced screen", "Screen assembly"]
    dialog = page.open_pickup()
    assert dialog is not None
    assert dialog.final_amount.text() == "90.00"  # the work lines' total
    dialog.final_amount.setText("89.00")  # does not add up: Enter does nothing yet
    assert not dialog.ok.isEnabled()
    assert "the work lines add up to £90.00" in dialog.missing.text()
    dialog.submit()
    assert shop.tickets.get(ticket_id).summary.status == "ready"
    dialog.final_amount.setText("90.00")
    dialog.payment.setCurrentIndex(dialog.payment.findData("card"))
    assert dialog.technician.isVisibleTo(dialog)  # nobody was assigned: the dialog asks who
    qtbot.waitUntil(lambda: dialog.technician.count() > 1)
    assert "choose the technician" in dialog.missing.text()
    dialog.technician.setCurrentIndex(1)
    dialog.satisfaction.setCurrentIndex(dialog.satisfaction.findData(5))
    assert dialog.ok.isEnabled()
    with qtbot.waitSignal(page.loaded):
        dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert page.status.text() == "Collected"
    assert page.values["balance"].text() == "£0.00"  # paid in full, as the receipt says
    assert page.values["paid"].text() == "£70.00 · Card"
    assert page.status_buttons == {}
    assert page.detail.summary.technician_id is not None
    open_profile(qtbot, window, customers["López"])
    services = window.profile.services
    qtbot.waitUntil(lambda: services.tree.topLevelItemCount() == 1)
    assert services.texts(2) == ["Replaced screen"]
    assert services.texts(4) == ["£90.00"]
    assert services.texts(5) == ["Card"]
    assert services.texts(6) == ["5/5"]


def test_devices_tab_lists_device_and_opens_history(qtbot, window: MainWindow, shop: Shop,
                                                    customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["López"])
    open_profile(qtbot, window, customers["López"])
    devices = window.profile.devices
    qtbot.waitUntil(lambda: devices.tree.topLevelItemCount() == 1)
    assert devices.texts(0) == ["Apple iPhone 13"]
    assert devices.texts(1) == [IPHONE]
    tickets = window.profile.tickets
    qtbot.waitUntil(lambda: tickets.tree.topLevelItemCount() == 1)
    devices.tree.setCurrentItem(devices.tree.topLevelItem(0))
    with qtbot.waitSignal(window.device.loaded):
        qtbot.keyClick(devices.tree, Qt.Key.Key_Return)
    page = window.device
    assert window.stack.currentWidget() is page
    assert page.title.text() == "Apple iPhone 13"
    rows = page.rows()
    number = shop.tickets.get(ticket_id).summary.number
    assert rows[0][1] == number
    assert rows[0][4] == "scratch on the back"
    assert "López" in rows[0][5]
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # back to the profile
    assert window.stack.currentWidget() is window.profile


def test_scanning_imei_in_search_box_opens_device_history(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:
    make_ticket(shop, customers["Dubois"])
    box = window.search.box
    box.setFocus()
    with qtbot.waitSignal(window.device.loaded, timeout=5000):
        qtbot.keyClicks(box, IPHONE)
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.device
    assert window.device.values["imei"].text() == IPHONE


def test_typing_ticket_number_opens_ticket(qtbot, window: MainWindow, shop: Shop,
                                           customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["Dubois"])
    number = shop.tickets.get(ticket_id).summary.number
    box = window.search.box
    box.setFocus()
    with qtbot.waitSignal(window.ticket.loaded, timeout=5000):
        qtbot.keyClicks(box, number.lower())
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.ticket.title.text() == number


def test_plain_name_enter_still_opens_customer(qtbot, window: MainWindow,
                                               customers: dict[str, UUID]) -> None:
    box = window.search.box
    box.setFocus()
    with qtbot.waitSignal(window.profile.loaded, timeout=5000):
        qtbot.keyClicks(box, "Dubois")
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.profile.customer_id == customers["Dubois"]


def test_passcode_only_for_assigned_technician(qtbot, window: MainWindow, shop: Shop,
                                               customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["López"])
    open_ticket(qtbot, window, ticket_id)
    page = window.ticket
    reveal: QPushButton = next(iter(page.reveal_buttons.values()))
    assert not reveal.isEnabled()  # nobody assigned: not even the owner may see it
    qtbot.waitUntil(lambda: page.technician.count() > 1)
    select_id(page.technician, shop.actor.staff_id)
    with qtbot.waitSignal(page.loaded):
        page.assign_button.click()
    reveal = next(iter(page.reveal_buttons.values()))
    assert reveal.isEnabled()
    reveal.click()
    qtbot.waitUntil(lambda: page.passcode_box is not None and page.passcode_box.isVisible())
    assert "1234" in page.passcode_box.text()
    page.passcode_box.close()
