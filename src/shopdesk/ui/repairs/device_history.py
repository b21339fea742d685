"""One device's history: what it is, who owned it when, and every repair on it.

`devices.history(device_id)` runs on the read pool; the timeline is newest
first, across owners, with the faults noted at intake. Enter or a
double-click on a ticket line opens the ticket; the owner button opens the
current owner's profile. Reloads when a write touches the device.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.services.repairs.repair_views import DeviceHistory, HistoryEntry
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text, label, money
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import (
    ID_ROLE,
    Badge,
    Card,
    ErrorLabel,
    fill_with_scrolled,
    muted,
    title_label,
    tree,
    tree_rows,
)

KIND_ROLE = Qt.ItemDataRole.UserRole + 2


def _warranty(until: date | None, today: date) -> str:
    if until is None:
        return fmt.DASH
    state = "valid" if today <= until else "expired"
    return f"until {fmt.day(until)} ({state})"


class DeviceHistoryPage(QWidget):
    """A device header, its owners over time and its timeline. GUI thread only.

    Signals: `loaded(DeviceHistory)`, `open_ticket(UUID)`, `open_customer(UUID)`.
    """

    loaded = Signal(object)
    open_ticket = Signal(object)
    open_customer = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.device_id: UUID | None = None
        self.history: DeviceHistory | None = None
        self.title = title_label()
        self.warranty_badge = Badge("", "ok")
        self.owner_button = QPushButton()
        self.owner_button.clicked.connect(
            lambda: self.history and self.open_customer.emit(self.history.device.customer_id))
        self.error = ErrorLabel()
        header = Card()
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.warranty_badge)
        top.addStretch(1)
        top.addWidget(QLabel("Owner"))
        top.addWidget(self.owner_button)
        header.body.addLayout(top)
        form = QFormLayout()
        form.setHorizontalSpacing(18)
        self.values: dict[str, QLabel] = {}
        for key, caption in (("imei", "IMEI"), ("serial", "Serial number"),
                             ("purchase", "Purchased"), ("maker", "Maker warranty"),
                             ("shop", "Shop repair warranty"), ("condition", "Condition")):
            self.values[key] = QLabel()
            self.values[key].setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(caption, self.values[key])
        header.body.addLayout(form)
        header.body.addWidget(self.error)

        owners = Card("Owners")
        self.owners = tree(["Owner", "Code", "From", "To"], [180, 110, 130])
        self.owners.setFixedHeight(110)
        owners.body.addWidget(self.owners)
        self.owners.itemActivated.connect(
            lambda item, _c: self.open_customer.emit(item.data(0, ID_ROLE)))

        timeline = Card("Timeline (newest first)")
        self.timeline = tree(["When", "Record", "Status", "Fault / work", "Pre-existing",
                              "Owner then", "Technician", "Amount", "Warranty"],
                             [125, 112, 85, 190, 125, 120, 105, 76, 84])
        columns = self.timeline.header()
        columns.setStretchLastSection(False)
        columns.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.timeline.setMinimumHeight(200)
        self.timeline.itemActivated.connect(self._activated)
        self.empty = muted("Nothing on this device yet.")
        timeline.body.addWidget(self.timeline)
        timeline.body.addWidget(self.empty)

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 14, 16, 14)
        column.setSpacing(12)
        column.addWidget(header)
        column.addWidget(owners)
        column.addWidget(timeline, 1)
        fill_with_scrolled(self, content)
        ops.bus.ops_did_execute.connect(self._on_changes)

    def show_device(self, device_id: UUID) -> None:
        if device_id != self.device_id:
            self.history = None
            self.timeline.clear()
            self.owners.clear()
        self.device_id = device_id
        self.reload()

    def reload(self) -> None:
        if self.device_id is None:
            return
        device_id, devices = self.device_id, self.shop.devices
        self.ops.query(self, lambda: devices.history(device_id),
                       lambda history: self._render(device_id, history),
                       lambda error: self.error.show_message(error_text(error)))

    def _on_changes(self, changes: Changes) -> None:
        if self.device_id is not None and self.device_id in changes.devices:
            self.reload()

    def _render(self, device_id: UUID, h: DeviceHistory) -> None:
        if device_id != self.device_id:
            return
        self.history = h
        self.error.show_message("")
        d = h.device
        today = date.today()
        self.title.setText(f"{d.make} {d.model}")
        covered = d.under_shop_warranty(today)
        self.warranty_badge.show_state("Under shop warranty" if covered else "No shop warranty",
                                       "ok" if covered else "off")
        self.owner_button.setText(f"{d.customer_name}  ·  {d.customer_code}")
        self.values["imei"].setText(" / ".join(x for x in (d.imei, d.imei2) if x) or fmt.DASH)
        self.values["serial"].setText(d.serial or fmt.DASH)
        self.values["purchase"].setText(fmt.day(d.purchase_date))
        self.values["maker"].setText(_warranty(d.manufacturer_warranty_until, today))
        self.values["shop"].setText(_warranty(d.shop_warranty_until, today))
        self.values["condition"].setText(label("condition", d.condition))
        self.owners.clear()
        for period in reversed(h.owners):
            item = QTreeWidgetItem([period.customer_name, period.customer_code,
                                    fmt.local_time(period.from_at, False),
                                    fmt.local_time(period.to_at, False) if period.to_at
                                    else "now"])
            item.setData(0, ID_ROLE, period.customer_id)
            self.owners.addTopLevelItem(item)
        self.timeline.clear()
        for entry in h.entries:
            self.timeline.addTopLevelItem(self._entry_item(entry))
        self.timeline.setVisible(bool(h.entries))
        self.empty.setVisible(not h.entries)
        self.loaded.emit(h)

    @staticmethod
    def _entry_item(e: HistoryEntry) -> QTreeWidgetItem:
        what = e.title  # the ticket number, or the service kind
        item = QTreeWidgetItem([
            fmt.local_time(e.at), what, label("status", e.status) if e.status else fmt.DASH,
            e.description, e.pre_existing_faults or fmt.DASH,
            f"{e.owner_name} ({e.owner_code})", e.technician or fmt.DASH, money(e.amount),
            "Rework" if e.warranty_rework else ""])
        item.setData(0, ID_ROLE, e.id)
        item.setData(0, KIND_ROLE, e.entry)
        item.setToolTip(3, e.description)
        item.setToolTip(4, e.pre_existing_faults)
        item.setTextAlignment(7, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if e.warranty_rework:
            item.setForeground(8, QBrush(QColor("#a3281c")))
        return item

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, KIND_ROLE) == "ticket":
            self.open_ticket.emit(item.data(0, ID_ROLE))

    def rows(self) -> list[list[str]]:
        return [[item.text(c) for c in range(9)] for item in tree_rows(self.timeline)]
