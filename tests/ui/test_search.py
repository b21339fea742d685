"""The search page: focus, search as you type, keyboard navigation, lazy rows."""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from shopdesk.services.demo.demo import generate
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from tests.ui.conftest import open_window


def wait_results(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not window.search.searching)
    qtbot.waitUntil(lambda: window.search.model.rowCount() == 0
                    or window.search.model.summary_at(0) is not None)


def list_all_customers(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """An empty box shows today's work; a filter every customer passes lists them all."""
    window.search.filter_bar.active_only.setChecked(True)
    qtbot.waitUntil(lambda: window.search.results.currentWidget() is window.search.table)
    wait_results(qtbot, window)


def test_search_box_has_focus_at_start(window: MainWindow) -> None:
    assert QApplication.focusWidget() is window.search.box
    search = window.search
    assert search.results.currentWidget() is search.today  # today's work, not customers
    assert [search.today.count(key) for key in search.today.cards] == [0, 0, 0, 0]
    assert "3 customers" in window.count_label.text()
    assert "Olivia Owner (Owner)" in window.who.text()


def test_typing_finds_and_enter_opens_profile_esc_returns(
        qtbot, window: MainWindow, customers: dict[str, UUID]) -> None:
    qtbot.keyClicks(window.search.box, "mull")
    wait_results(qtbot, window)
    model = window.search.model
    assert model.ids == [customers["Müller"]]
    assert model.data(model.index(0, 0)) == "Jürgen Müller"
    assert model.data(model.index(0, 1)) == "+49 1512 3456789"
    with qtbot.waitSignal(window.profile.loaded):
        qtbot.keyClick(window.search.box, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.profile
    assert window.profile.name.text() == "Jürgen Müller"
    qtbot.keyClick(window.profile, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.search
    assert window.search.box.text() == "mull"  # Esc clears nothing
    assert QApplication.focusWidget() is window.search.box


def test_enter_before_debounce_opens_top_hit(
        qtbot, window: MainWindow, customers: dict[str, UUID]) -> None:
    window.search.box.setText("Dubois")
    with qtbot.waitSignal(window.profile.loaded):
        qtbot.keyClick(window.search.box, Qt.Key.Key_Return)
    assert window.profile.customer_id == customers["Dubois"]


def test_up_down_move_in_table(qtbot, window: MainWindow) -> None:
    list_all_customers(qtbot, window)
    window.search.focus_box()
    table = window.search.table
    assert table.currentIndex().row() == 0
    qtbot.keyClick(window.search.box, Qt.Key.Key_Down)
    qtbot.keyClick(window.search.box, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 2
    qtbot.keyClick(window.search.box, Qt.Key.Key_Up)
    assert table.currentIndex().row() == 1
    expected = window.search.model.id_at(1)
    with qtbot.waitSignal(window.profile.loaded):
        qtbot.keyClick(window.search.box, Qt.Key.Key_Return)
    assert window.profile.customer_id == expected


def test_newer_query_supersedes_older(qtbot, window: MainWindow,
                                      customers: dict[str, UUID]) -> None:
    search = window.search
    search.box.setText("López")
    search.run_search()
    stale_seq = search._seq
    search.box.setText("Dubois")
    search.run_search()
    wait_results(qtbot, window)
    assert search.model.ids == [customers["Dubois"]]
    search._show(stale_seq, "López", [customers["López"]])  # late answer to the old query
    assert search.model.ids == [customers["Dubois"]]


def test_results_model_holds_ids_and_fetches_pages_lazily(qtbot, shop: Shop) -> None:
    shop.transfer.import_rows(((n + 2, row) for n, row in enumerate(generate(300, seed=3))),
                              300)
    window = open_window(qtbot, shop)
    try:
        list_all_customers(qtbot, window)
        model = window.search.model
        qtbot.waitUntil(lambda: model.summary_at(0) is not None)
        assert model.rowCount() == 300
        assert len(model.ids) == 300
        assert model.loaded_pages == {0}
        window.search.table.scrollToBottom()
        qtbot.waitUntil(lambda: 2 in model.loaded_pages)
        assert 1 not in model.loaded_pages  # never displayed, never fetched
        assert model.summary_at(299) is not None
        assert model.summary_at(150) is None
    finally:
        window.shutdown()
