"""The suggestions popup never hides what Enter opens (issue 12).

What Enter opens is either the highlighted suggestion or, with the popup closed,
the table's current row; whichever it is must be on screen and highlighted.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QPoint, QRect, Qt

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from shopdesk.ui.search.search_page import SearchPage
from tests.ui.conftest import open_window


def popup_rect(search: SearchPage) -> QRect:
    popup = search.suggestions.popup
    return QRect(popup.mapToGlobal(QPoint(0, 0)), popup.size())


def row_rect(search: SearchPage, row: int) -> QRect:
    """Where table row `row` is on screen (global coordinates), clipped to the viewport."""
    table = search.table
    rect = table.visualRect(search.model.index(row, 0))
    rect.setLeft(0)
    rect.setWidth(table.viewport().width())
    viewport = table.viewport().rect()
    visible = rect.intersected(viewport)
    return QRect(table.viewport().mapToGlobal(visible.topLeft()), visible.size())


def enter_target_is_shown(search: SearchPage) -> UUID | None:
    """What Enter opens now, asserting it is visible and highlighted on screen."""
    suggestions = search.suggestions
    if suggestions.visible:
        chosen = suggestions.highlighted()
        assert chosen is not None, "the popup is open but highlights nothing"
        popup = suggestions.popup
        assert popup.selectionModel().isSelected(popup.currentIndex())
        assert popup.viewport().rect().intersects(popup.visualRect(popup.currentIndex()))
        return chosen
    row = search.table.currentIndex().row()
    assert row >= 0
    assert search.table.selectionModel().isRowSelected(row)
    assert not row_rect(search, row).isEmpty(), "the current row is scrolled away"
    return search.model.id_at(row)


def wait_settled(qtbot, search: SearchPage) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not search.searching)
    qtbot.waitUntil(lambda: search.model.rowCount() == 0
                    or search.model.summary_at(0) is not None)


def test_the_top_suggestion_is_highlighted_and_enter_opens_it(
        qtbot, window: MainWindow, customers: dict[str, UUID]) -> None:
    search = window.search
    search.box.setFocus()
    qtbot.keyClicks(search.box, "ana")
    qtbot.waitUntil(lambda: search.suggestions.visible)
    wait_settled(qtbot, search)
    assert enter_target_is_shown(search) == customers["López"]
    assert search.model.id_at(search.table.currentIndex().row()) == customers["López"]
    with qtbot.waitSignal(window.profile.loaded):
        qtbot.keyClick(search.box, Qt.Key.Key_Return)
    assert window.profile.customer_id == customers["López"]


def test_moving_past_the_suggestions_closes_the_popup_over_the_row(
        qtbot, shop: Shop) -> None:
    for n, first in enumerate(("Ann", "Bob", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal")):
        shop.customers.register(CustomerInput(
            first_name=first, last_name="Smithers", phone=f"+44 7400 1000{n:02d}"))
    window = open_window(qtbot, shop)
    try:
        search = window.search
        search.box.setFocus()
        qtbot.keyClicks(search.box, "smithers")
        qtbot.waitUntil(lambda: search.suggestions.visible)
        wait_settled(qtbot, search)
        suggested = list(search.suggestions.ids)
        assert len(suggested) == 5
        assert enter_target_is_shown(search) == suggested[0]
        # The popup covers the top of the table: the row it hides is the highlighted one.
        assert popup_rect(search).intersects(row_rect(search, 0))
        for step in range(1, 5):
            qtbot.keyClick(search.box, Qt.Key.Key_Down)
            assert search.suggestions.visible
            assert enter_target_is_shown(search) == suggested[step]
        qtbot.keyClick(search.box, Qt.Key.Key_Down)  # the sixth hit is not a suggestion
        assert not search.suggestions.visible
        sixth = enter_target_is_shown(search)
        assert sixth not in suggested and sixth == search.model.id_at(5)
        with qtbot.waitSignal(window.profile.loaded):
            qtbot.keyClick(search.box, Qt.Key.Key_Return)
        assert window.profile.customer_id == sixth
    finally:
        window.shutdown()


def test_enter_typed_before_the_results_opens_the_highlighted_top_hit(
        qtbot, window: MainWindow, customers: dict[str, UUID]) -> None:
    search = window.search
    search.box.setFocus()
    qtbot.keyClicks(search.box, "dubois")
    opened: list[UUID] = []
    search.open_customer.connect(lambda customer_id: opened.append(customer_id))
    with qtbot.waitSignal(window.profile.loaded):
        qtbot.keyClick(search.box, Qt.Key.Key_Return)  # the debounce has not run yet
    assert opened == [customers["Dubois"]]
