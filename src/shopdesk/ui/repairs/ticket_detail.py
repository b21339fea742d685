"""One repair ticket: header, workflow, money, work lines, devices, status history.

Keyboard first: Pickup (when the ticket is ready) and the moves come first in
the Tab order, then Print;
F5 takes the usual next step (`domain.tickets.next_step`, shown on its button),
F8 opens the pickup, Ctrl+P the receipt's preview, Ctrl+S saves the work lines.
After an action the focus stays on the page (on the next step's button).
Only the moves the core allows now (`TicketDetail.next_statuses`) get a button;
"Collected" is reached through Pickup… (which writes the service records).

Every amount comes from `TicketDetail.settlement`, the rule the receipt uses, in
the shop's currency: the screen and the paper always agree. While a ticket is
loading the page is neutral: no badges, nothing to press.

Every action is a `TaskManager.write`; a refusal from the core (a forbidden
move, a bad amount, a closed ticket, not the assigned technician) is shown in
the red line under the header and nothing changes. The page reloads itself
when a write touches its ticket (`changes.tickets`).

Thread rule: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
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
from shopdesk.domain.tickets import TicketStatus, next_step
from shopdesk.services.repairs.repair_views import TicketDetail, TicketSaved
from shopdesk.services.repairs.ticket_edits import WorkLineInput
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
    tab_chain,
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
from shopdesk.ui.repairs.work_lines import WorkLinesCard

NEXT_KEY, PICKUP_KEY, RECEIPT_KEY, SAVE_WORK_KEY = "F5", "F8", "Ctrl+P", "Ctrl+S"
MONEY_ROWS = (("estimate", "Estimate"), ("approval", "Approval"), ("work", "Work lines"),
              ("deposit", "Deposit paid"), ("final", "Final amount"),
              ("paid", "Paid at pickup"), ("balance", "Balance due"))


def age(created: date, today: date) -> str:
    """'today', '1 day', '12 days' since the ticket was opened."""
    days = (today - created).days
    return "today" if days <= 0 else f"{days} day{'s' if days != 1 else ''}"


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
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the page keeps the keys
        self.ticket_id: UUID | None = None
        self.detail: TicketDetail | None = None
        self.next_target: str | None = None
        self.pickup_dialog: PickupDialog | None = None
        self.passcode_box: QMessageBox | None = None
        self.title = title_label()
        self.status = StatusBadge()
        self.rework = Badge("Warranty rework", "warn")
        self.rework.hide()
        self.overdue = Badge("Overdue", "warn")
        self.overdue.hide()
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
        header = Card()
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.status)
        top.addWidget(self.rework)
        top.addWidget(self.overdue)
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
        # A child of the page from the start: it joins the moves' row only when the
        # ticket is ready, and a parentless button shown would be a window of its own.
        self.pickup_button = QPushButton(f"Pickup…  ({PICKUP_KEY})", self)
        self.pickup_button.setProperty("primary", True)
        self.pickup_button.clicked.connect(self.open_pickup)
        self.pickup_button.hide()
        workflow.body.addLayout(self.status_row)
        workflow.body.addWidget(self.status_note)
        assign = QGridLayout()
        assign.setHorizontalSpacing(8)
        self.technician = QComboBox()
        self.technician.addItem("Unassigned", "")
        self.technician.setMinimumWidth(200)
        self.assign_button = QPushButton("Assign")
        self.assign_button.clicked.connect(self.assign_selected)
        self.promised = QDateEdit()
        self.promised.setCalendarPopup(True)
        self.promised.setDisplayFormat("ddd dd MMM yyyy")
        self.promise_button = QPushButton("Change promise")
        self.promise_button.clicked.connect(self.set_promised)
        assign.addWidget(QLabel("Technician"), 0, 0)
        assign.addWidget(self.technician, 0, 1)
        assign.addWidget(self.assign_button, 0, 2)
        assign.addWidget(QLabel("Promised by"), 1, 0)
        assign.addWidget(self.promised, 1, 1)
        assign.addWidget(self.promise_button, 1, 2)
        assign.setColumnStretch(1, 1)
        workflow.body.addLayout(assign)
        workflow.body.addStretch(1)

        money_card = Card("Estimate and payment")
        form = QFormLayout()
        form.setVerticalSpacing(4)
        self.values: dict[str, QLabel] = {}
        for key, caption in MONEY_ROWS:
            self.values[key] = QLabel()
            form.addRow(caption, self.values[key])
        self.values["balance"].setStyleSheet("font-weight:700;")
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

        self.work = WorkLinesCard()
        self.work.save_requested.connect(self.save_work)

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
        for part in (header, middle, self.work, self.devices_card, history):
            if isinstance(part, QHBoxLayout):
                column.addLayout(part)
            else:
                column.addWidget(part)
        column.addStretch(1)
        self.scroll_area = fill_with_scrolled(self, content)
        for keys, action in ((NEXT_KEY, self.next_step), (PICKUP_KEY, self.open_pickup),
                             (RECEIPT_KEY, self.preview_receipt),
                             (SAVE_WORK_KEY, self.work.request_save)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
        self._show_loading()
        ops.bus.ops_did_execute.connect(self._on_changes)

    # -- loading -----------------------------------------------------------------
    def show_ticket(self, ticket_id: UUID) -> None:
        if ticket_id != self.ticket_id:
            self.error.show_message("")
            self.status_note.clear()
            self.ticket_id = ticket_id
            self._show_loading()
        self.reload()
        load_technicians(self.shop, self.ops, self, self._set_technicians)

    def _show_loading(self) -> None:
        """Neutral until the data is there: no badges, nothing that acts."""
        self.detail = None
        self.title.setText("Loading…")
        self.status.show_state("Loading", "off")
        self.rework.hide()
        self.overdue.hide()
        self.meta.setText("")
        self.customer_button.setText("Customer")
        for widget in take_all(self.status_row):
            if widget is not self.pickup_button:
                widget.deleteLater()
        self.status_buttons = {}
        self.next_target = None
        self.pickup_button.hide()
        self.print_button.set_ticket(None)
        for widget in (self.customer_button, self.support_button, self.technician,
                       self.assign_button, self.estimate, self.estimate_button,
                       self.approve_button, self.decline_button, self.status_note,
                       self.promised, self.promise_button):
            widget.setEnabled(False)
        for value in self.values.values():
            value.setText("…")
        self.work.clear()
        self.work.show_loading()
        for widget in take_all(self.devices_grid):
            widget.deleteLater()
        self.history.clear()

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
        today = self.shop.store.clock().astimezone().date()  # the shop's day
        self.title.setText(s.number)
        self.status.show_status(s.status)
        self.rework.setVisible(s.warranty_rework)
        self.overdue.setVisible(s.overdue(today))
        self.customer_button.setText(f"{s.customer_name}  ·  {s.customer_code}")
        self.print_button.set_ticket(s.number)
        promised = f"promised by {fmt.day(s.promised_by)}" if s.promised_by else \
            "no promised day"
        self.meta.setText(
            f"Technician: {s.technician_name or 'not assigned'}   ·   opened "
            f"{fmt.local_time(s.created_at)} ({age(s.created_at.astimezone().date(), today)})"
            f"   ·   {promised}   ·   updated {fmt.local_time(s.updated_at)}")
        self._render_buttons(d)
        self._select_technician()
        if s.promised_by:
            self.promised.setDate(QDate(s.promised_by.year, s.promised_by.month,
                                        s.promised_by.day))
        self.promised.setMinimumDate(QDate(today.year, today.month, today.day)
                                     if not s.promised_by or s.promised_by >= today
                                     else QDate(s.promised_by.year, s.promised_by.month,
                                                s.promised_by.day))
        self.customer_button.setEnabled(True)
        self.support_button.setEnabled(True)
        editable: tuple[QWidget, ...] = (self.technician, self.assign_button, self.estimate,
                                         self.estimate_button, self.status_note,
                                         self.promised, self.promise_button)
        for widget in editable:
            widget.setEnabled(not closed)
        approved = {None: "Not asked yet", True: "Approved", False: "Declined"}[
            d.estimate_approved]
        if d.approved_at is not None:
            approved += f" · {fmt.local_time(d.approved_at)}"
        settled = d.settlement  # the receipt's own figures
        self.values["estimate"].setText(money(s.estimate))
        self.values["approval"].setText(approved if s.estimate is not None else fmt.DASH)
        self.values["work"].setText(money(d.work_total))
        self.values["deposit"].setText(money(d.deposit))
        self.values["final"].setText(money(d.final_amount))
        method = label("payment", d.payment_method)
        self.values["paid"].setText(
            f"{money(settled.paid_now)} · {method}" if d.final_amount is not None
            else fmt.DASH)
        self.values["balance"].setText(money(settled.balance))
        for button in (self.approve_button, self.decline_button):
            button.setEnabled(not closed and s.estimate is not None)
        self.work.show_ticket(d, not closed)
        self._render_devices(d)
        self.history.clear()
        for change in reversed(d.history):
            move = label("status", change.to_status) if change.from_status is None else \
                f"{label('status', change.from_status)} → {label('status', change.to_status)}"
            self.history.addTopLevelItem(QTreeWidgetItem([
                fmt.local_time(change.at), move, change.staff_name, change.note]))
        self._chain()
        self.loaded.emit(d)

    def _render_buttons(self, d: TicketDetail) -> None:
        focused = QApplication.focusWidget()
        had_focus = focused is not None and (focused is self or self.isAncestorOf(focused))
        in_row = focused in self.status_buttons.values() or focused is self.pickup_button
        if in_row:
            self.setFocus()  # before its button goes: focus stays on this page
        for widget in take_all(self.status_row):
            if widget is not self.pickup_button:
                widget.deleteLater()
        self.status_buttons = {}
        can_pickup = TicketStatus.COLLECTED.value in d.next_statuses
        if can_pickup:  # in the layout (a child of the page) before it is shown
            self.status_row.addWidget(self.pickup_button)
        self.pickup_button.setVisible(can_pickup)
        step = next_step(d.summary.status, d.estimate_approved)
        self.next_target = step.value if step is not None and \
            step.value in d.next_statuses else None
        targets = [t for t in d.next_statuses if t != TicketStatus.COLLECTED]
        if self.next_target is not None:  # the usual step first, with its key
            targets.remove(self.next_target)
            targets.insert(0, self.next_target)
        for target in targets:
            text = f"→ {label('status', target)}"
            button = QPushButton(f"{text}  ({NEXT_KEY})" if target == self.next_target
                                 else text)
            if target == self.next_target:
                button.setProperty("primary", True)
            if target == TicketStatus.CANCELLED:
                button.setProperty("danger", True)
            button.clicked.connect(lambda _c=False, t=target: self.change_status(t))
            self.status_buttons[target] = button
            self.status_row.addWidget(button)
            button.show()  # now, not on the next turn of the event loop: focus may go here
        self.status_row.addStretch(1)
        if not d.next_statuses:
            self.status_row.insertWidget(0, muted(
                f"This ticket is {label('status', d.summary.status).lower()}; it is final."))
        if in_row or (had_focus and focused is self):
            first = self.pickup_button if can_pickup else \
                next(iter(self.status_buttons.values()), None)
            (first or self).setFocus()

    def _chain(self) -> None:
        """Tab: the moves, Pickup, Print first; then the rest of the page."""
        order: list[QWidget] = [self.pickup_button, *self.status_buttons.values(),
                                self.print_button, self.status_note, self.technician,
                                self.assign_button, self.promised, self.promise_button,
                                self.estimate, self.estimate_button, self.approve_button,
                                self.decline_button, self.work.table, self.work.add_part,
                                self.work.add_labour, self.work.remove, self.work.save,
                                *self.reveal_buttons.values(), self.support_button,
                                self.customer_button, self.history]
        tab_chain([self, *order])

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
            grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(text, row, 1)
            grid.addWidget(reveal, row, 2, Qt.AlignmentFlag.AlignTop)

    # -- actions -----------------------------------------------------------------
    def _write(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None) -> None:
        self.error.show_message("")
        self.ops.write(self, fn, done, self._show_error)

    def _show_error(self, error: BaseException) -> None:
        self.error.show_message(error_text(error))

    def next_step(self) -> None:
        """F5: the usual next move, if the ticket has one now."""
        if self.detail is not None and self.next_target is not None:
            self.change_status(self.next_target)

    def change_status(self, target: str) -> None:
        if self.ticket_id is None or self.detail is None:
            return
        ticket_id, tickets, note = self.ticket_id, self.shop.tickets, self.status_note.text()
        self._write(lambda: tickets.change_status(ticket_id, target, note),
                    lambda _saved: self.status_note.clear())

    def assign_selected(self) -> None:
        if self.ticket_id is None or self.detail is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        staff_id = combo_id(self.technician)
        self._write(lambda: tickets.assign(ticket_id, staff_id))

    def set_promised(self) -> None:
        if self.ticket_id is None or self.detail is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        day = self.promised.date().toPython()
        assert isinstance(day, date)
        self._write(lambda: tickets.set_promised_by(ticket_id, day))

    def set_estimate(self) -> None:
        if self.ticket_id is None or self.detail is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        value = self.estimate.text().strip() or None
        self._write(lambda: tickets.set_estimate(ticket_id, value),
                    lambda _saved: self.estimate.clear())

    def record_approval(self, approved: bool) -> None:
        if self.ticket_id is None or self.detail is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        self._write(lambda: tickets.record_approval(ticket_id, approved))

    def save_work(self, lines: list[WorkLineInput]) -> None:
        if self.ticket_id is None or self.detail is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets

        def failed(error: BaseException) -> None:
            self.work.show_error(error_text(error))

        def saved(result: TicketSaved) -> None:
            self.work.saved()
            self._render(ticket_id, result.ticket)

        self.error.show_message("")
        self.ops.write(self, lambda: tickets.set_work(ticket_id, lines), saved, failed)

    def preview_receipt(self) -> None:
        """Ctrl+P: the receipt, straight into the preview."""
        if self.detail is not None:
            self.print_button.make("receipt")

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

    def _back_from_dialog(self, _result: int) -> None:
        """After the pickup dialog: the keys come back to this page."""
        self.window().activateWindow()
        first = next(iter(self.status_buttons.values()), None)
        (first or self).setFocus()

    def open_pickup(self) -> PickupDialog | None:
        """F8 / Pickup…: only for a ticket that may be collected now."""
        d = self.detail
        if d is None or TicketStatus.COLLECTED.value not in d.next_statuses:
            return None
        dialog = PickupDialog(self.shop, self.ops, d, self)
        dialog.finished.connect(self._back_from_dialog)
        self.pickup_dialog = dialog
        dialog.open()
        return dialog
