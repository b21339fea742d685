"""One repair ticket: header, workflow, money, work lines, devices, status history.

Keyboard first: Pickup (when ready) and the moves come first in the Tab order,
then Print; F5 takes the usual next step (`domain.tickets.next_step`, shown on
its button), F8 opens the pickup, Ctrl+P previews the receipt, Ctrl+S saves the
work lines, and after an action the focus stays on the page. Only the moves the
core allows now get a button; "Collected" is reached through Pickup…. Every
amount is `TicketDetail.settlement`, the receipt's own rule. While a ticket is
loading the page is neutral: no badges, nothing to press.

Every action is a `TaskManager.write`; a refusal from the core is shown in the
red line under the header and nothing changes. The page reloads itself when a
write touches its ticket (`changes.tickets`).

Thread rule: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.tickets import TicketStatus, next_step
from shopdesk.services.repairs.repair_views import TicketDetail, TicketSaved
from shopdesk.services.repairs.ticket_edits import WorkLineInput
from shopdesk.shop import Shop
from shopdesk.ui.common.fmt import error_text, label
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import (
    Card,
    fill_with_scrolled,
    muted,
    tab_chain,
    take_all,
)
from shopdesk.ui.printing.print_actions import PrintButton
from shopdesk.ui.repairs.pickup_dialog import PickupDialog
from shopdesk.ui.repairs.repair_common import (
    Technician,
    fill_staff,
    load_technicians,
)
from shopdesk.ui.repairs.ticket_cards import (
    AssignRows,
    DevicesCard,
    HeaderCard,
    HistoryCard,
    MoneyCard,
)
from shopdesk.ui.repairs.work_lines import WorkLinesCard

NEXT_KEY, PICKUP_KEY, RECEIPT_KEY, SAVE_WORK_KEY = "F5", "F8", "Ctrl+P", "Ctrl+S"


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
        header = HeaderCard()
        self.title, self.status, self.rework = header.title, header.status, header.rework
        self.overdue, self.meta, self.error = header.overdue, header.meta, header.error
        self.header = header
        self.customer_button = QPushButton()
        self.customer_button.clicked.connect(
            lambda: self.detail and self.open_customer.emit(self.detail.summary.customer_id))
        self.support_button = QPushButton("Complaint / support…")
        self.support_button.setToolTip("Open a support ticket or complaint about this repair")
        self.support_button.clicked.connect(
            lambda: self.detail and self.new_support.emit(self.detail))
        self.print_button = PrintButton(shop, ops, self, self.error.show_message)
        for button in (self.print_button, self.support_button, self.customer_button):
            header.buttons.addWidget(button)

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
        self.assign_rows = AssignRows()
        self.assign_rows.assign_requested.connect(self.assign)
        self.assign_rows.promise_requested.connect(self.set_promised)
        self.technician = self.assign_rows.technician
        self.assign_button = self.assign_rows.assign_button
        self.promised = self.assign_rows.promised
        workflow.body.addWidget(self.assign_rows)
        workflow.body.addStretch(1)

        self.money_card = MoneyCard()
        self.money_card.estimate_requested.connect(self.set_estimate)
        self.money_card.approval_requested.connect(self.record_approval)
        self.values = self.money_card.values  # the shown figures, by key
        self.estimate = self.money_card.estimate
        self.approve_button = self.money_card.approve_button
        self.decline_button = self.money_card.decline_button

        self.work = WorkLinesCard()
        self.work.save_requested.connect(self.save_work)

        self.devices_card = DevicesCard()
        self.devices_card.open_device.connect(self.open_device)
        self.devices_card.reveal_requested.connect(self.reveal_passcode)

        history = HistoryCard()
        self.history = history.tree
        self.history_card = history

        middle = QHBoxLayout()
        middle.setSpacing(12)
        middle.addWidget(workflow, 3)
        middle.addWidget(self.money_card, 2)
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
        self.header.show_loading()
        self.customer_button.setText("Customer")
        for widget in take_all(self.status_row):
            if widget is not self.pickup_button:
                widget.deleteLater()
        self.status_buttons = {}
        self.next_target = None
        self.pickup_button.hide()
        self.print_button.set_ticket(None)
        for widget in (self.customer_button, self.support_button, self.status_note):
            widget.setEnabled(False)
        self.assign_rows.set_enabled(False)
        self.money_card.show_loading()
        self.work.clear()
        self.work.show_loading()
        self.devices_card.clear()
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
        if self.detail is not None:
            self.assign_rows.select_technician(self.detail)

    def _render(self, ticket_id: UUID, d: TicketDetail) -> None:
        if ticket_id != self.ticket_id:
            return
        self.detail = d
        s = d.summary
        closed = TicketStatus(s.status).final
        today = self.shop.store.clock().astimezone().date()  # the shop's day
        self.header.show_ticket(d, today)
        self.customer_button.setText(f"{s.customer_name}  ·  {s.customer_code}")
        self.print_button.set_ticket(s.number)
        self._render_buttons(d)
        self._select_technician()
        self.customer_button.setEnabled(True)
        self.support_button.setEnabled(True)
        self.status_note.setEnabled(not closed)
        self.assign_rows.show_ticket(d, today)
        self.money_card.show_ticket(d)
        self.work.show_ticket(d, not closed)
        actor = self.shop.actor
        self.devices_card.show_ticket(d, actor is not None and actor.staff_id is not None
                                      and actor.staff_id == s.technician_id)
        self.history_card.show_ticket(d)
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
                                self.print_button, self.status_note,
                                *self.assign_rows.widgets(), self.estimate,
                                self.money_card.estimate_button, self.approve_button,
                                self.decline_button, self.work.table, self.work.add_part,
                                self.work.add_labour, self.work.remove, self.work.save,
                                *self.reveal_buttons.values(), self.support_button,
                                self.customer_button, self.history]
        tab_chain([self, *order])

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

    def assign(self, staff_id: UUID | None) -> None:
        if self.ticket_id is None or self.detail is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        self._write(lambda: tickets.assign(ticket_id, staff_id))

    def set_promised(self, day: date) -> None:
        if self.ticket_id is None or self.detail is None:
            return
        ticket_id, tickets = self.ticket_id, self.shop.tickets
        self._write(lambda: tickets.set_promised_by(ticket_id, day))

    @property
    def reveal_buttons(self) -> dict[UUID, QPushButton]:
        return self.devices_card.reveal_buttons

    def set_estimate(self, _text: str = "") -> None:
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
