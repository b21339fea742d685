"""Issue 12 at the keyboard: the ticket page's keys and loading state, pickup by Enter,
the print menu, the board's groups and pages, intake's keys, registering from intake,
and the profile's service and device dialogs. Real widgets, real key events."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea, QWidget
from sqlalchemy import select

from shopdesk.domain.device_rules import DeviceInput
from shopdesk.models import AuditEntry
from shopdesk.services.repairs.tickets import TicketDeviceIntake, TicketIntake
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from tests.conftest import Clock
from tests.ui.test_repairs_ui import IPHONE, imei, make_ticket, open_profile, open_ticket

Key = Qt.Key
Mod = Qt.KeyboardModifier


def press(qtbot, key: Key, mod: Mod = Mod.NoModifier) -> None:  # type: ignore[no-untyped-def]
    """A key where the clerk's key lands: the focused widget (or an open popup)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    target = app.activePopupWidget() or app.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key, mod)


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                    .split())


def ready(shop: Shop, ticket_id: UUID) -> None:
    for status in ("diagnosing", "in_repair", "ready"):
        shop.tickets.change_status(ticket_id, status)


def test_a_loading_ticket_is_neutral(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                     customers: dict[str, UUID]) -> None:
    first = make_ticket(shop, customers["López"])
    ready(shop, first)
    shop.tickets.pickup(first, "89", "cash")  # starts the shop warranty
    device = shop.tickets.get(first).devices[0].device.id
    rework = shop.tickets.intake(TicketIntake(customers["López"], [TicketDeviceIntake(
        "Screen flickers again", device_id=device)], estimate="0")).ticket.summary.id
    other = make_ticket(shop, customers["Dubois"], imei("35291612000009"))
    open_ticket(qtbot, window, other)
    page = window.ticket
    window.open_ticket(rework)  # the page shows while the ticket is read
    assert page.detail is None and page.title.text() == "Loading…"
    assert page.status.text() == "Loading"
    assert not page.rework.isVisibleTo(page)
    for button in (page.approve_button, page.decline_button, page.print_button,
                   page.assign_button):
        assert not button.isEnabled()
    assert page.status_buttons == {} and not page.pickup_button.isVisibleTo(page)
    qtbot.waitUntil(lambda: page.detail is not None)
    assert page.rework.isVisibleTo(page) and page.approve_button.isEnabled()


def test_f5_moves_one_step_and_focus_stays_on_the_page(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                                       customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["López"])
    open_ticket(qtbot, window, ticket_id)
    page = window.ticket
    assert "(F5)" in page.status_buttons["diagnosing"].text()
    for expected in ("diagnosing", "awaiting_approval"):
        with qtbot.waitSignal(page.loaded):
            press(qtbot, Key.Key_F5)  # one key per step
        assert page.detail is not None and page.detail.summary.status == expected
        focused = QApplication.focusWidget()
        assert focused is not None and page.isAncestorOf(focused)
        assert focused is page.status_buttons[page.next_target or ""]
    assert shop.tickets.get(ticket_id).history[-1].to_status == "awaiting_approval"


