"""Where staff ask for paper: the ticket's Print menu, the summary report, the print queue.

Documents are made off the GUI thread (`shop.printing.*` on the read pool) and
shown in the print preview; receipts and labels can also go straight to the
default printer (a per-counter choice kept in QSettings, since printers belong
to the machine, not the shop). GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, QSettings
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shopdesk.services.printing.print_spool import PendingPrint, PrintSpool
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ErrorLabel, muted
from shopdesk.ui.printing.print_preview import PrintPreviewDialog, print_direct

DIRECT_KEY = "printing/direct_receipts_and_labels"
DOCUMENTS = {
    "receipt": "Receipt",
    "jobsheet": "Intake job sheet",
    "labels": "Device labels",
    "feedback": "Feedback form",
}


def prints_directly() -> bool:
    return bool(QSettings("shopdesk", "shopdesk").value(DIRECT_KEY, False, type=bool))


def set_prints_directly(value: bool) -> None:
    QSettings("shopdesk", "shopdesk").setValue(DIRECT_KEY, value)


class PrintButton(QPushButton):
    """"Print" with its menu of documents for one repair ticket (the menu's own arrow
    is the only one); the menu opens with its first item, the receipt, active, so
    Space then Enter previews it. `message(text)` reports direct prints."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget,
                 message: Callable[[str], None], shortcut: str = "Ctrl+P") -> None:
        super().__init__(f"Print  ({shortcut})" if shortcut else "Print", parent)
        self.shop, self.ops, self.message = shop, ops, message
        self.number: str | None = None
        self.preview: PrintPreviewDialog | None = None
        menu = QMenu(self)
        for kind, title in DOCUMENTS.items():
            action = menu.addAction(f"{title}…")
            action.triggered.connect(lambda _c=False, k=kind: self.make(k))
        first = menu.actions()[0]
        menu.aboutToShow.connect(lambda: menu.setActiveAction(first))
        menu.addSeparator()
        self.direct = menu.addAction("Receipts and labels straight to the printer")
        self.direct.setCheckable(True)
        self.direct.setChecked(prints_directly())
        self.direct.toggled.connect(set_prints_directly)
        self.setMenu(menu)

    def set_ticket(self, number: str | None) -> None:
        self.number = number
        self.setEnabled(number is not None)

    def make(self, kind: str) -> None:
        """Build the document on the read pool, then preview or print it."""
        number, printing = self.number, self.shop.printing
        if number is None:
            return
        build, settings = getattr(printing, kind), self.shop.settings

        def job() -> tuple[bytes, list[str]]:  # a receipt also says what it lacks
            return build(number), settings.receipt_warnings() if kind == "receipt" else []

        self.ops.query(self, job, lambda made: self._made(kind, number, *made),
                       lambda error: self.message(f"Could not make the {DOCUMENTS[kind]}: "
                                                  f"{error}"))

    def _made(self, kind: str, number: str, pdf: bytes, warnings: list[str]) -> None:
        spool = PrintSpool(self.shop.root)
        if kind in ("receipt", "labels") and prints_directly():
            self.message(" ".join([print_direct(pdf, kind, number, spool), *warnings]))
            return
        self.preview = PrintPreviewDialog(pdf, f"{DOCUMENTS[kind]} — {number}", kind, number,
                                          spool, self.window(), " ".join(warnings))
        self.preview.open()


class ReportDialog(QDialog):
    """Pick a date range; the summary report opens in the print preview."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.preview: PrintPreviewDialog | None = None
        self.setWindowTitle("Summary report")
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-30))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.error = ErrorLabel()
        make = QPushButton("Make report")
        make.setProperty("primary", True)
        make.setDefault(True)
        make.clicked.connect(self.make)
        form = QFormLayout()
        form.addRow("From", self.date_from)
        form.addRow("To", self.date_to)
        layout = QVBoxLayout(self)
        layout.addWidget(muted("New customers by channel, tickets by status and technician, "
                               "revenue by service type."))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(make)

    def make(self) -> None:
        start, end = self.date_from.date().toPython(), self.date_to.date().toPython()
        assert isinstance(start, date) and isinstance(end, date)
        if start > end:
            self.error.show_message("The “to” date is before the “from” date.")
            return
        self.error.show_message("")
        printing = self.shop.printing
        self.ops.query(self, lambda: printing.summary_report(start, end),
                       lambda pdf: self._made(start, end, pdf),
                       lambda error: self.error.show_message(f"Could not make the report: "
                                                             f"{error}"))

    def _made(self, start: date, end: date, pdf: bytes) -> None:
        reference = f"{start:%Y%m%d}-{end:%Y%m%d}"
        self.preview = PrintPreviewDialog(pdf, f"Summary report {start} – {end}", "report",
                                          reference, PrintSpool(self.shop.root), self)
        self.preview.open()


class PrintQueueDialog(QDialog):
    """Prints that failed, kept for reprint: open one to print it, or discard it."""

    def __init__(self, shop: Shop, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spool = PrintSpool(shop.root)
        self.preview: PrintPreviewDialog | None = None
        self.setWindowTitle("Print queue")
        self.resize(560, 360)
        self.list = QListWidget()
        self.list.itemActivated.connect(lambda _item: self.reprint())
        self.summary = muted("")
        reprint = QPushButton("Reprint…")
        reprint.setProperty("primary", True)
        reprint.clicked.connect(self.reprint)
        discard = QPushButton("Discard")
        discard.clicked.connect(self.discard)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary)
        buttons.addStretch(1)
        buttons.addWidget(discard)
        buttons.addWidget(reprint)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        pending = self.spool.pending()
        for item in pending:
            row = QListWidgetItem(f"{DOCUMENTS.get(item.kind, item.kind.capitalize())} "
                                  f"{item.reference} · {fmt.local_time(item.queued_at)} · "
                                  f"{item.reason}")
            row.setData(256, item)
            self.list.addItem(row)
        self.summary.setText(f"{len(pending)} waiting" if pending else "Nothing waiting")
        if pending:
            self.list.setCurrentRow(0)

    def _current(self) -> PendingPrint | None:
        row = self.list.currentItem()
        return row.data(256) if row is not None else None

    def reprint(self) -> None:
        item = self._current()
        if item is None:
            return
        self.preview = PrintPreviewDialog(item.path.read_bytes(), f"Reprint {item.reference}",
                                          item.kind, item.reference, self.spool, self)
        if self.preview.exec() == QDialog.DialogCode.Accepted:
            self.spool.done(item)
        self.refresh()

    def discard(self) -> None:
        item = self._current()
        if item is not None:
            self.spool.done(item)
            self.refresh()

