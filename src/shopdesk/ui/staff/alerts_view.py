"""Access alerts for managers: a corner of the status bar and the list behind it.

The corner ("2 access alerts", red) shows only to staff who may read the audit trail,
and only when there is something to look at; clicking it (or Shop → Access alerts…)
opens the list. "Mark reviewed" (Alt+M) records the review in the audit trail and the
alert leaves the list for good.

Thread rule: GUI thread only; alerts are computed on the read pool.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.services.privacy.monitoring import Alert
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import Heading, muted, tree

KINDS = {"many_profiles": "Many profiles", "export_after_hours": "Export after hours",
         "failed_sign_ins": "Failed sign-ins"}


class AlertsCorner(QPushButton):
    """The status bar's alert count. Signal `open_list()` when clicked."""

    open_list = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFlat(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setStyleSheet("QPushButton { color:#a3281c; font-weight:600; border:none; "
                           "padding:0 8px; }")
        self.clicked.connect(self.open_list)
        self.count = 0
        self.hide()

    def show_count(self, count: int) -> None:
        self.count = count
        self.setText(f"⚠ {count} access alert{'s' if count != 1 else ''}")
        self.setVisible(count > 0)


class AlertsDialog(QDialog):
    """The open alerts of the last week. Signal `changed()` after a review."""

    changed = Signal()

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.setWindowTitle("Access alerts")
        self.resize(860, 380)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading("Access alerts", 15))
        layout.addWidget(muted("Unusual access in the last 7 days: far more profiles opened "
                               "than the person usually opens, exports outside opening "
                               "hours, repeated failed sign-ins."))
        self.list = tree(["When", "Kind", "Who", "What happened"], [150, 120, 130, 400])
        layout.addWidget(self.list, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.review_button = buttons.addButton("&Mark reviewed",
                                               QDialogButtonBox.ButtonRole.ActionRole)
        self.review_button.clicked.connect(self.review_current)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.alerts: list[Alert] = []
        self.refresh()

    def refresh(self) -> None:
        monitoring = self.shop.monitoring
        self.ops.query(self, monitoring.alerts, self.show_alerts)

    def show_alerts(self, alerts: list[Alert]) -> None:
        self.alerts = alerts
        self.list.clear()
        for alert in alerts:
            item = QTreeWidgetItem(self.list, [fmt.local_time(alert.at),
                                               KINDS.get(alert.kind, alert.kind), alert.who,
                                               alert.summary])
            item.setData(0, Qt.ItemDataRole.UserRole, alert.key)
        first = self.list.topLevelItem(0)
        if first is not None:
            self.list.setCurrentItem(first)
        self.review_button.setEnabled(bool(alerts))
        self.list.setFocus()

    def review_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        key, monitoring = item.data(0, Qt.ItemDataRole.UserRole), self.shop.monitoring
        self.ops.write(self, lambda: monitoring.review(key), lambda _: self._reviewed())

    def _reviewed(self) -> None:
        self.changed.emit()
        self.refresh()
