"""One repair ticket: header, devices, money, the workflow buttons, status history.

Only the moves the core allows now (`TicketDetail.next_statuses`) get a button;
"Collected" is reached through Pickup… (which writes the service records).
Every action is a `TaskManager.write`; a refusal from the core (a forbidden
move, a bad amount, a closed ticket, not the assigned technician) is shown in
the red line under the header and nothing changes. The page reloads itself
when a write touches its ticket (`changes.tickets`).

Thread rule: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.tickets import TicketStatus
from shopdesk.services.repairs.repair_views import TicketDetail
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text, label, money
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import (
    Badge,
    Card,
    ErrorLabel,
    combo_id,
    fill_with_scrolled,
    muted,
    select_id,
    take_all,
    title_label,
    tree,
)
from shopdesk.ui.printing.print_actions import PrintButton
from shopdesk.ui.repairs.pickup_dialog import PickupDialog
from shopdesk.ui.repairs.repair_common import (
    StatusBadge,
    Technician,
    checklist_text,
    fill_staff,
    load_technicians,
)


class TicketDetailPage(QWidget):
    """Shows and works one repair ticket. GUI thread only.

    Signals: `loaded(TicketDetail)` after each render, `open_customer(UUID)`,
    `open_device(UUID)`, `new_support(TicketDetail)` for "Complaint / support…".
    """

    loaded = Signal(object)
    open_customer = Signal(object)
    open_device = Signal(object)
    new_support = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.ticket_id: UUID | None = None
        self.detail: TicketDetail | None = None
        self.pickup_dialog: PickupDialog | None = None
        self.passcode_box: QMessageBox | None = None
        self.title = title_label()
        self.status = StatusBadge()
        self.rework = Badge("Warranty rework", "warn")
        self.customer_button = QPushButton()
        self.customer_button.clicked.connect(
            lambda: self.detail and self.open_customer.emit(self.detail.summary.customer_id))
        self.support_button = QPushButton("Complaint / support…")
        self.support_button.setToolTip("Open a support ticket or complaint about this repair")
        self.support_button.clicked.connect(
            lambda: self.detail and self.new_support.emit(self.detail))
        self.meta = muted("")
        self.error = ErrorLabel()
        self.print_button = PrintButton(shop, ops, self, self.error.show_message)
        self.print_button.set_ticket(None)
        header = Card()
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.status)
        top.addWidget(self.rework)
        top.addStretch(1)
        top.addWidget(self.print_button)
        top.addWidget(self.support_button)
        top.addWidget(self.customer_button)
        header.body.addLayout(top)
        header.body.addWidget(self.meta)
        header.body.addWidget(self.error)

        workflow = Card("Move the ticket")
        self.status_row = QHBoxLayout()
        self.status_buttons: dict[str, QPushButton] = {}
        self.status_note = QLineEdit()
        self.status_note.setPlaceholderText("note for the next change (optional)")
        self.pickup_button = QPushButton("Pickup…")
        self.pickup_button.setProperty("primary", True)
        self.pickup_button.clicked.connect(self.open_pickup)
        workflow.body.addLayout(self.status_row)
        workflow.body.addWidget(self.status_note)
        assign = QHBoxLayout()
        self.technician = QComboBox()
        self.technician.addItem("Unassigned", "")
        self.technician.setMinimumWidth(220)
        self.assign_button = QPushButton("Assign")
        self.assign_button.clicked.connect(self.assign_selected)
        assign.addWidget(QLabel("Technician"))
        assign.addWidget(self.technician, 1)
        assign.addWidget(self.assign_button)
        workflow.body.addLayout(assign)
        workflow.body.addStretch(1)

        money_card = Card("Estimate and payment")
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for key, caption in (("estimate", "Estimate"), ("approval", "Approval"),
                             ("deposit", "Deposit"), ("final", "Final amount"),
                             ("balance", "Balance due"), ("payment", "Payment")):
            self.values[key] = QLabel()
            form.addRow(caption, self.values[key])
        money_card.body.addLayout(form)
        estimate_row = QHBoxLayout()
        self.estimate = QLineEdit()
        self.estimate.setPlaceholderText("new estimate")
        self.estimate_button = QPushButton("Set estimate")
        self.estimate_button.clicked.connect(self.set_estimate)
        estimate_row.addWidget(self.estimate, 1)
        estimate_row.addWidget(self.estimate_button)
        money_card.body.addLayout(estimate_row)
        approval_row = QHBoxLayout()
        self.approve_button = QPushButton("Customer approved")
        self.approve_button.clicked.connect(lambda: self.record_approval(True))
        self.decline_button = QPushButton("Customer declined")
        self.decline_button.clicked.connect(lambda: self.record_approval(False))
        approval_row.addWidget(self.approve_button)
        approval_row.addWidget(self.decline_button)
        money_card.body.addLayout(approval_row)
        money_card.body.addStretch(1)

        self.devices_card = Card("Devices")
        self.devices_grid = QGridLayout()
        self.devices_grid.setHorizontalSpacing(14)
        self.devices_grid.setColumnStretch(1, 1)
        self.devices_card.body.addLayout(self.devices_grid)
        self.reveal_buttons: dict[UUID, QPushButton] = {}

        history = Card("Status history")
        self.history = tree(["When", "Change", "By", "Note"], [140, 230, 140])
        self.history.setMinimumHeight(150)
        history.body.addWidget(self.history)

        middle = QHBoxLayout()
        middle.setSpacing(12)
        middle.addWidget(workflow, 3)
        middle.addWidget(money_card, 2)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 14, 16, 14)
        column.setSpacing(12)
        for part in (header, middle, self.devices_card, history):
            if isinstance(part, QHBoxLayout):
                column.addLayout(part)
            else:
                column.addWidget(part)
        column.addStretch(1)
        fill_with_scrolled(self, content)
        ops.bus.ops_did_execute.connect(self._on_changes)

    # -- loading -----------------------------------------------------------------
    def show_ticket(self, ticket_id: UUID) -> None:
        if ticket_id != self.ticket_id:
            self.error.show_message("")
            self.status_note.clear()
        self.ticket_id = ticket_id
        self.reload()
        load_technicians(self.shop, self.ops, self, self._set_technicians)

    def reload(self) -> None:
        if self.ticket_id is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        self.ops.query(self, lambda: tickets.get(ticket_id),
                       lambda detail: self._render(ticket_id, detail), self._show_error)

    def _on_changes(self, changes: Changes) -> None:
        if self.ticket_id is not None and self.ticket_id in changes.tickets:
            self.reload()

    def _set_technicians(self, staff: list[Technician], _complete: bool) -> None:
        fill_staff(self.technician, staff, "Unassigned")
        self._select_technician()

    def _select_technician(self) -> None:
        if self.detail is None:
            return
        summary = self.detail.summary
        if not select_id(self.technician, summary.technician_id):
            self.technician.addItem(summary.technician_name or "?", str(summary.technician_id))
            select_id(self.technician, summary.technician_id)

    def _render(self, ticket_id: UUID, d: TicketDetail) -> None:
        if ticket_id != self.ticket_id:
            return
        self.detail = d
        s = d.summary
        closed = TicketStatus(s.status).final
        self.title.setText(s.number)
        self.status.show_status(s.status)
        self.rework.setVisible(s.warranty_rework)
        self.customer_button.setText(f"{s.customer_name}  ·  {s.customer_code}")
        self.print_button.set_ticket(s.number)
        self.meta.setText(f"Technician: {s.technician_name or 'not assigned'}   ·   opened "
                          f"{fmt.local_time(s.created_at)}   ·   updated "
                          f"{fmt.local_time(s.updated_at)}")
        self._render_buttons(d)
        self._select_technician()
        for widget in (self.technician, self.assign_button, self.estimate,
                       self.estimate_button, self.status_note):
            widget.setEnabled(not closed)
        approved = {None: "Not asked yet", True: "Approved", False: "Declined"}[
            d.estimate_approved]
        if d.approved_at is not None:
            approved += f" · {fmt.local_time(d.approved_at)}"
        self.values["estimate"].setText(money(s.estimate))
        self.values["approval"].setText(approved if s.estimate is not None else fmt.DASH)
        self.values["deposit"].setText(money(d.deposit))
        self.values["final"].setText(money(d.final_amount))
        self.values["balance"].setText(money(d.balance_due))
        self.values["payment"].setText(label("payment", d.payment_method))
        for button in (self.approve_button, self.decline_button):
            button.setEnabled(not closed and s.estimate is not None)
        self._render_devices(d)
        self.history.clear()
        for change in reversed(d.history):
            move = label("status", change.to_status) if change.from_status is None else \
                f"{label('status', change.from_status)} → {label('status', change.to_status)}"
            self.history.addTopLevelItem(QTreeWidgetItem([
                fmt.local_time(change.at), move, change.staff_name, change.note]))
        self.loaded.emit(d)

    def _render_buttons(self, d: TicketDetail) -> None:
        for widget in take_all(self.status_row):
            if widget is not self.pickup_button:
                widget.deleteLater()
        self.status_buttons = {}
        for target in d.next_statuses:
            if target == TicketStatus.COLLECTED:
                continue
            button = QPushButton(f"→ {label('status', target)}")
            if target == TicketStatus.CANCELLED:
                button.setProperty("danger", True)
            button.clicked.connect(lambda _c=False, t=target: self.change_status(t))
            self.status_buttons[target] = button
            self.status_row.addWidget(button)
        self.status_row.addStretch(1)
        self.pickup_button.setVisible(TicketStatus.COLLECTED.value in d.next_statuses)
        self.status_row.addWidget(self.pickup_button)
        if not d.next_statuses:
            self.status_row.insertWidget(0, muted(
                f"This ticket is {label('status', d.summary.status).lower()}; it is final."))

    def _render_devices(self, d: TicketDetail) -> None:
        grid = self.devices_grid
        for widget in take_all(grid):
            widget.deleteLater()
        self.reveal_buttons = {}
        actor = self.shop.actor
        mine = actor is not None and actor.staff_id is not None \
            and actor.staff_id == d.summary.technician_id
        for row, info in enumerate(d.devices):
            device = info.device
            name = QPushButton(device.label)
            name.setToolTip("Open this device's history")
            name.clicked.connect(lambda _c=False, i=device.id: self.open_device.emit(i))
            lines = [f"Fault: {info.fault}", f"Condition at intake: "
                     f"{checklist_text(info.checklist)}"]
            if info.pre_existing_faults:
                lines.append(f"Pre-existing faults: {info.pre_existing_faults}")
            lines.append(f"Accessories: {info.accessories or 'none'}")
            text = QLabel("\n".join(lines))
            text.setWordWrap(True)
            reveal = QPushButton("Reveal passcode" if info.has_passcode else "No passcode")
            reveal.setEnabled(info.has_passcode and mine)
            if info.has_passcode and not mine:
                reveal.setToolTip("Only the assigned technician may see the passcode")
            reveal.clicked.connect(lambda _c=False, i=device.id: self.reveal_passcode(i))
            self.reveal_buttons[device.id] = reveal
            grid.addWidget(name, row, 0)
            grid.addWidget(text, row, 1)
            grid.addWidget(reveal, row, 2)

    # -- actions -----------------------------------------------------------------
    def _write(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None) -> None:
        self.error.show_message("")
        self.ops.write(self, fn, done, self._show_error)

    def _show_error(self, error: BaseException) -> None:
        self.error.show_message(error_text(error))

    def change_status(self, target: str) -> None:
        if self.ticket_id is None:
            return
        ticket_id, tickets, note = self.ticket_id, self.shop.tickets, self.status_note.text()
        self._write(lambda: tickets.change_status(ticket_id, target, note),
                    lambda _saved: self.status_note.clear())

    def assign_selected(self) -> None:
        if self.ticket_id is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        staff_id = combo_id(self.technician)
        self._write(lambda: tickets.assign(ticket_id, staff_id))

    def set_estimate(self) -> None:
        if self.ticket_id is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        value = self.estimate.text().strip() or None
        self._write(lambda: tickets.set_estimate(ticket_id, value),
                    lambda _saved: self.estimate.clear())

    def record_approval(self, approved: bool) -> None:
        if self.ticket_id is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        self._write(lambda: tickets.record_approval(ticket_id, approved))

    def reveal_passcode(self, device_id: UUID) -> None:
        if self.ticket_id is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        self._write(lambda: tickets.reveal_passcode(ticket_id, device_id),
                    self._show_passcode)

    def _show_passcode(self, passcode: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Passcode",
                          f"Passcode: {passcode}\n\nThis was recorded in the audit trail.",
                          QMessageBox.StandardButton.Ok, self)
        self.passcode_box = box
        box.open()

    def open_pickup(self) -> PickupDialog | None:
        if self.detail is None:
            return None
        dialog = PickupDialog(self.shop, self.ops, self.detail, self)
        self.pickup_dialog = dialog
        dialog.open()
        return dialog
