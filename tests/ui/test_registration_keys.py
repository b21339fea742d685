"""Registration at the keyboard (issue 12): the example number is valid for the
shop's region, Enter saves a valid form (Ctrl+S too), Tab goes in reading order,
and the new customer's profile opens after the save."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from shopdesk.domain.phones import normalize_phone
from shopdesk.shop import Shop
from shopdesk.ui.common.form_fields import FieldBox
from shopdesk.ui.customers.customer_form import CustomerForm
from shopdesk.ui.main_window import MainWindow
from tests.ui.conftest import open_window

ENTER = Qt.Key.Key_Return


def examples(form_or_box: CustomerForm | FieldBox) -> list[str]:
    """The numbers the phone field's placeholder offers ('e.g. A or B')."""
    box = form_or_box.fields["phone"] if isinstance(form_or_box, CustomerForm) else form_or_box
    line = box.input
    assert isinstance(line, QLineEdit)
    text = line.placeholderText()
    assert text.startswith("e.g. ")
    return text.removeprefix("e.g. ").split(" or ")


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_keys(qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(focused(), text)


def press(qtbot, key: Qt.Key,  # type: ignore[no-untyped-def]
          modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focused(), key, modifier)


@pytest.mark.parametrize("region", ["GB", "US", "DE", "FR", "BR", "IN", "NG", "AU", "NL"])
def test_the_phone_example_is_valid_for_the_region(qtbot, region: str) -> None:
    box = FieldBox("phone", region)
    qtbot.addWidget(box)
    shown = examples(box)
    assert len(shown) == 2 and shown[1].startswith("+")
    for number in shown:  # the same rule registration applies
        normalize_phone(number, region, "phone", mobile=True)


@pytest.mark.parametrize("region", ["GB", "US", "DE"])
def test_registering_with_the_forms_own_example_by_keys_opens_the_profile(
        qtbot, shop: Shop, region: str) -> None:
    shop.settings.set("phone.default_region", region)
    window = open_window(qtbot, shop)
    try:
        press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        form = window.form
        assert window.stack.currentWidget() is form
        type_keys(qtbot, "Kenji")
        press(qtbot, ENTER)  # not valid yet: Enter goes on to the next field to fill
        qtbot.waitUntil(lambda: focused() is form.fields["last_name"].input)
        assert not form.fields["phone"].error.isVisible()  # nothing shouted at yet
        type_keys(qtbot, "Nakamura")
        press(qtbot, ENTER)
        qtbot.waitUntil(lambda: focused() is form.fields["phone"].input)
        type_keys(qtbot, examples(form)[0])  # the number the form itself suggests
        with qtbot.waitSignal(window.profile.loaded, timeout=5000) as loaded:
            press(qtbot, ENTER)
        assert loaded.args[0].summary.name == "Kenji Nakamura"
        assert window.stack.currentWidget() is window.profile
        assert shop.customers.count() == 1
    finally:
        window.shutdown()


def test_ctrl_s_still_saves(qtbot, window: MainWindow, shop: Shop) -> None:
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    type_keys(qtbot, "Ines")
    press(qtbot, Qt.Key.Key_Tab)
    type_keys(qtbot, "Ferreira")
    press(qtbot, Qt.Key.Key_Tab)
    type_keys(qtbot, "07400 111222")
    with qtbot.waitSignal(window.profile.loaded, timeout=5000) as loaded:
        press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert loaded.args[0].summary.name == "Ines Ferreira"
    assert shop.customers.count() == 4


def test_enter_on_a_wrong_value_shows_the_errors_and_saves_nothing(
        qtbot, window: MainWindow, shop: Shop) -> None:
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.form
    type_keys(qtbot, "Ines")
    press(qtbot, Qt.Key.Key_Tab)
    type_keys(qtbot, "Ferreira")
    press(qtbot, Qt.Key.Key_Tab)
    type_keys(qtbot, "07400 12")  # too short
    with qtbot.waitSignal(window.ops.bus.ops_did_execute, timeout=500, raising=False) as wrote:
        press(qtbot, ENTER)
        qtbot.waitUntil(lambda: form.fields["phone"].error.isVisible())
    assert not wrote.signal_triggered
    assert "is not a valid phone number" in form.fields["phone"].error.text()
    assert focused() is form.fields["phone"].input
    assert window.stack.currentWidget() is form
    assert shop.customers.count() == 3


def test_enter_in_notes_is_a_new_line_and_on_cancel_cancels(
        qtbot, window: MainWindow, shop: Shop) -> None:
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.form
    for name, text in (("first_name", "Ines"), ("last_name", "Ferreira"),
                       ("phone", "07400 111222")):
        form.fields[name].input.setFocus()
        type_keys(qtbot, text)
    form.sections["notes"].set_expanded(True)
    form.fields["notes"].input.setFocus()
    type_keys(qtbot, "Screen")
    press(qtbot, ENTER)
    type_keys(qtbot, "Battery")
    assert form.fields["notes"].value() == "Screen\nBattery"
    assert window.stack.currentWidget() is form
    form.cancel_button.setFocus()
    press(qtbot, ENTER)
    assert window.stack.currentWidget() is window.search
    assert shop.customers.count() == 3


def test_tab_goes_through_the_form_in_reading_order(qtbot, window: MainWindow) -> None:
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.form
    order = []
    for _ in range(9):
        order.append(focused())
        press(qtbot, Qt.Key.Key_Tab)
    fields = form.fields
    assert order == [fields[n].input for n in (
        "first_name", "last_name", "phone", "email", "preferred_contact", "customer_type",
        "channel")] + [form.sections["contact"].toggle, fields["secondary_phone"].input]
    while focused() is not form.save_button:  # the section titles, then Save
        assert focused() is not form.scroll_area
        press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is form.cancel_button
