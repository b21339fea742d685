"""The registration form: errors inline, duplicates, saving opens the profile."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow


def test_ctrl_n_opens_registration(qtbot, window: MainWindow) -> None:
    qtbot.keyClick(window.search.box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.form
    assert QApplication.focusWidget() is window.form.fields["first_name"].input
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.search


def test_bad_input_shows_field_errors_and_writes_nothing(qtbot, window: MainWindow,
                                                          shop: Shop) -> None:
    window.new_customer()
    form = window.form
    form.fields["last_name"].input.setText("Nakamura")
    form.fields["phone"].input.setText("12ab")
    form.fields["date_of_birth"].input.setText("31/02/1990")
    with qtbot.waitSignal(window.ops.bus.ops_did_execute, timeout=500, raising=False) as blocker:
        qtbot.keyClick(form.save_button, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: form.fields["first_name"].error.isVisible())
    assert not blocker.signal_triggered
    assert form.fields["first_name"].error.text() == "First name is required"
    assert "is not a phone number" in form.fields["phone"].error.text()
    assert "is not a date" in form.fields["date_of_birth"].error.text()
    assert form.sections["personal"].expanded  # opened to show its error
    assert not form.fields["last_name"].error.isVisible()
    assert QApplication.focusWidget() is form.fields["first_name"].input
    assert shop.customers.count() == 3
    assert window.stack.currentWidget() is form


def test_valid_registration_opens_profile_and_is_findable(qtbot, window: MainWindow,
                                                          shop: Shop) -> None:
    window.new_customer()
    form = window.form
    qtbot.keyClicks(form.fields["first_name"].input, "Kenji")
    qtbot.keyClicks(form.fields["last_name"].input, "Nakamura")
    qtbot.keyClicks(form.fields["phone"].input, "07400 765432")
    form.fields["city"].input.setText("York")
    with qtbot.waitSignal(window.profile.loaded, timeout=5000) as loaded:
        form.save_button.click()
    assert loaded.args[0].summary.name == "Kenji Nakamura"
    assert window.stack.currentWidget() is window.profile
    assert window.profile.values["phone"].text() == "07400 765432"
    assert shop.customers.count() == 4
    qtbot.waitUntil(lambda: "4 customers" in window.count_label.text())
    window.go_back()
    window.search.box.setText("nakamura")
    qtbot.waitUntil(lambda: window.search.model.ids == [loaded.args[0].summary.id])


def test_existing_phone_shows_match_and_opens_it(qtbot, window: MainWindow,
                                                 customers: dict[str, UUID]) -> None:
    window.new_customer()
    form = window.form
    with qtbot.waitSignal(form.matches_shown, timeout=3000):
        qtbot.keyClicks(form.fields["phone"].input, "07400123456")
    card = form.panel.card_for(customers["López"])
    assert card is not None
    assert card.open_button.text() == "Open existing"
    with qtbot.waitSignal(window.profile.loaded):
        card.open_button.click()
    assert window.profile.customer_id == customers["López"]
    assert window.stack.currentWidget() is window.profile


def test_similar_name_is_offered(qtbot, window: MainWindow,
                                 customers: dict[str, UUID]) -> None:
    window.new_customer()
    form = window.form
    form.fields["first_name"].input.setText("Jurgen")
    form.fields["last_name"].input.setText("Muller")
    qtbot.waitUntil(lambda: form.panel.card_for(customers["Müller"]) is not None)


def test_unique_failure_names_holder_and_offers_it(qtbot, window: MainWindow,
                                                   shop: Shop,
                                                   customers: dict[str, UUID]) -> None:
    window.new_customer()
    form = window.form
    form.fields["first_name"].input.setText("Someone")
    form.fields["last_name"].input.setText("Else")
    form.fields["phone"].input.setText("+44 7400 123456")
    form._match_timer.stop()
    with qtbot.waitSignal(form.matches_shown, timeout=3000):
        form.save()
    assert "already belongs to customer" in form.fields["phone"].error.text()
    assert "Ana López" in form.fields["phone"].error.text()
    card = form.panel.card_for(customers["López"])
    assert card is not None
    assert shop.customers.count() == 3


def test_edit_a_field(qtbot, window: MainWindow, shop: Shop,
                      customers: dict[str, UUID]) -> None:
    with qtbot.waitSignal(window.profile.loaded):
        window.open_customer(customers["Dubois"])
    window.profile.edit_button.click()
    form = window.form
    assert window.stack.currentWidget() is form
    assert form.fields["first_name"].input.text() == "Chloé"
    form.fields["city"].input.setText("Marseille")
    with qtbot.waitSignal(window.profile.loaded, timeout=5000):
        form.save_button.click()
    qtbot.waitUntil(lambda: "Marseille" in window.profile.values["address"].text())
    assert shop.customers.profile(customers["Dubois"]).values["city"] == "Marseille"
    assert window.stack.currentWidget() is window.profile
