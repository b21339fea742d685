"""The profile's repair tabs: the customer's devices, service history, tickets, support.

Each tab loads its rows on the read pool (`TaskManager.query`) when a customer
is shown and again whenever a write touches devices, tickets or the customer
(`UiBus.ops_did_execute`). A load for a customer no longer shown is dropped.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTreeWidgetItem, QVBoxLayout, QWidget

from shopdesk.changes import Changes
from shopdesk.domain.permissions import Permission, allowed
from shopdesk.services.repairs.repair_views import (
    DeviceInfo,
    ServiceInfo,
    SupportInfo,
    TicketSummary,
)
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import label, money
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ID_ROLE, muted, tree, tree_rows
from shopdesk.ui.customers.service_dialogs import DeviceDialog, RecordServiceDialog


def warranty(until: date | None, today: date) -> str:
    """'10 Feb 2027 (valid)' or '10 Feb 2025 (expired)'; a dash when there is none."""
    if until is None:
        return fmt.DASH
    return f"{fmt.day(until)} ({'valid' if until >= today else 'expired'})"


class _ListTab(QWidget):
    """A list with an empty-state line that loads per customer. GUI thread only."""

    activated = Signal(object)  # the row's id (UUID)

    def __init__(self, shop: Shop, ops: TaskManager, headers: list[str], widths: list[int],
                 empty: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.customer_id: UUID | None = None
        self.loads = 0  # finished loads (tests wait on it)
        self.tree = tree(headers, widths)
        self.tree.itemActivated.connect(lambda item, _c: self.activated.emit(
            item.data(0, ID_ROLE)))
        self.empty = muted(empty)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.buttons = QHBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(self.buttons)
        self.empty.hide()
        ops.bus.ops_did_execute.connect(self._on_changes)

    def fetch(self, customer_id: UUID) -> Callable[[], list[Any]]:
        raise NotImplementedError

    def row(self, item: Any) -> list[str]:
        raise NotImplementedError

    def load(self, customer_id: UUID) -> None:
        if customer_id != self.customer_id:
            self.tree.clear()
            self.tree.hide()
            self.empty.hide()
        self.customer_id = customer_id
        self.ops.query(self, self.fetch(customer_id),
                       lambda rows: self._show(customer_id, rows))

    def _show(self, customer_id: UUID, rows: list[Any]) -> None:
        if customer_id != self.customer_id:
            return
        current = self.current_id()
        self.tree.clear()
        for row in rows:
            item = QTreeWidgetItem(self.row(row))
            item.setData(0, ID_ROLE, row.id)
            self.tree.addTopLevelItem(item)
            if row.id == current:
                self.tree.setCurrentItem(item)
        self.tree.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self.loads += 1

    def _may(self, permission: Permission) -> bool:
        actor = self.shop.actor
        return actor is not None and allowed(actor.role, permission)

    def current_id(self) -> UUID | None:
        item = self.tree.currentItem()
        return item.data(0, ID_ROLE) if item is not None else None

    def ids(self) -> list[UUID]:
        return [item.data(0, ID_ROLE) for item in tree_rows(self.tree)]

    def texts(self, column: int) -> list[str]:
        return [item.text(column) for item in tree_rows(self.tree)]

    def _on_changes(self, changes: Changes) -> None:
        if self.customer_id is not None and (
                changes.devices or changes.tickets or changes.support
                or self.customer_id in changes.customers):
            self.load(self.customer_id)


class DevicesTab(_ListTab):
    """The devices the customer owns now; Enter/double-click opens a device's history,
    "Edit device…" its purchase date, maker warranty, condition and owner.

    Signals: `activated(UUID)` (a device), `new_ticket()` for the button.
    """

    new_ticket = Signal()

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(shop, ops, ["Device", "IMEI", "Serial", "Maker warranty",
                                     "Shop warranty", "Condition"],
                         [190, 150, 120, 165, 165], "No devices yet. They are added at "
                         "ticket intake.", parent)
        self.rows: list[DeviceInfo] = []
        self.dialog: DeviceDialog | None = None
        self.history_button = QPushButton("Device history")
        self.history_button.clicked.connect(self._open_current)
        self.edit_button = QPushButton("Edit device…")
        self.edit_button.setToolTip("Purchase date, maker warranty, condition and owner")
        self.edit_button.clicked.connect(self.edit_current)
        self.ticket_button = QPushButton("New ticket for this customer  (Ctrl+T)")
        self.ticket_button.setProperty("primary", True)
        self.ticket_button.clicked.connect(self.new_ticket)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.history_button)
        self.buttons.addWidget(self.edit_button)
        self.buttons.addWidget(self.ticket_button)

    def edit_current(self) -> DeviceDialog | None:
        ids = self.ids()
        device_id = self.current_id() or (ids[0] if ids else None)
        device = next((d for d in self.rows if d.id == device_id), None)
        if device is None:
            return None
        self.dialog = DeviceDialog(self.shop, self.ops, device, self)
        self.dialog.open()
        return self.dialog

    def fetch(self, customer_id: UUID) -> Callable[[], list[DeviceInfo]]:
        devices = self.shop.devices
        return lambda: devices.for_customer(customer_id)

    def row(self, d: DeviceInfo) -> list[str]:
        imei = d.imei or fmt.DASH
        if d.imei2:
            imei += f" / {d.imei2}"
        today = self.shop.store.clock().astimezone().date()
        return [f"{d.make} {d.model}", imei, d.serial or fmt.DASH,
                warranty(d.manufacturer_warranty_until, today),
                warranty(d.shop_warranty_until, today), label("condition", d.condition)]

    def _show(self, customer_id: UUID, rows: list[Any]) -> None:
        self.rows = rows if customer_id == self.customer_id else self.rows
        super()._show(customer_id, rows)
        self.history_button.setEnabled(bool(rows))
        self.edit_button.setEnabled(bool(rows) and self._may(Permission.MANAGE_DEVICES))

    def _open_current(self) -> None:
        ids = self.ids()
        device_id = self.current_id() or (ids[0] if ids else None)
        if device_id is not None:
            self.activated.emit(device_id)


class ServicesTab(_ListTab):
    """Every service record of the customer, newest first (repairs, parts, returns…);
    "Record a service…" adds one that is not a repair (spec 5.1)."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(shop, ops, ["Date", "Kind", "Description", "Technician", "Total",
                                     "Payment", "Rating"],
                         [140, 120, 260, 130, 80, 110], "No services yet", parent)
        self.dialog: RecordServiceDialog | None = None
        self.record_button = QPushButton("Record a service…")
        self.record_button.setToolTip("A part purchase, a consultation, a return or "
                                      "exchange, a warranty claim")
        self.record_button.clicked.connect(self.record)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.record_button)

    def record(self) -> None:
        """Read the customer's devices, then open the dialog for them."""
        customer_id, devices = self.customer_id, self.shop.devices
        if customer_id is None or not self._may(Permission.RECORD_SERVICES):
            return
        self.ops.query(self, lambda: devices.for_customer(customer_id),
                       lambda found: self._open_record(customer_id, found))

    def _open_record(self, customer_id: UUID, devices: list[DeviceInfo]) -> None:
        if customer_id != self.customer_id:
            return
        self.dialog = RecordServiceDialog(self.shop, self.ops, customer_id, devices, self)
        self.dialog.open()

    def fetch(self, customer_id: UUID) -> Callable[[], list[ServiceInfo]]:
        records = self.shop.service_records
        return lambda: records.for_customer(customer_id)

    def row(self, s: ServiceInfo) -> list[str]:
        return [fmt.local_time(s.occurred_at), label("service_kind", s.kind), s.description,
                s.technician_name or fmt.DASH, money(s.total), label("payment", s.payment_method),
                f"{s.satisfaction}/5" if s.satisfaction else fmt.DASH]


