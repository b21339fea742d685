"""The ticket board: open repair tickets, by status and technician, newest change first.

`tickets.board(status, technician_id)` runs on the read pool whenever a filter
changes or a write touches any ticket (`changes.tickets`); a newer load
supersedes an older one. Enter or a double-click opens a ticket.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.tickets import OPEN_STATUSES, TicketStatus
from shopdesk.services.repairs.repair_views import TicketSummary
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import label, money
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import (
    ID_ROLE,
    combo_id,
    muted,
    select_first,
    select_id,
    title_label,
    tree,
    tree_rows,
)
from shopdesk.ui.repairs.repair_common import Technician, fill_staff, load_technicians

COLUMNS = ["Ticket", "Status", "Customer", "Devices", "Technician", "Estimate", "Updated",
           "Warranty"]
WIDTHS = [110, 125, 160, 215, 120, 75, 135]



UNASSIGNED = "unassigned"  # combo data of the "no technician" filter

class TicketBoard(QWidget):
    """Open tickets with a status and a technician filter. GUI thread only.

    Signals: `open_ticket(UUID)`, `new_ticket()`, `loaded(int)` after each load.
    """

    open_ticket = Signal(object)
    new_ticket = Signal()
    loaded = Signal(int)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self._seq = 0
        self._shown = 0
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
        self.tree = tree(COLUMNS, WIDTHS)
        self.tree.itemActivated.connect(
            lambda item, _c: self.open_ticket.emit(item.data(0, ID_ROLE)))
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
        return self._shown != self._seq

    def refresh(self) -> None:
        self._seq += 1
        seq, tickets = self._seq, self.shop.tickets
        status = self.status.currentData()
        unassigned = self.technician.currentData() == UNASSIGNED
        technician = None if unassigned else combo_id(self.technician)
        self.ops.query(self, lambda: tickets.board(status=status, technician_id=technician,
                                                   unassigned=unassigned),
                       lambda rows: self._show(seq, rows),
                       lambda error: self._failed(seq, error))

    def _failed(self, seq: int, error: BaseException) -> None:
        if seq == self._seq:
            self._shown = seq
            self.summary.setText(f"The board could not be loaded: {error}")

    def _show(self, seq: int, rows: list[TicketSummary]) -> None:
        if seq != self._seq:
            return
        self._shown = seq
        current = self.tree.currentItem()
        current_id = current.data(0, ID_ROLE) if current is not None else None
        self.tree.clear()
        for t in rows:
            item = QTreeWidgetItem([
                t.number, label("status", t.status), t.customer_name, t.devices,
                t.technician_name or "Unassigned", money(t.estimate),
                fmt.local_time(t.updated_at), "Rework" if t.warranty_rework else ""])
            item.setData(0, ID_ROLE, t.id)
            item.setTextAlignment(5, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if t.warranty_rework:
                item.setForeground(7, QBrush(QColor("#a3281c")))
            if t.technician_name is None:
                item.setForeground(4, QBrush(QColor("#9aa1ad")))
            self.tree.addTopLevelItem(item)
            if t.id == current_id:
                self.tree.setCurrentItem(item)
        select_first(self.tree)
        what = self.status.currentText().lower()
        self.summary.setText(f"{len(rows)} ticket{'s' if len(rows) != 1 else ''} · {what}"
                             " — Enter opens the selected ticket" if rows else
                             f"No tickets · {what}")
        self.loaded.emit(len(rows))

    def numbers(self) -> list[str]:
        return [item.text(0) for item in tree_rows(self.tree)]

    def _on_changes(self, changes: Changes) -> None:
        if changes.tickets:
            self.refresh()
