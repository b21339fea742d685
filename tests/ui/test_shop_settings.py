"""Shop settings in the window (managers), and the receipt's blank-address warning."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QWidget

from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from shopdesk.ui.printing.print_actions import set_prints_directly
from shopdesk.ui.settings.shop_settings import ShopSettingsDialog
from tests.ui.conftest import open_window
from tests.ui.test_repairs_ui import make_ticket, open_ticket


@pytest.fixture(autouse=True)
def _preview_not_printer() -> Iterator[None]:
    set_prints_directly(False)
    yield
    set_prints_directly(False)


def open_settings(qtbot, window: MainWindow) -> ShopSettingsDialog:  # type: ignore[no-untyped-def]
    assert window.settings_action.isEnabled()
    window.settings_action.trigger()
    dialog = window.settings_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.ready)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def retype(qtbot, widget: QWidget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Select everything in the field and type `text` over it, by keys."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    if text:
        qtbot.keyClicks(widget, text)


def test_a_manager_saves_valid_settings_by_keys(qtbot, window: MainWindow, shop: Shop) -> None:
    dialog = open_settings(qtbot, window)
    inputs = dialog.inputs
    qtbot.waitUntil(lambda: QApplication.focusWidget() is inputs["shop.name"])
    assert dialog.address_hint.isVisible()  # blank address: receipts print without it
    retype(qtbot, inputs["shop.name"], "Fix-It Fast")
    retype(qtbot, inputs["shop.address"], "12 High Street")
    qtbot.keyClick(inputs["shop.address"], Qt.Key.Key_Return)  # a new line, not a save
    qtbot.keyClicks(inputs["shop.address"], "Leeds LS1 4AP")
    assert not dialog.address_hint.isVisible()
    retype(qtbot, inputs["shop.phone"], "0113 496 0000")
    retype(qtbot, inputs["shop.tax_rate"], "20")
    retype(qtbot, inputs["shop.currency"], "eur")
    retype(qtbot, inputs["repairs.promised_days"], "5")
    paper = inputs["print.receipt_paper"]
    assert isinstance(paper, QComboBox)
    paper.setFocus()
    qtbot.keyClick(paper, Qt.Key.Key_Down)  # 80 mm roll -> A4
    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(inputs["shop.phone"], Qt.Key.Key_Return)  # Enter saves
    values = shop.settings.all()
    assert {key: values[key] for key in (
        "shop.name", "shop.address", "shop.phone", "shop.tax_rate", "shop.currency",
        "repairs.promised_days", "print.receipt_paper")} == {
        "shop.name": "Fix-It Fast", "shop.address": "12 High Street\nLeeds LS1 4AP",
        "shop.phone": "0113 496 0000", "shop.tax_rate": "20", "shop.currency": "EUR",
        "repairs.promised_days": "5", "print.receipt_paper": "a4"}
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: window.windowTitle() == "Fix-It Fast — shopdesk")


def test_a_bad_value_is_refused_with_its_rule_and_nothing_is_saved(
        qtbot, window: MainWindow, shop: Shop) -> None:
    before = shop.settings.all()
    dialog = open_settings(qtbot, window)
    inputs = dialog.inputs
    retype(qtbot, inputs["shop.name"], "Fix-It Fast")  # fine on its own
    retype(qtbot, inputs["shop.tax_rate"], "120")
    retype(qtbot, inputs["shop.phone"], "12ab")
    with qtbot.waitSignal(window.ops.bus.ops_did_execute, timeout=800, raising=False) as wrote:
        qtbot.keyClick(inputs["shop.tax_rate"], Qt.Key.Key_S,
                       Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: dialog.errors["shop.tax_rate"].isVisible())
    assert not wrote.signal_triggered
    assert dialog.errors["shop.tax_rate"].text() == "Tax rate (%) must be between 0 and 100"
    assert dialog.errors["shop.phone"].text().startswith("'12ab' is not a phone number")
    assert not dialog.errors["shop.name"].isVisible()
    assert "Nothing was saved" in dialog.general.text()
    assert dialog.isVisible()
    assert QApplication.focusWidget() in (inputs["shop.phone"], inputs["shop.tax_rate"])
    assert shop.settings.all() == before  # not even the good name
    retype(qtbot, inputs["shop.tax_rate"], "8.5")
    retype(qtbot, inputs["shop.phone"], "")
    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(inputs["shop.tax_rate"], Qt.Key.Key_Return)
    assert shop.settings.get("shop.tax_rate") == "8.5"
    assert shop.settings.get("shop.name") == "Fix-It Fast"


def test_front_desk_cannot_open_the_settings(qtbot, shop: Shop) -> None:
    shop.staff.create("bea", "Beatriz Souza", "front_desk", "2468")
    shop.sign_in("bea", "2468")
    window = open_window(qtbot, shop)
    try:
        assert not window.settings_action.isEnabled()
        assert window.open_settings() is None
    finally:
        window.shutdown()


def test_receipt_preview_warns_while_the_shop_address_is_blank(
        qtbot, window: MainWindow, shop: Shop, customers: dict[str, UUID]) -> None:
    open_ticket(qtbot, window, make_ticket(shop, customers["López"]))
    button = window.ticket.print_button

    def preview_of(kind: str):  # type: ignore[no-untyped-def]
        button.preview = None
        button.make(kind)
        qtbot.waitUntil(lambda: button.preview is not None and button.preview.isVisible())
        preview = button.preview
        assert preview is not None
        preview.close()
        return preview

    warned = preview_of("receipt")
    assert warned.warning.isVisibleTo(warned)
    assert "address is blank" in warned.warning.text()
    assert not preview_of("labels").warning.isVisibleTo(button.preview)  # only receipts
    shop.settings.set("shop.address", "12 High Street, Leeds")
    assert not preview_of("receipt").warning.isVisibleTo(button.preview)


def test_the_settings_fields_are_what_the_issue_lists(qtbot, window: MainWindow) -> None:
    dialog = open_settings(qtbot, window)
    assert set(dialog.inputs) == {
        "shop.name", "shop.address", "shop.phone", "shop.logo_path", "shop.tax_rate",
        "shop.currency", "phone.default_region", "print.receipt_paper", "print.label_size",
        "repairs.promised_days"}
    assert isinstance(dialog.inputs["shop.address"], QPlainTextEdit)
    assert isinstance(dialog.inputs["shop.logo_path"], QLineEdit)
    dialog.reject()
