"""The ticket's Print menu, the summary report and the print queue, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from pypdf import PdfReader

from shopdesk.services.printing.print_spool import PrintSpool
from shopdesk.shop import Shop
from shopdesk.ui.main_window import MainWindow
from shopdesk.ui.printing.print_actions import PrintQueueDialog, set_prints_directly
from tests.ui.test_repairs_ui import make_ticket, open_ticket


@pytest.fixture(autouse=True)
def _dialogs_first() -> Iterator[None]:
    set_prints_directly(False)
    yield
    set_prints_directly(False)  # a per-machine setting: leave it as found


def text_of(pdf: bytes) -> str:
    import io

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_print_menu_previews_each_document(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                           customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["López"])
    open_ticket(qtbot, window, ticket_id)
    button = window.ticket.print_button
    number = window.ticket.detail.summary.number  # type: ignore[union-attr]
    for kind in ("receipt", "jobsheet", "labels", "feedback"):
        button.preview = None
        button.make(kind)
        qtbot.waitUntil(lambda: button.preview is not None and button.preview.isVisible())
        preview = button.preview
        assert preview.page_labels, kind
        assert number in preview.windowTitle()
        assert number in text_of(preview.pdf), kind
        preview.close()


def test_direct_print_without_a_printer_keeps_the_job(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                                      customers: dict[str, UUID]) -> None:
    ticket_id = make_ticket(shop, customers["López"])
    open_ticket(qtbot, window, ticket_id)
    button = window.ticket.print_button
    set_prints_directly(True)
    button.make("labels")
    qtbot.waitUntil(lambda: "Kept for reprint" in window.ticket.error.text())
    assert button.preview is None
    [kept] = PrintSpool(shop.root).pending()
    assert kept.kind == "labels"
    queue = PrintQueueDialog(shop, window)
    qtbot.addWidget(queue)
    assert queue.list.count() == 1 and "Device labels" in queue.list.item(0).text()
    queue.discard()
    assert queue.list.count() == 0 and PrintSpool(shop.root).pending() == []


def test_summary_report_from_the_shop_menu(qtbot, window: MainWindow, shop: Shop,  # type: ignore[no-untyped-def]
                                           customers: dict[str, UUID]) -> None:
    make_ticket(shop, customers["López"])
    window.open_report()
    dialog = window.report_dialog
    dialog.date_to.setDate(dialog.date_from.date().addDays(-1))
    dialog.make()
    assert "before" in dialog.error.text() and dialog.preview is None
    dialog.date_to.setDate(dialog.date_from.date().addDays(60))
    dialog.make()
    qtbot.waitUntil(lambda: dialog.preview is not None and dialog.preview.isVisible())
    assert dialog.preview.page_labels
    dialog.preview.close()
    dialog.close()
