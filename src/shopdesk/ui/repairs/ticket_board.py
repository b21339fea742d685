"""The ticket board: tickets grouped by status with their counts, most urgent first.

Each status is a group headed by how many tickets it holds and how many are past
their promised day; under it the tickets (customer, devices, technician,
estimate, age, promised day with overdue ones in red, last change), read a page
at a time as the list scrolls (`BoardModel`), so no count is ever capped.
"All open" shows the six open statuses; one status or a technician narrows it.
The board reloads whenever a write touches any ticket (`changes.tickets`).
Enter or a double-click opens a ticket; on a group, Enter folds or unfolds it.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.tickets import OPEN_STATUSES, TicketStatus
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import combo_id, muted, select_id, title_label
from shopdesk.ui.repairs.board_model import COLUMNS, BoardModel
from shopdesk.ui.repairs.repair_common import Technician, fill_staff, load_technicians

WIDTHS = [150, 175, 230, 130, 85, 70, 190]
UNASSIGNED = "unassigned"  # combo data of the "no technician" filter


class TicketBoard(QWidget):
    """Tickets by status with a status and a technician filter. GUI thread only.

    Signals: `open_ticket(UUID)`, `new_ticket()`, `loaded(int)` (the tickets
    counted) after each load.
    """

    open_ticket = Signal(object)
    new_ticket = Signal()
    loaded = Signal(int)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self._current: UUID | None = None  # kept selected across a reload
        self.status = QComboBox()
        self.status.addItem("All open", None)
        for status in (*OPEN_STATUSES, TicketStatus.COLLECTED, TicketStatus.CANCELLED):
            self.status.addItem(status.label, status.value)
        self.technician = QComboBox()
        self.technician.addItem("All technicians", "")
        self.technician.setMinimumWidth(200)
        for combo in (self.status, self.technician):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        new = QPushButton("New ticket  (Ctrl+T)")
        new.setProperty("primary", True)
        new.clicked.connect(self.new_ticket)
        top = QHBoxLayout()
        top.addWidget(title_label("Ticket board"))
        top.addSpacing(16)
        top.addWidget(QLabel("Status"))
        top.addWidget(self.status)
        top.addSpacing(8)
        top.addWidget(QLabel("Technician"))
        top.addWidget(self.technician)
        top.addStretch(1)
        top.addWidget(new)
        self.model = BoardModel(shop, ops, self)
        self.model.loaded.connect(self._loaded)
        self.model.page_loaded.connect(self._fetch_if_at_end)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setExpandsOnDoubleClick(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate(WIDTHS):
            self.tree.setColumnWidth(column, width)
        self.tree.setColumnWidth(len(COLUMNS) - 1, 135)
        self.tree.activated.connect(self._activated)
        self.tree.selectionModel().currentChanged.connect(lambda _c, _p: self._fetch_if_at_end())
        self.tree.verticalScrollBar().valueChanged.connect(lambda _v: self._fetch_if_at_end())
        self.tree.setStyleSheet("QTreeView::item { padding:3px 2px; }")
        self.summary = muted("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 10)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.summary)
        ops.bus.ops_did_execute.connect(self._on_changes)

    # -- loading -----------------------------------------------------------------
    def start(self) -> None:
        """Shown: fetch the technicians and the tickets; focus the list."""
        load_technicians(self.shop, self.ops, self, self._set_technicians)
        self.refresh()
        self.tree.setFocus()

    def _set_technicians(self, staff: list[Technician], _complete: bool) -> None:
        unassigned = self.technician.currentData() == UNASSIGNED
        fill_staff(self.technician, staff, "All technicians")
        self.technician.blockSignals(True)
        self.technician.insertItem(1, "Unassigned", UNASSIGNED)
        if unassigned:
            self.technician.setCurrentIndex(1)
        self.technician.blockSignals(False)

    def set_filters(self, status: str | None = None, technician_id: UUID | None = None) -> None:
        self.status.blockSignals(True)
        self.status.setCurrentIndex(max(0, self.status.findData(status)))
        self.status.blockSignals(False)
        self.technician.blockSignals(True)
        select_id(self.technician, technician_id)
        self.technician.blockSignals(False)
        self.refresh()

    @property
    def loading(self) -> bool:
        return self.model.loading

    def refresh(self) -> None:
        status = self.status.currentData()
        statuses = (status,) if status else tuple(s.value for s in OPEN_STATUSES)
        unassigned = self.technician.currentData() == UNASSIGNED
        technician = None if unassigned else combo_id(self.technician)
        self._current = self._current_id()
        self.model.refresh(statuses, technician, unassigned)

    def _current_id(self) -> UUID | None:
        ticket = self.model.ticket(self.tree.currentIndex())
        return ticket.id if ticket is not None else None

    def _loaded(self, total: int) -> None:
        if total < 0:
            self.summary.setText("The board could not be loaded; it is tried again with the "
                                 "next change.")
            self.loaded.emit(0)
            return
        for group in range(self.model.rowCount()):  # "Received · 188": the whole row
            self.tree.setFirstColumnSpanned(group, QModelIndex(), True)
        self.tree.expandAll()
        self._select(self._current)
        what = self.status.currentText().lower()
        overdue = self.model.overdue
        late = f" · {overdue:,} past their promised day" if overdue else ""
        noun = "ticket" if total == 1 else "tickets"
        self.summary.setText(f"{total:,} {noun} · {what}{late} — Enter opens the selected "
                             "ticket" if total else f"No tickets · {what}")
        self.loaded.emit(total)

    def _select(self, ticket_id: UUID | None) -> None:
        """Keep the ticket that was selected, else select the first ticket."""
        first = QModelIndex()
        for group in range(self.model.rowCount()):
            parent = self.model.index(group, 0)
            for row in range(self.model.rowCount(parent)):
                index = self.model.index(row, 0, parent)
                ticket = self.model.ticket(index)
                if not first.isValid():
                    first = index
                if ticket is not None and ticket.id == ticket_id:
                    self.tree.setCurrentIndex(index)
                    return
        if first.isValid():
            self.tree.setCurrentIndex(first)

    def _fetch_if_at_end(self) -> None:
        """A group's last ticket read is in view, or the arrows reached it: read more."""
        current = self.tree.currentIndex()
        for row in range(self.model.rowCount()):
            group = self.model.index(row, 0)
            if not self.model.can_fetch_more(group) or not self.tree.isExpanded(group):
                continue
            count = self.model.rowCount(group)
            at_end = current.isValid() and current.parent() == group \
                and current.row() >= count - 5
            if at_end or self._end_in_view(group):
                self.model.fetch_more(group)

    def _end_in_view(self, group: QModelIndex) -> bool:
        rows = self.model.rowCount(group)
        if not rows:
            return False
        rect = self.tree.visualRect(self.model.index(rows - 1, 0, group))
        return rect.isValid() and rect.bottom() >= 0 \
            and rect.top() < self.tree.viewport().height()

    def _activated(self, index: QModelIndex) -> None:
        ticket = self.model.ticket(index)
        if ticket is not None:
            self.open_ticket.emit(ticket.id)
        elif index.isValid():
            group = index.siblingAtColumn(0)
            self.tree.setExpanded(group, not self.tree.isExpanded(group))

    def numbers(self) -> list[str]:
        return self.model.numbers()

    def _on_changes(self, changes: Changes) -> None:
        if changes.tickets:
            self.refresh()