def test_pickup_by_f8_and_enter_and_the_receipt_agrees(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                                       customers: dict[str, UUID]) -> None:
    earlier = make_ticket(shop, customers["Dubois"], imei("35291612000017"))
    ready(shop, earlier)
    shop.tickets.pickup(earlier, "89", "cash")  # the shop's usual method so far
    ticket_id = make_ticket(shop, customers["López"])  # estimate 89.00, deposit 20
    ready(shop, ticket_id)
    shop.tickets.assign(ticket_id, shop.actor.staff_id)  # type: ignore[union-attr]
    open_ticket(qtbot, window, ticket_id)
    page = window.ticket
    assert page.values["balance"].text() == "£69.00"
    press(qtbot, Key.Key_F8)
    qtbot.waitUntil(lambda: page.pickup_dialog is not None and page.pickup_dialog.isVisible())
    dialog = page.pickup_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.payment.currentData() == "cash")  # preselected
    assert QApplication.focusWidget() is dialog.final_amount
    qtbot.keyClicks(dialog.final_amount, "89.00")  # replaces the selected estimate
    with qtbot.waitSignal(page.loaded):
        press(qtbot, Key.Key_Return)  # F8 + Enter: two keys beyond the amount
    assert page.detail is not None and page.detail.summary.status == "collected"
    assert page.values["balance"].text() == "£0.00"
    assert page.values["paid"].text() == "£69.00 · Cash"
    focused = QApplication.focusWidget()
    assert focused is not None and (focused is page or page.isAncestorOf(focused))
    button = page.print_button
    press(qtbot, Key.Key_P, Mod.ControlModifier)  # the receipt, in one key
    qtbot.waitUntil(lambda: button.preview is not None and button.preview.isVisible())
    receipt = pdf_text(button.preview.pdf)  # type: ignore[union-attr]
    assert "Balance due £0.00" in receipt and "Paid now (Cash) £69.00" in receipt
    button.preview.close()  # type: ignore[union-attr]


def test_print_menu_opens_on_the_receipt_with_one_arrow(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                                        customers: dict[str, UUID]) -> None:
    open_ticket(qtbot, window, make_ticket(shop, customers["López"]))
    button = window.ticket.print_button
    assert "▾" not in button.text() and "Ctrl+P" in button.text()  # the menu's own arrow
    button.setFocus()
    menu = button.menu()
    assert menu is not None
    press(qtbot, Key.Key_Space)
    qtbot.waitUntil(menu.isVisible)
    active = menu.activeAction()
    assert active is not None and active.text() == "Receipt…"
    press(qtbot, Key.Key_Return)  # Space + Enter: the receipt's preview
    qtbot.waitUntil(lambda: button.preview is not None and button.preview.isVisible())
    assert "Receipt" in button.preview.windowTitle()  # type: ignore[union-attr]
    button.preview.close()  # type: ignore[union-attr]


def test_tab_order_starts_with_pickup_moves_and_print(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                                      customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["López"])
    ready(shop, ticket_id)
    open_ticket(qtbot, window, ticket_id)
    page = window.ticket
    page.setFocus()
    seen: list[QWidget] = []
    for _ in range(4):
        press(qtbot, Key.Key_Tab)
        focused = QApplication.focusWidget()
        assert focused is not None
        seen.append(focused)
    assert seen == [page.pickup_button, page.status_buttons["in_repair"],
                    page.status_buttons["cancelled"], page.print_button]
    assert not any(isinstance(w, QScrollArea) for w in seen)


def test_board_groups_count_everything_and_read_more_as_it_scrolls(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID],  # type: ignore[no-untyped-def]
        clock: Clock) -> None:
    today = clock.now.astimezone().date()
    for n in range(70):
        shop.tickets.intake(TicketIntake(customers["López"], [TicketDeviceIntake(
            "Cracked screen", device=DeviceInput(make="Apple", model="iPhone 13",
                                                 imei=imei(f"35391110{n:06d}")))],
            promised_by=today + timedelta(days=1 if n < 7 else 9)))
    clock.advance(days=3)  # seven of them are now past their promised day
    board = window.board
    with qtbot.waitSignal(board.loaded, timeout=10000):
        window.show_board()
    group = board.model.index(0, 0)
    assert group.data() == "Received · 70 · 7 overdue"
    assert board.model.rowCount(group) == 50  # the first page
    assert board.summary.text().startswith("70 tickets · all open · 7 past their promised")
    first = board.model.index(0, 6, group)
    assert first.data().endswith("2 days late")  # the most urgent first, in red
    assert board.model.index(0, 5, group).data() == "3 days"  # its age
    board.tree.setFocus()
    with qtbot.waitSignal(board.model.page_loaded, timeout=10000):
        press(qtbot, Key.Key_End)  # to the last row read: the next page comes
    assert board.model.rowCount(group) == 70 and len(set(board.numbers())) == 70


