"""Search result rows: a customer's open or ready ticket shows on their row, and the
columns are sized to what they show (issue 12)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.shop import Shop
from shopdesk.ui.search.results_model import COLUMNS, REPAIR
from tests.conftest import Clock
from tests.core.test_worklist import ticket
from tests.ui.conftest import open_window
from tests.ui.test_search import wait_results


def register(shop: Shop, first: str, last: str, phone: str, **more: str):  # type: ignore[no-untyped-def]
    return shop.customers.register(CustomerInput(
        first_name=first, last_name=last, phone=phone, **more)).customer.id


def test_open_and_ready_tickets_show_on_the_customers_row(
        qtbot, shop: Shop, clock: Clock) -> None:
    late_one = register(shop, "Ana", "Romero", "+44 7400 100001")
    ready_one = register(shop, "Bea", "Romero", "+44 7400 100002")
    nothing = register(shop, "Cai", "Romero", "+44 7400 100003")
    late = ticket(shop, late_one, "35391110000070", "diagnosing")
    clock.advance(days=6)
    ready = ticket(shop, ready_one, "35391110000071", "diagnosing", "in_repair", "ready")
    ticket(shop, ready_one, "35391110000072")
    numbers = {t.id: t.number for t in shop.tickets.board()}
    window = open_window(qtbot, shop)
    try:
        search = window.search
        qtbot.keyClicks(search.box, "romero")
        wait_results(qtbot, window)
        model = search.model
        assert set(model.ids) == {late_one, ready_one, nothing}
        cells = {model.id_at(r): model.data(model.index(r, REPAIR)) for r in range(3)}
        assert cells[ready_one] == "Ready for pickup (+1)"
        assert cells[late_one] == "Diagnosing · overdue"
        assert cells[nothing] == ""
        row = model.ids.index(ready_one)
        cell = model.index(row, REPAIR)
        assert model.data(cell, Qt.ItemDataRole.ForegroundRole).name() == "#17663a"
        assert numbers[ready] in model.data(cell, Qt.ItemDataRole.ToolTipRole)
        late_cell = model.index(model.ids.index(late_one), REPAIR)
        assert model.data(late_cell, Qt.ItemDataRole.ForegroundRole).name() == "#a3281c"
        assert f"{numbers[late]}: Diagnosing (overdue)" == \
            model.data(late_cell, Qt.ItemDataRole.ToolTipRole)

        tickets = shop.tickets  # the ticket is collected elsewhere in the window
        window.ops.write(window, lambda: tickets.change_status(late, "cancelled"))
        row = model.ids.index(late_one)
        qtbot.waitUntil(lambda: model.data(model.index(row, REPAIR)) == "")
    finally:
        window.shutdown()


def test_columns_are_sized_to_their_content_and_names_are_not_cut(
        qtbot, shop: Shop) -> None:
    long_name = register(shop, "Maximiliana Josefina", "Castellanos-Villavicencio",
                         "+44 7400 200001", customer_type="business",
                         company="Villavicencio Telecom Repairs Ltd")
    for n in range(5):
        register(shop, f"Ann{n}", "Villa", f"+44 7400 20010{n}", email=f"ann{n}@example.com")
    window = open_window(qtbot, shop)
    window.resize(1366, 768)
    try:
        search = window.search
        qtbot.keyClicks(search.box, "villa")
        wait_results(qtbot, window)
        model, table = search.model, search.table
        qtbot.waitUntil(lambda: model.summary_at(0) is not None)
        assert long_name in model.ids
        header = table.horizontalHeader()
        assert not header.stretchLastSection()  # no empty column takes the spare width
        widths = [table.columnWidth(c) for c in range(len(COLUMNS))]
        assert sum(widths) <= table.viewport().width()
        for column, title in enumerate(COLUMNS):
            texts = [str(model.data(model.index(r, column))) for r in range(model.rowCount())]
            metrics = search._cell_metrics(column)
            needed = max(metrics.horizontalAdvance(t) for t in texts)
            assert widths[column] >= needed + 8, (title, widths[column], needed)  # not cut
            title_needed = header.fontMetrics().horizontalAdvance(title)
            assert widths[column] <= max(needed, title_needed) + 60, title  # not padded out
    finally:
        window.shutdown()
