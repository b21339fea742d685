"""Choosing the customer a ticket is for: the chosen name, or a small search.

Typing searches (debounced, `shop.search` on the read pool; a newer query
supersedes an older one); Down moves into the list, Enter takes the
highlighted (or first) customer.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shopdesk.search.engine import Hit
from shopdesk.services.customers.customer_views import CustomerSummary
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ID_ROLE

DEBOUNCE_MS = 150
LIMIT = 8


class CustomerPicker(QWidget):
    """Shows the chosen customer with "Change…", or a search for one. GUI thread only.

    Signals: `chosen(UUID)` when a customer is set (typed search or `set_customer`).
    """

    chosen = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.customer_id: UUID | None = None
        self._seq = 0
        self.name = QLabel()
        self.name.setStyleSheet("font-size:15px; font-weight:600;")
        self.change = QPushButton("Change…")
        self.change.clicked.connect(self.clear)
        self.chosen_row = QWidget()
        row = QHBoxLayout(self.chosen_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.name, 1)
        row.addWidget(self.change)
        self.box = QLineEdit()
        self.box.setPlaceholderText("Find the customer: name, phone, e-mail or code "
                                    "(Down to choose, Enter to take)")
        self.box.installEventFilter(self)
        self.list = QListWidget()
        self.list.setMaximumHeight(150)
        self.list.itemActivated.connect(lambda item: self.set_customer(
            item.data(ID_ROLE), item.text()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.chosen_row)
        layout.addWidget(self.box)
        layout.addWidget(self.list)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search)
        self.box.textChanged.connect(lambda _t: self._timer.start())
        self.box.returnPressed.connect(self._take_current)
        self.clear()

    def clear(self) -> None:
        """Back to searching (no customer chosen)."""
        self.customer_id = None
        self.chosen_row.hide()
        self.box.show()
        self.box.clear()
        self.list.clear()
        self.list.hide()
        self.box.setFocus()

    def focus(self) -> None:
        (self.box if self.customer_id is None else self.change).setFocus()

    def set_customer(self, customer_id: UUID, name: str = "") -> None:
        self.customer_id = customer_id
        self.name.setText(name or "…")
        self.chosen_row.show()
        self.box.hide()
        self.list.hide()
        if not name:
            customers = self.shop.customers
            self.ops.query(self, lambda: customers.summaries([customer_id]),
                           lambda rows: self._named(customer_id, rows))
        self.chosen.emit(customer_id)

    def _named(self, customer_id: UUID, rows: list[CustomerSummary]) -> None:
        if rows and customer_id == self.customer_id:
            self.name.setText(f"{rows[0].name}   ·   {rows[0].code}")

    def search(self) -> None:
        self._timer.stop()
        text = self.box.text()
        self._seq += 1
        seq, shop = self._seq, self.shop
        if not text.strip():
            self.list.clear()
            self.list.hide()
            return
        self.ops.query(self, lambda: shop.search(text, LIMIT),
                       lambda hits: self._show(seq, hits))

    @property
    def searching(self) -> bool:
        return self._timer.isActive()

    def _show(self, seq: int, hits: list[Hit]) -> None:
        if seq != self._seq or self.customer_id is not None:
            return
        self.list.clear()
        for hit in hits:
            item = QListWidgetItem(f"{hit.name}   ·   {hit.code}   ·   {hit.phone}")
            item.setData(ID_ROLE, hit.id)
            self.list.addItem(item)
        if hits:
            self.list.setCurrentRow(0)
        self.list.setVisible(bool(hits))

    def _take_current(self) -> None:
        item = self.list.currentItem() or self.list.item(0)
        if item is not None and self.list.isVisible():
            self.set_customer(item.data(ID_ROLE), item.text())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # PySide6 hands key events over as QKeyEvent, so isinstance narrows the type.
        if watched is self.box and isinstance(event, QKeyEvent) \
                and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.list.count():
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.list.setCurrentRow(max(0, min(self.list.count() - 1, row)))
                return True
        return super().eventFilter(watched, event)