def test_intake_for_a_customer_in_seven_keys(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                             customers: dict[str, UUID], clock: Clock) -> None:
    shop.settings.set("repairs.promised_days", "5")
    open_profile(qtbot, window, customers["Müller"])
    window.profile.setFocus()
    keys = 0

    def key(k: Key, mod: Mod = Mod.NoModifier) -> None:
        nonlocal keys
        keys += 1
        press(qtbot, k, mod)

    intake = window.intake
    key(Key.Key_T, Mod.ControlModifier)
    qtbot.waitUntil(lambda: intake.picker.customer_id == customers["Müller"])
    promised = (clock.now.astimezone().date() + timedelta(days=5))
    qtbot.waitUntil(lambda: intake.promised_by() == promised)  # from the shop's setting
    entry = intake.entries[0]
    assert QApplication.focusWidget() is entry.line("imei")
    for text, then in ((IPHONE, Key.Key_Tab), ("Apple", Key.Key_Tab),
                       ("iPhone 13", Key.Key_Tab)):
        qtbot.keyClicks(QApplication.focusWidget(), text)
        key(then)
    qtbot.keyClicks(QApplication.focusWidget(), "Cracked screen")
    key(Key.Key_E, Mod.AltModifier)  # the estimate's label: Alt+E
    assert QApplication.focusWidget() is intake.estimate
    qtbot.keyClicks(intake.estimate, "89.00")
    key(Key.Key_Tab)
    qtbot.keyClicks(intake.deposit, "20")
    with qtbot.waitSignal(window.ticket.loaded, timeout=5000):
        key(Key.Key_Return, Mod.ControlModifier)
    assert keys == 7  # the budget: at most 12 beyond the data typed
    detail = window.ticket.detail
    assert detail is not None and detail.summary.customer_id == customers["Müller"]
    d = detail.devices[0]
    assert (d.device.make, d.device.model, d.device.imei, d.fault) == (
        "Apple", "iPhone 13", IPHONE, "Cracked screen")
    assert (detail.summary.estimate, detail.deposit) == (Decimal("89.00"), Decimal("20.00"))
    assert detail.promised_by == promised
    assert set(d.checklist.values()) == {"not_tested"}


