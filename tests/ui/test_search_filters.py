"""The search page's filter bar, the suggestions under the box, the index warm-up.

Real shop in tmp_path, real widgets offscreen; no mocks, no sleeps.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from shopdesk.ui.search.search_filters import FilterBar
from tests.ui.test_search import wait_results


def choose(combo, value: object) -> None:  # type: ignore[no-untyped-def]
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def register_business(shop: Shop) -> UUID:
    return shop.customers.register(CustomerInput(
        first_name="Priya", last_name="Shah", customer_type="business",
        company="Shah Mobiles Ltd", phone="+44 7400 765432", city="Leicester")).customer.id


def open_filters(qtbot, window: MainWindow) -> FilterBar:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(window.search.filter_toggle, Qt.MouseButton.LeftButton)
    assert window.search.filter_bar.isVisible()
    return window.search.filter_bar


def test_toggle_and_ctrl_f_show_the_filter_bar(qtbot, window: MainWindow) -> None:
    search = window.search
    assert not search.filter_bar.isVisible()
    qtbot.mouseClick(search.filter_toggle, Qt.MouseButton.LeftButton)
    assert search.filter_bar.isVisible()
    qtbot.mouseClick(search.filter_toggle, Qt.MouseButton.LeftButton)
    assert not search.filter_bar.isVisible()

    search.box.setFocus()
    qtbot.keyClick(search.box, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert search.filter_bar.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is search.filter_bar.customer_type)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert not search.filter_bar.isVisible()
    assert QApplication.focusWidget() is search.box


def test_business_type_with_empty_text_lists_only_business_customers(
        qtbot, shop: Shop, window: MainWindow) -> None:
    business = register_business(shop)
    bar = open_filters(qtbot, window)
    assert not window.search.filter_chip.isVisible()
    choose(bar.customer_type, "business")
    qtbot.waitUntil(lambda: window.search.model.ids == [business])
    wait_results(qtbot, window)
    assert window.search.model.data(window.search.model.index(0, 0)) == \
        "Priya Shah (Shah Mobiles Ltd)"
    assert window.search.filter_chip.isVisible()
    assert window.search.filter_chip.text() == "1 filter"
    assert "matching 1 filter" in window.search.summary.text()


def test_location_filter_narrows_a_text_search(
        qtbot, shop: Shop, window: MainWindow, customers: dict[str, UUID]) -> None:
    berlin = shop.customers.register(CustomerInput(
        first_name="Ana", last_name="Schmidt", phone="+49 151 99887766", city="Berlin",
        country="DE")).customer.id
    window.search.box.setText("ana")
    qtbot.waitUntil(lambda: set(window.search.model.ids) == {customers["López"], berlin})
    bar = open_filters(qtbot, window)
    qtbot.keyClicks(bar.location, "berlin")
    qtbot.waitUntil(lambda: window.search.model.ids == [berlin])
    assert window.search.filter_chip.text() == "1 filter"
    choose(bar.customer_type, "individual")
    qtbot.waitUntil(lambda: window.search.filter_chip.text() == "2 filters")
    wait_results(qtbot, window)
    assert window.search.model.ids == [berlin]


def test_clear_filters_returns_to_todays_work(
        qtbot, shop: Shop, window: MainWindow) -> None:
    business = register_business(shop)
    bar = open_filters(qtbot, window)
    choose(bar.customer_type, "business")
    bar.active_only.setChecked(True)
    qtbot.waitUntil(lambda: window.search.model.ids == [business])
    assert window.search.filter_chip.text() == "2 filters"
    qtbot.mouseClick(bar.clear_button, Qt.MouseButton.LeftButton)
    # An empty box with no filter is the start screen (today's work), not a list.
    qtbot.waitUntil(lambda: window.search.results.currentWidget() is window.search.today)
    assert window.search.model.rowCount() == 0
    assert bar.current().empty
    assert not window.search.filter_chip.isVisible()
    assert window.search.filters is None


def test_bad_date_range_shows_message_and_keeps_results(
        qtbot, window: MainWindow) -> None:
    search = window.search
    wait_results(qtbot, window)
    bar = open_filters(qtbot, window)
    seq = search._seq
    bar.registered_from.edit.setDate(QDate(2025, 6, 1))
    bar.registered_from.check.setChecked(True)
    qtbot.waitUntil(lambda: not search.searching)
    before = search.model.ids
    assert len(before) == 3
    bar.registered_to.edit.setDate(QDate(2025, 1, 1))
    with qtbot.waitSignal(bar.invalid):
        bar.registered_to.check.setChecked(True)
    assert bar.error.isVisible()
    assert "before" in bar.error.text()
    assert not bar.valid
    searched = search._seq
    assert searched <= seq + 1  # at most the valid "from" alone was searched
    search.box.setText("mull")  # typing does not search while the range is wrong
    qtbot.waitUntil(lambda: not search.searching)
    assert search._seq == searched
    assert search.model.ids == before
    assert "Not searching" in search.summary.text()

    bar.registered_to.edit.setDate(QDate(date.today().year + 1, 1, 1))  # fixed again
    qtbot.waitUntil(lambda: not bar.error.isVisible())
    qtbot.waitUntil(lambda: search._seq > searched and not search.searching)
    assert len(search.model.ids) == 1  # "mull" within the (now sensible) range


def test_suggestions_appear_and_a_click_opens_that_profile(
        qtbot, shop: Shop, window: MainWindow, customers: dict[str, UUID]) -> None:
    search = window.search
    search.box.setFocus()
    qtbot.keyClicks(search.box, "dub")
    suggestions = search.suggestions
    qtbot.waitUntil(lambda: suggestions.visible)
    code = shop.customers.summaries([customers["Dubois"]])[0].code
    assert suggestions.lines() == [f"Chloé Dubois · +33 6 12 34 56 78 · {code}"]
    assert suggestions.highlighted() == customers["Dubois"]  # what Enter would open
    popup = suggestions.popup
    rect = popup.visualRect(popup.model().index(0, 0))
    with qtbot.waitSignal(window.profile.loaded):
        qtbot.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.profile.customer_id == customers["Dubois"]
    assert window.stack.currentWidget() is window.profile
    assert not suggestions.visible


def test_down_highlights_the_suggestion_and_enter_opens_it(
        qtbot, window: MainWindow, customers: dict[str, UUID]) -> None:
    search = window.search
    search.box.setFocus()
    qtbot.keyClicks(search.box, "l")  # López, Müller (Jürgen), Chloé … several hits
    qtbot.waitUntil(lambda: search.suggestions.visible and len(search.suggestions.ids) > 1)
    wait_results(qtbot, window)
    qtbot.keyClick(search.box, Qt.Key.Key_Down)
    assert search.table.currentIndex().row() == 1  # Down still moves in the table
    second = search.model.id_at(1)
    if second in search.suggestions.ids:
        assert search.suggestions.highlighted() == second
    with qtbot.waitSignal(window.profile.loaded):
        qtbot.keyClick(search.box, Qt.Key.Key_Return)
    assert window.profile.customer_id == second


def test_esc_closes_suggestions_until_the_text_changes(
        qtbot, window: MainWindow) -> None:
    search = window.search
    search.box.setFocus()
    qtbot.keyClicks(search.box, "mul")
    qtbot.waitUntil(lambda: search.suggestions.visible)
    qtbot.keyClick(search.box, Qt.Key.Key_Escape)
    assert not search.suggestions.visible
    assert search.box.text() == "mul"
    search.run_search()  # e.g. a write elsewhere refreshes the list
    qtbot.waitUntil(lambda: not search.searching)
    assert not search.suggestions.visible
    qtbot.keyClicks(search.box, "l")
    qtbot.waitUntil(lambda: search.suggestions.visible)


def test_typo_finds_mueller(qtbot, window: MainWindow, customers: dict[str, UUID]) -> None:
    qtbot.keyClicks(window.search.box, "muler")
    qtbot.waitUntil(lambda: window.search.model.ids == [customers["Müller"]])
    wait_results(qtbot, window)
    assert window.search.model.data(window.search.model.index(0, 0)) == "Jürgen Müller"


def test_index_is_warmed_off_the_gui_thread_after_ready(
        qtbot, shop: Shop, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: shop.search_engine.build_seconds > 0)
