"""The pickup dialog: final amount, payment, what was done per device, satisfaction.

Per device staff may type a description, labour and parts (name or SKU,
quantity, unit price). When any device has work typed, the work is sent for
every device and the core checks it adds up to the final amount; otherwise
the final amount is shared as labour. The dialog saves through
`tickets.pickup` on the writer thread and stays open with the reason when the
core refuses (a mismatch, a missing payment method, a ticket not ready).

Thread rule: GUI thread only. Open it with `open()` (window-modal, not blocking).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.choices import PaymentMethod
from shopdesk.domain.service_rules import PartInput
from shopdesk.services.repairs.repair_views import TicketDetail, TicketDeviceInfo, TicketSaved
from shopdesk.services.repairs.tickets import PickupWork
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text, money
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import Card, ErrorLabel, Heading, muted

PART_COLUMNS = ("Part name", "SKU", "Qty", "Unit price")


class WorkBox(Card):
    """Description, labour and parts for one device of the ticket. GUI thread only."""

    def __init__(self, info: TicketDeviceInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.device_id = info.device.id
        self.body.addWidget(Heading(info.device.label, 13))
        self.body.addWidget(muted(f"Fault: {info.fault}"))
        form = QFormLayout()
        self.description = QLineEdit()
        self.description.setPlaceholderText("what was done, e.g. replaced screen assembly")
        self.labour = QLineEdit()
        self.labour.setPlaceholderText("0.00")
        form.addRow("Work done", self.description)
        form.addRow("Labour", self.labour)
        self.body.addLayout(form)
        self.parts = QTableWidget(0, len(PART_COLUMNS))
        self.parts.setHorizontalHeaderLabels(PART_COLUMNS)
        self.parts.verticalHeader().hide()
        self.parts.setFixedHeight(96)
        self.parts.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        header = self.parts.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 110), (2, 50), (3, 90)):
            self.parts.setColumnWidth(column, width)
        add = QPushButton("Add part")
        add.clicked.connect(lambda: self.add_part())
        row = QHBoxLayout()
        row.addWidget(self.parts, 1)
        row.addWidget(add)
        self.body.addLayout(row)

    def add_part(self, name: str = "", sku: str = "", quantity: str = "1",
                 unit_price: str = "") -> None:
        row = self.parts.rowCount()
        self.parts.insertRow(row)
        for column, value in enumerate((name, sku, quantity, unit_price)):
            self.parts.setItem(row, column, QTableWidgetItem(value))
        self.parts.setCurrentCell(row, 0)

    def _cell(self, row: int, column: int) -> str:
        item = self.parts.item(row, column)
        return item.text().strip() if item is not None else ""

    def part_inputs(self) -> list[PartInput]:
        parts = []
        for row in range(self.parts.rowCount()):
            name, sku, quantity, price = (self._cell(row, c) for c in range(4))
            if name or sku or price:
                parts.append(PartInput(name=name, sku=sku, quantity=quantity or "1",
                                       unit_price=price or "0"))
        return parts

    def typed(self) -> bool:
        return bool(self.description.text().strip() or self.labour.text().strip()
                    or self.part_inputs())

    def work(self) -> PickupWork:
        return PickupWork(self.device_id, self.description.text(), self.part_inputs(),
                          self.labour.text().strip() or "0")

    def subtotal(self) -> Decimal | None:
        """Labour plus parts as typed so far (None while something is not a number)."""
        try:
            value = Decimal(self.labour.text().strip() or "0")
            for part in self.part_inputs():
                value += Decimal(str(part.quantity)) * Decimal(str(part.unit_price))
        except InvalidOperation:
            return None
        return value


class PickupDialog(QDialog):
    """Collect a ready ticket. GUI thread only; `collected(TicketSaved)` on success."""

    def __init__(self, shop: Shop, ops: TaskManager, detail: TicketDetail,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops, self.detail = shop, ops, detail
        self.saved: TicketSaved | None = None
        self.setWindowTitle(f"Pickup — {detail.summary.number}")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading(f"Hand back {detail.summary.number} to "
                                 f"{detail.summary.customer_name}", 16))
        layout.addWidget(muted(f"Estimate {money(detail.summary.estimate)} · deposit paid "
                               f"{money(detail.deposit)}. Leave the work lines empty to share "
                               "the final amount as labour."))
        self.boxes = [WorkBox(info) for info in detail.devices]
        for box in self.boxes:
            layout.addWidget(box)
            box.labour.textChanged.connect(self._update_total)
            box.parts.itemChanged.connect(self._update_total)
        form = QFormLayout()
        self.final_amount = QLineEdit(money(detail.summary.estimate)
                                      if detail.summary.estimate is not None else "")
        self.final_amount.setPlaceholderText("e.g. 89.00")
        self.final_amount.textChanged.connect(self._update_total)
        self.payment = QComboBox()
        self.payment.addItem("Choose…", "")
        for method in PaymentMethod:
            self.payment.addItem(fmt.choice_label(method), method.value)
        self.satisfaction = QComboBox()
        self.satisfaction.addItem("Not given", None)
        for rating, words in ((5, "very happy"), (4, "happy"), (3, "neutral"), (2, "unhappy"),
                              (1, "very unhappy")):
            self.satisfaction.addItem(f"{rating} — {words}", rating)
        self.note = QLineEdit()
        self.balance = QLabel()
        form.addRow("Final amount *", self.final_amount)
        form.addRow("Balance due", self.balance)
        form.addRow("Payment method", self.payment)
        form.addRow("Satisfaction", self.satisfaction)
        form.addRow("Note", self.note)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Collect and record", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._update_total()
        self.final_amount.setFocus()
        self.final_amount.selectAll()

    def _update_total(self, *_args: object) -> None:
        try:
            final = Decimal(self.final_amount.text().strip())
        except InvalidOperation:
            self.balance.setText(fmt.DASH)
            return
        text = f"{final - self.detail.deposit:.2f} after the deposit"
        typed = [b for b in self.boxes if b.typed()]
        if typed:
            sums = [s for b in self.boxes if (s := b.subtotal()) is not None]
            if len(sums) == len(self.boxes):  # every line is a number so far
                lines = sum(sums, Decimal(0))
                if lines != final:
                    text += f"  ·  work lines add up to {lines:.2f}"
        self.balance.setText(text)

    def submit(self) -> None:
        self.error.show_message("")
        work = tuple(b.work() for b in self.boxes) if any(b.typed() for b in self.boxes) \
            else ()
        final = self.final_amount.text().strip()
        method = self.payment.currentData() or None
        rating = self.satisfaction.currentData()
        note = self.note.text()
        ticket_id, tickets = self.detail.summary.id, self.shop.tickets
        self.ok.setEnabled(False)
        self.ops.write(self, lambda: tickets.pickup(ticket_id, final, method, work, rating,
                                                    note),
                       self._done, self._failed)

    def _done(self, saved: TicketSaved) -> None:
        self.saved = saved
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.ok.setEnabled(True)
        self.error.show_message(error_text(error))