def test_intake_shows_a_device_on_file_and_never_tabs_into_the_frame(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:  # type: ignore[no-untyped-def]
    make_ticket(shop, customers["López"])  # an iPhone 13 on file, TAC 35391110 seen
    window.new_ticket(customers["López"])
    intake = window.intake
    entry = intake.entries[0]
    qtbot.waitUntil(lambda: entry.known.count() == 2)
    assert entry.known.isVisibleTo(intake)
    qtbot.keyClicks(entry.line("imei"), imei("35391110555555"))  # same type code
    qtbot.waitUntil(lambda: entry.hint.isVisibleTo(entry))
    hint = entry.hint.geometry()
    for label in entry.findChildren(QLabel):
        if label is not entry.hint and label.isVisibleTo(entry) \
                and label.parentWidget() is entry.hint.parentWidget():
            assert not label.geometry().adjusted(0, -2, 0, 2).intersects(hint), label.text()
    entry.line("imei").clear()
    qtbot.keyClicks(entry.line("imei"), IPHONE)  # the device on file: taken as it is
    qtbot.waitUntil(lambda: entry.known_device() is not None)
    assert entry.line("model").text() == "iPhone 13" and not entry.line("make").isEnabled()
    assert entry.details.isVisibleTo(entry) and "On file since" in entry.details.text()
    assert QApplication.focusWidget() is entry.line("fault")
    intake.estimate.setFocus()
    for _ in range(40):  # round the whole page: never the scroll area
        press(qtbot, Key.Key_Tab)
        assert not isinstance(QApplication.focusWidget(), QScrollArea)


def test_register_a_customer_without_leaving_intake(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                                    customers: dict[str, UUID]) -> None:
    window.new_ticket(None)
    intake = window.intake
    qtbot.keyClicks(intake.entries[0].line("fault"), "No sound")  # typed before: kept
    intake.picker.box.setFocus()
    press(qtbot, Key.Key_N, Mod.ControlModifier | Mod.ShiftModifier)
    dialog = intake.register_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    form = dialog.form
    assert form.fields["channel"].value() == "repair_intake"
    qtbot.keyClicks(form.fields["first_name"].input, "Walter")
    qtbot.keyClicks(form.fields["last_name"].input, "Inglewood")
    qtbot.keyClicks(form.fields["phone"].input, "07400 765432")
    with qtbot.waitSignal(intake.picker.chosen, timeout=5000):
        form.save()
    assert not dialog.isVisible() and window.stack.currentWidget() is intake
    new = intake.picker.customer_id
    assert new is not None and new not in customers.values()
    profile = shop.customers.profile(new)
    assert profile.summary.name == "Walter Inglewood"
    assert profile.values["channel"] == "repair_intake"
    assert intake.entries[0].line("fault").text() == "No sound"


def test_profile_records_a_service_and_edits_a_device(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                                      customers: dict[str, UUID]) -> None:
    make_ticket(shop, customers["López"])
    open_profile(qtbot, window, customers["López"])
    services = window.profile.services
    services.record()
    qtbot.waitUntil(lambda: services.dialog is not None and services.dialog.isVisible())
    dialog = services.dialog
    assert dialog is not None
    dialog.kind.setCurrentIndex(dialog.kind.findData("part_purchase"))
    qtbot.keyClicks(dialog.description, "Screen protector fitted")
    dialog.set_part(0, "Tempered glass", "TG-13", "2", "7.50")
    dialog.payment.setCurrentIndex(dialog.payment.findData("cash"))
    dialog.device.setCurrentIndex(1)
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: "Screen protector fitted" in services.texts(2))
    record = shop.service_records.for_customer(customers["López"])[0]
    assert (record.kind, record.total, record.payment_method) == (
        "part_purchase", Decimal("15.00"), "cash")
    assert record.ticket_id is None and record.device_id is not None

    devices = window.profile.devices
    qtbot.waitUntil(lambda: devices.tree.topLevelItemCount() == 1)
    edit = devices.edit_current()
    assert edit is not None
    edit.purchase.setText("2024-02-10")
    edit.warranty.setText("2099-02-10")
    edit.condition.setCurrentIndex(edit.condition.findData("fair"))
    edit.owner.set_customer(customers["Dubois"])
    edit.submit()
    qtbot.waitUntil(lambda: not edit.isVisible())
    device = shop.devices.get(record.device_id)  # type: ignore[arg-type]
    assert str(device.purchase_date) == "2024-02-10" and device.condition == "fair"
    assert device.customer_id == customers["Dubois"]
    with shop.store.read() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_id == str(device.id)).order_by(AuditEntry.seq)))
    assert actions[-2:] == ["update", "change_owner"]
    bad = DeviceDialogProbe(window, shop, device.id)
    bad.run_with_future_purchase(qtbot)


class DeviceDialogProbe:
    """A refused edit (a purchase in the future) stays open with the reason."""

    def __init__(self, window: MainWindow, shop: Shop, device_id: UUID) -> None:
        from shopdesk.ui.customers.service_dialogs import DeviceDialog

        self.dialog = DeviceDialog(shop, window.ops, shop.devices.get(device_id), window)
        self.shop, self.device_id = shop, device_id

    def run_with_future_purchase(self, qtbot) -> None:  # type: ignore[no-untyped-def]
        qtbot.addWidget(self.dialog)
        self.dialog.show()
        self.dialog.purchase.setText("2999-01-01")
        self.dialog.submit()
        qtbot.waitUntil(lambda: bool(self.dialog.errors["purchase_date"].text()))
        assert "future" in self.dialog.errors["purchase_date"].text()
        assert str(self.shop.devices.get(self.device_id).purchase_date) == "2024-02-10"
        self.dialog.close()
