"""The support list: open support tickets and complaints, or only the overdue ones.

`support.list("open")` (most recently changed first) or, with "Overdue only",
`support.overdue()` (most overdue first) runs on the read pool whenever the
toggle changes, the page is shown, or a write touches any support ticket
(`changes.support`); a newer load supersedes an older one. Enter or a
double-click opens a ticket.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QTreeWidgetItem, QVBoxLayout, QWidget

from shopdesk.changes import Changes
from shopdesk.domain.support import SupportStatus
from shopdesk.services.repairs.repair_views import SupportInfo
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import label
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ID_ROLE, muted, select_first, title_label, tree, tree_rows

COLUMNS = ["Number", "Customer", "Subject", "Priority", "Level", "Due", "Overdue"]
WIDTHS = [115, 190, 330, 80, 100, 140]
RED = QColor("#a3281c")


class SupportListPage(QWidget):
    """Open support tickets with an "Overdue only" toggle. GUI thread only.

    Signals: `open_support(UUID)`, `loaded(int)` after each load.
    """

    open_support = Signal(object)
    loaded = Signal(int)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self._seq = 0
        self._shown = 0
        self.overdue_only = QCheckBox("Overdue only")
        self.overdue_only.toggled.connect(lambda _on: self.refresh())
        top = QHBoxLayout()
        top.addWidget(title_label("Support tickets"))
        top.addSpacing(16)
        top.addWidget(self.overdue_only)
        top.addStretch(1)
        hint = muted("New tickets: from a customer's profile or a repair ticket")
        hint.setWordWrap(False)
        top.addWidget(hint)
        self.tree = tree(COLUMNS, WIDTHS)
        self.tree.itemActivated.connect(
            lambda item, _c: self.open_support.emit(item.data(0, ID_ROLE)))
        self.summary = muted("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 10)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.summary)
        ops.bus.ops_did_execute.connect(self._on_changes)

    def start(self) -> None:
        """Shown: load the list; focus it."""
        self.refresh()
        self.tree.setFocus()

    @property
    def loading(self) -> bool:
        return self._shown != self._seq

    def refresh(self) -> None:
        self._seq += 1
        seq, support = self._seq, self.shop.support
        overdue = self.overdue_only.isChecked()
        fetch = support.overdue if overdue else (
            lambda: support.list(SupportStatus.OPEN.value))
        self.ops.query(self, fetch, lambda rows: self._show(seq, rows),
                       lambda error: self._failed(seq, error))

    def _failed(self, seq: int, error: BaseException) -> None:
        if seq == self._seq:
            self._shown = seq
            self.summary.setText(f"The support list could not be loaded: {error}")

    def _show(self, seq: int, rows: list[SupportInfo]) -> None:
        if seq != self._seq:
            return
        self._shown = seq
        current = self.tree.currentItem()
        current_id = current.data(0, ID_ROLE) if current is not None else None
        self.tree.clear()
        bold = QFont()
        bold.setBold(True)
        for t in rows:
            subject = ("Complaint: " if t.complaint else "") + t.subject
            item = QTreeWidgetItem([
                t.number, t.customer_name, subject,
                label("priority", t.priority), label("level", t.level),
                fmt.local_time(t.due_at), "Overdue" if t.overdue else ""])
            item.setData(0, ID_ROLE, t.id)
            item.setToolTip(1, t.customer_code)
            item.setToolTip(2, t.subject)
            if t.overdue:
                for column in (5, 6):
                    item.setForeground(column, QBrush(RED))
                item.setFont(6, bold)
            self.tree.addTopLevelItem(item)
            if t.id == current_id:
                self.tree.setCurrentItem(item)
        select_first(self.tree)
        what = "overdue" if self.overdue_only.isChecked() else "open"
        late = sum(1 for t in rows if t.overdue)
        self.summary.setText(
            f"{len(rows)} {what} ticket{'s' if len(rows) != 1 else ''}"
            + (f" · {late} overdue" if late and what == "open" else "")
            + " — Enter opens the selected ticket" if rows else f"No {what} support tickets")
        self.loaded.emit(len(rows))

    def numbers(self) -> list[str]:
        return [item.text(0) for item in tree_rows(self.tree)]

    def _on_changes(self, changes: Changes) -> None:
        if changes.support:
            self.refresh()