class TicketsTab(_ListTab):
    """The customer's repair tickets, newest first; Enter/double-click opens one."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(shop, ops, ["Ticket", "Status", "Devices", "Technician", "Estimate",
                                     "Opened", "Updated"],
                         [120, 130, 220, 130, 80, 140], "No repair tickets yet", parent)

    def fetch(self, customer_id: UUID) -> Callable[[], list[TicketSummary]]:
        tickets = self.shop.tickets
        return lambda: tickets.for_customer(customer_id)

    def row(self, t: TicketSummary) -> list[str]:
        number = t.number + ("  ⟲ warranty" if t.warranty_rework else "")
        return [number, label("status", t.status), t.devices, t.technician_name or fmt.DASH,
                money(t.estimate), fmt.local_time(t.created_at), fmt.local_time(t.updated_at)]


class SupportTab(_ListTab):
    """The customer's support tickets and complaints, newest first; Enter opens one.

    Signals: `activated(UUID)` (a support ticket), `new_support()` for the button.
    """

    new_support = Signal()

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(shop, ops, ["Number", "Subject", "Priority", "Status", "Level",
                                     "Due / resolved", "Opened"],
                         [120, 250, 80, 90, 100, 140], "No support tickets or complaints",
                         parent)
        self.new_button = QPushButton("New support ticket / complaint…")
        self.new_button.clicked.connect(self.new_support)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.new_button)

    def fetch(self, customer_id: UUID) -> Callable[[], list[SupportInfo]]:
        support = self.shop.support
        return lambda: support.for_customer(customer_id)

    def row(self, t: SupportInfo) -> list[str]:
        subject = ("Complaint: " if t.complaint else "") + t.subject
        when = fmt.local_time(t.resolved_at) if t.resolved_at else fmt.local_time(t.due_at)
        if t.overdue:
            when += "  (overdue)"
        return [t.number, subject, label("priority", t.priority),
                label("support_status", t.status), label("level", t.level), when,
                fmt.local_time(t.created_at)]
