"""The ticket page's work lines: parts and labour, each with a description, until pickup.

A table staff edit in place (description, SKU, quantity, unit price; the kind
and, on a ticket with several devices, the device as lists in their cells).
"Save work lines" (Ctrl+S) sends the whole list to `tickets.set_work`; the
total is shown as it is typed, in the shop's currency. The lines are read
only once the ticket is collected or cancelled. A reload of the ticket does
not overwrite lines being edited (the page shows a note instead).

Thread rule: GUI thread only.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from shopdesk.services.repairs.repair_views import TicketDetail, WorkLineInfo
from shopdesk.services.repairs.ticket_edits import WorkLineInput
from shopdesk.ui.common import fmt
from shopdesk.ui.common.widgets import Card, ErrorLabel, muted

COLUMNS = ("Device", "Kind", "Description", "SKU", "Qty", "Unit price", "Amount")
DEVICE, KIND, DESCRIPTION, SKU, QTY, PRICE, AMOUNT = range(len(COLUMNS))
KINDS = (("part", "Part"), ("labour", "Labour"))
LINE_ID = Qt.ItemDataRole.UserRole + 2


class WorkLinesCard(Card):
    """The editable list of a ticket's work lines. GUI thread only.

    Signals: `save_requested(list[WorkLineInput])` for "Save work lines".
    """

    save_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Work done: parts and labour", parent)
        self.devices: list[tuple[UUID, str]] = []
        self.dirty = False
        self.editable = False
        self._filling = False
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(110)
        self.table.setMaximumHeight(190)  # about five lines; more scroll inside
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        for column, width in ((DEVICE, 170), (KIND, 90), (SKU, 100), (QTY, 50), (PRICE, 100),
                              (AMOUNT, 100)):
            self.table.setColumnWidth(column, width)
        self.table.itemChanged.connect(self._edited)
        self.add_part = QPushButton("Add part")
        self.add_part.clicked.connect(lambda: self.add_line("part"))
        self.add_labour = QPushButton("Add labour")
        self.add_labour.clicked.connect(lambda: self.add_line("labour"))
        self.remove = QPushButton("Remove line")
        self.remove.clicked.connect(self.remove_current)
        self.save = QPushButton("Save work lines  (Ctrl+S)")
        self.save.setProperty("primary", True)
        self.save.clicked.connect(self.request_save)
        self.total = QLabel()
        self.total.setStyleSheet("font-weight:600;")
        self.note = muted("")
        self.error = ErrorLabel()
        buttons = QHBoxLayout()
        for button in (self.add_part, self.add_labour, self.remove):
            buttons.addWidget(button)
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.total)
        buttons.addSpacing(12)
        buttons.addWidget(self.save)
        self.body.addWidget(self.table)
        self.body.addLayout(buttons)
        self.body.addWidget(self.error)

    # -- showing -------------------------------------------------------------------
    def show_ticket(self, detail: TicketDetail, open_: bool) -> None:
        """Fill from the ticket (unless lines are being edited); editable while open."""
        self.devices = [(d.device.id, f"{d.device.make} {d.device.model}")
                        for d in detail.devices]
        self.table.setColumnHidden(DEVICE, len(self.devices) < 2)
        self.editable = open_
        for widget in (self.add_part, self.add_labour, self.remove, self.save):
            widget.setVisible(open_)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers if open_
            else QAbstractItemView.EditTrigger.NoEditTriggers)
        if self.dirty:
            self.note.setText("The ticket changed meanwhile; save or reload to see it.")
            return
        self._fill(detail.work)

    def clear(self) -> None:
        self.dirty = False
        self._fill([])

    def show_loading(self) -> None:
        """Nothing to edit until the ticket is there."""
        self.editable = False
        for widget in (self.add_part, self.add_labour, self.remove, self.save):
            widget.setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.note.setText("")

    def _fill(self, lines: list[WorkLineInfo]) -> None:
        self._filling = True
        self.table.setRowCount(0)
        for line in lines:
            self._append(line.kind, line.description, line.sku or "", str(line.quantity),
                         fmt.amount_text(line.unit_price), line.device_id, line.id)
        self._filling = False
        self.dirty = False
        self.note.setText("" if lines else "No work recorded yet.")
        self.error.show_message("")
        self._update_total()

    def _append(self, kind: str, description: str = "", sku: str = "", quantity: str = "1",
                price: str = "", device_id: UUID | None = None,
                line_id: UUID | None = None) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        device = QComboBox()
        device.addItem("Whole ticket", "")
        for ident, name in self.devices:
            device.addItem(name, str(ident))
        wanted = device_id or (self.devices[0][0] if len(self.devices) == 1 else None)
        device.setCurrentIndex(max(0, device.findData(str(wanted) if wanted else "")))
        device.setEnabled(self.editable)
        device.currentIndexChanged.connect(lambda _i: self._edited())
        self.table.setCellWidget(row, DEVICE, device)
        kinds = QComboBox()
        for value, title in KINDS:
            kinds.addItem(title, value)
        kinds.setCurrentIndex(max(0, kinds.findData(kind)))
        kinds.setEnabled(self.editable)
        kinds.currentIndexChanged.connect(lambda _i: self._edited())
        self.table.setCellWidget(row, KIND, kinds)
        for column, value in ((DESCRIPTION, description), (SKU, sku), (QTY, quantity),
                              (PRICE, price), (AMOUNT, "")):
            item = QTableWidgetItem(value)
            if column in (QTY, PRICE, AMOUNT):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if column == AMOUNT:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, column, item)
        first = self.table.item(row, DESCRIPTION)
        assert first is not None
        first.setData(LINE_ID, str(line_id) if line_id else "")
        return row

    # -- editing -------------------------------------------------------------------
    def add_line(self, kind: str) -> None:
        row = self._append(kind)
        self.table.setCurrentCell(row, DESCRIPTION)
        self.table.setFocus()
        item = self.table.item(row, DESCRIPTION)
        if item is not None:
            self.table.editItem(item)
        self._edited()

    def remove_current(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._edited()

    def _edited(self, *_args: object) -> None:
        if self._filling:
            return
        self.dirty = True
        self.note.setText("Not saved yet.")
        self._update_total()

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def _combo(self, row: int, column: int) -> str:
        widget = self.table.cellWidget(row, column)
        return str(widget.currentData() or "") if isinstance(widget, QComboBox) else ""

    def _update_total(self) -> None:
        total: Decimal | None = Decimal(0)
        self._filling = True
        for row in range(self.table.rowCount()):
            try:
                amount = Decimal(self._cell(row, QTY) or "1") * \
                    Decimal(self._cell(row, PRICE).replace(",", ".") or "0")
            except InvalidOperation:
                amount, total = None, None
            item = self.table.item(row, AMOUNT)
            if item is not None:
                item.setText(fmt.money(amount) if amount is not None else "?")
            if total is not None and amount is not None:
                total += amount
        self._filling = False
        self.total.setText(f"Total {fmt.money(total)}" if self.table.rowCount() else "")

    def lines(self) -> list[WorkLineInput]:
        out = []
        for row in range(self.table.rowCount()):
            first = self.table.item(row, DESCRIPTION)
            line_id = first.data(LINE_ID) if first is not None else ""
            device = self._combo(row, DEVICE)
            out.append(WorkLineInput(
                description=self._cell(row, DESCRIPTION), kind=self._combo(row, KIND),
                unit_price=self._cell(row, PRICE) or "0", quantity=self._cell(row, QTY) or "1",
                sku=self._cell(row, SKU), device_id=UUID(device) if device else None,
                id=UUID(line_id) if line_id else None))
        return out

    def request_save(self) -> None:
        if self.editable:
            self.error.show_message("")
            self.save_requested.emit(self.lines())

    def saved(self) -> None:
        """The save went through: the next reload fills the table again."""
        self.dirty = False

    def show_error(self, message: str) -> None:
        self.error.show_message(message)
