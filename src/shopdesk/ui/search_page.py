"""The counter's home screen: one search box and the result table.

Typing is debounced (150 ms), `search_ids` runs on the read pool and a newer
query supersedes an older one (results tagged with a sequence number).
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.shop import Shop
from shopdesk.ui.results_model import CustomerResultsModel
from shopdesk.ui.taskman import TaskManager

DEBOUNCE_MS = 150
RESULT_LIMIT = 500
_NAV_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}


class SearchPage(QWidget):
    """Search box plus results. GUI thread only; searches run via `TaskManager.query`.

    Signals: `open_customer(UUID)` when staff choose a row, `new_customer()` for the
    "New customer" button, `results_shown(int)` each time a result list arrives.
    """

    open_customer = Signal(object)
    new_customer = Signal()
    results_shown = Signal(int)

    def __init__(self, shop: Shop, ops: TaskManager, region: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop = shop
        self.ops = ops
        self._seq = 0
        self._shown_seq = 0
        self._open_when_ready = False
        self.box = QLineEdit()
        self.box.setObjectName("searchBox")
        self.box.setPlaceholderText("Search by name, phone, e-mail, postcode or customer code")
        self.box.setClearButtonEnabled(True)
        self.box.installEventFilter(self)
        new = QPushButton("New customer  (Ctrl+N)")
        new.setProperty("primary", True)
        new.clicked.connect(self.new_customer)
        self.model = CustomerResultsModel(shop, ops, region, parent=self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((250, 150, 250, 110, 140)):
            self.table.setColumnWidth(column, width)
        self.table.activated.connect(self._activated)
        self.summary = QLabel()
        self.summary.setStyleSheet("color:#6b7280;")
        top = QHBoxLayout()
        top.addWidget(self.box, 1)
        top.addWidget(new)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 10)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.box.textChanged.connect(lambda _text: self._timer.start())
        self.box.returnPressed.connect(self._enter)
        self.model.modelReset.connect(self._select_first)
        ops.bus.ops_did_execute.connect(self._on_changes)

    # -- searching ---------------------------------------------------------------
    @property
    def searching(self) -> bool:
        return self._timer.isActive() or self._shown_seq != self._seq

    def run_search(self) -> None:
        """Start a search for the box's text now (the debounce timer calls this)."""
        self._timer.stop()
        self._seq += 1
        seq, text = self._seq, self.box.text()
        customers = self.shop.customers
        self.ops.query(self, lambda: customers.search_ids(text, RESULT_LIMIT),
                       lambda ids: self._show(seq, text, ids))

    def _show(self, seq: int, text: str, ids: list[UUID]) -> None:
        if seq != self._seq:
            return  # a newer query was typed meanwhile
        self._shown_seq = seq
        self.model.set_ids(ids)
        if not text.strip():
            what = "most recently updated customers"
            self.summary.setText(f"Showing the {len(ids)} {what}" if ids else
                                 "No customers yet — press Ctrl+N to register the first one")
        elif ids:
            more = "+" if len(ids) >= RESULT_LIMIT else ""
            self.summary.setText(f"{len(ids)}{more} match{'es' if len(ids) != 1 else ''} "
                                 f"for “{text.strip()}” — Enter opens the selected customer")
        else:
            self.summary.setText(f"No customer matches “{text.strip()}”")
        self.results_shown.emit(len(ids))
        if self._open_when_ready:
            self._open_when_ready = False
            self._open_current()

    def _select_first(self) -> None:
        if self.model.rowCount():
            self.table.selectRow(0)
            self.table.scrollToTop()

    # -- keyboard ----------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.box and event.type() == QEvent.Type.KeyPress:
            key_event: QKeyEvent = event  # type: ignore[assignment]
            if key_event.key() in _NAV_KEYS:
                self._move(key_event.key())
                return True
        return super().eventFilter(watched, event)

    def _move(self, key: int) -> None:
        rows = self.model.rowCount()
        if not rows:
            return
        current = self.table.currentIndex().row()
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -10,
                Qt.Key.Key_PageDown: 10}[Qt.Key(key)]
        row = max(0, min(rows - 1, (current if current >= 0 else -1) + step))
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    def _enter(self) -> None:
        if self.searching:
            self._open_when_ready = True
            if self._timer.isActive():
                self.run_search()
            return
        self._open_current()

    def _open_current(self) -> None:
        row = self.table.currentIndex().row()
        customer_id = self.model.id_at(row if row >= 0 else 0)
        if customer_id is not None:
            self.open_customer.emit(customer_id)

    def _activated(self, index: object) -> None:
        customer_id = self.model.id_at(index.row())  # type: ignore[attr-defined]
        if customer_id is not None:
            self.open_customer.emit(customer_id)

    def focus_box(self) -> None:
        self.box.setFocus()
        self.box.selectAll()

    # -- refresh -----------------------------------------------------------------
    def _on_changes(self, changes: Changes) -> None:
        if not changes.customers:
            return
        self.model.mark_stale(changes.customers)
        if not set(changes.customers) <= set(self.model.ids) or not self.box.text().strip():
            self.run_search()  # a new or re-ordered customer may now belong in the list
