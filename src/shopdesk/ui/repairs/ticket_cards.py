"""Parts of the ticket page: its header, the money (estimate and payment), the devices,
who works on the ticket by when, and the status history.

`MoneyCard` shows the ticket's figures from `TicketDetail.settlement`, the rule
the receipt prints with, in the shop's currency; it sets a new estimate and
records the customer's answer. `DevicesCard` lists the devices with their fault,
condition checks, pre-existing faults, accessories and the passcode button
(on for the assigned technician only). `AssignRows` holds the technician and
the promised-by day. They only show and ask; the page writes.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidgetItem,
    QWidget,
)

from shopdesk.domain.tickets import TicketStatus
from shopdesk.services.repairs.repair_views import TicketDetail
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import label, money
from shopdesk.ui.common.widgets import (
    Badge,
    Card,
    ErrorLabel,
    combo_id,
    muted,
    select_id,
    take_all,
    title_label,
    tree,
)
from shopdesk.ui.repairs.repair_common import StatusBadge, checklist_text

MONEY_ROWS = (("estimate", "Estimate"), ("approval", "Approval"), ("work", "Work lines"),
              ("deposit", "Deposit paid"), ("final", "Final amount"),
              ("paid", "Paid at pickup"), ("balance", "Balance due"))


class MoneyCard(Card):
    """Estimate, approval, work, deposit, final amount, paid at pickup, balance due.

    Signals: `estimate_requested(text)` for "Set estimate", `approval_requested(bool)`.
    """

    estimate_requested = Signal(str)
    approval_requested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Estimate and payment", parent)
        form = QFormLayout()
        form.setVerticalSpacing(4)
        self.values: dict[str, QLabel] = {}
        for key, caption in MONEY_ROWS:
            self.values[key] = QLabel()
            form.addRow(caption, self.values[key])
        self.values["balance"].setStyleSheet("font-weight:700;")
        self.body.addLayout(form)
        estimate_row = QHBoxLayout()
        self.estimate = QLineEdit()
        self.estimate.setPlaceholderText("new estimate")
        self.estimate_button = QPushButton("Set estimate")
        self.estimate_button.clicked.connect(
            lambda: self.estimate_requested.emit(self.estimate.text().strip()))
        estimate_row.addWidget(self.estimate, 1)
        estimate_row.addWidget(self.estimate_button)
        self.body.addLayout(estimate_row)
        approval_row = QHBoxLayout()
        self.approve_button = QPushButton("Customer approved")
        self.approve_button.clicked.connect(lambda: self.approval_requested.emit(True))
        self.decline_button = QPushButton("Customer declined")
        self.decline_button.clicked.connect(lambda: self.approval_requested.emit(False))
        approval_row.addWidget(self.approve_button)
        approval_row.addWidget(self.decline_button)
        self.body.addLayout(approval_row)
        self.body.addStretch(1)

    def show_loading(self) -> None:
        for value in self.values.values():
            value.setText("…")
        for widget in (self.estimate, self.estimate_button, self.approve_button,
                       self.decline_button):
            widget.setEnabled(False)

    def show_ticket(self, d: TicketDetail) -> None:
        s = d.summary
        closed = TicketStatus(s.status).final
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
        self.values["paid"].setText(
            f"{money(settled.paid_now)} · {label('payment', d.payment_method)}"
            if d.final_amount is not None else fmt.DASH)
        self.values["balance"].setText(money(settled.balance))
        self.estimate.setEnabled(not closed)
        self.estimate_button.setEnabled(not closed)
        for button in (self.approve_button, self.decline_button):
            button.setEnabled(not closed and s.estimate is not None)


class DevicesCard(Card):
    """The ticket's devices. Signals: `open_device(UUID)`, `reveal_requested(UUID)`."""

    open_device = Signal(object)
    reveal_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Devices", parent)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(14)
        self.grid.setColumnStretch(1, 1)
        self.body.addLayout(self.grid)
        self.reveal_buttons: dict[UUID, QPushButton] = {}

    def clear(self) -> None:
        for widget in take_all(self.grid):
            widget.deleteLater()
        self.reveal_buttons = {}

    def show_ticket(self, d: TicketDetail, mine: bool) -> None:
        """`mine`: the signed-in staff member is the ticket's technician."""
        self.clear()
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
            reveal.clicked.connect(lambda _c=False, i=device.id: self.reveal_requested.emit(i))
            self.reveal_buttons[device.id] = reveal
            self.grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(text, row, 1)
            self.grid.addWidget(reveal, row, 2, Qt.AlignmentFlag.AlignTop)


class AssignRows(QWidget):
    """Who works on the ticket and the day promised, each with its button.

    Signals: `assign_requested(UUID | None)`, `promise_requested(date)`.
    """

    assign_requested = Signal(object)
    promise_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        self.technician = QComboBox()
        self.technician.addItem("Unassigned", "")
        self.technician.setMinimumWidth(200)
        self.assign_button = QPushButton("Assign")
        self.assign_button.clicked.connect(
            lambda: self.assign_requested.emit(combo_id(self.technician)))
        self.promised = QDateEdit()
        self.promised.setCalendarPopup(True)
        self.promised.setDisplayFormat("ddd dd MMM yyyy")
        self.promise_button = QPushButton("Change promise")
        self.promise_button.clicked.connect(
            lambda: self.promise_requested.emit(self.promised.date().toPython()))
        grid.addWidget(QLabel("Technician"), 0, 0)
        grid.addWidget(self.technician, 0, 1)
        grid.addWidget(self.assign_button, 0, 2)
        grid.addWidget(QLabel("Promised by"), 1, 0)
        grid.addWidget(self.promised, 1, 1)
        grid.addWidget(self.promise_button, 1, 2)
        grid.setColumnStretch(1, 1)

    def widgets(self) -> tuple[QWidget, ...]:
        return self.technician, self.assign_button, self.promised, self.promise_button

    def set_enabled(self, on: bool) -> None:
        for widget in self.widgets():
            widget.setEnabled(on)

    def show_ticket(self, d: TicketDetail, today: date) -> None:
        promised = d.summary.promised_by
        if promised is not None:
            self.promised.setDate(QDate(promised.year, promised.month, promised.day))
        earliest = promised if promised is not None and promised < today else today
        self.promised.setMinimumDate(QDate(earliest.year, earliest.month, earliest.day))
        self.set_enabled(not TicketStatus(d.summary.status).final)

    def select_technician(self, d: TicketDetail) -> None:
        """The ticket's technician, even one no longer listed as assignable."""
        summary = d.summary
        if not select_id(self.technician, summary.technician_id):
            self.technician.addItem(summary.technician_name or "?", str(summary.technician_id))
            select_id(self.technician, summary.technician_id)


def age(created: date, today: date) -> str:
    """'today', '1 day', '12 days' since the ticket was opened."""
    days = (today - created).days
    return "today" if days <= 0 else f"{days} day{'s' if days != 1 else ''}"


class HeaderCard(Card):
    """The ticket's number, status, warranty-rework and overdue badges, facts, errors;
    `buttons` is the row's right end, for the page's own buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.title = title_label()
        self.status = StatusBadge()
        self.rework = Badge("Warranty rework", "warn")
        self.overdue = Badge("Overdue", "warn")
        self.meta = muted("")
        self.error = ErrorLabel()
        self.buttons = QHBoxLayout()
        top = QHBoxLayout()
        for widget in (self.title, self.status, self.rework, self.overdue):
            top.addWidget(widget)
        top.addStretch(1)
        top.addLayout(self.buttons)
        self.body.addLayout(top)
        self.body.addWidget(self.meta)
        self.body.addWidget(self.error)
        self.show_loading()

    def show_loading(self) -> None:
        """Neutral: no badge that could mislead while the ticket is read."""
        self.title.setText("Loading…")
        self.status.show_state("Loading", "off")
        self.rework.hide()
        self.overdue.hide()
        self.meta.setText("")

    def show_ticket(self, d: TicketDetail, today: date) -> None:
        s = d.summary
        self.title.setText(s.number)
        self.status.show_status(s.status)
        self.rework.setVisible(s.warranty_rework)
        self.overdue.setVisible(s.overdue(today))
        promised = f"promised by {fmt.day(s.promised_by)}" if s.promised_by else \
            "no promised day"
        self.meta.setText(
            f"Technician: {s.technician_name or 'not assigned'}   ·   opened "
            f"{fmt.local_time(s.created_at)} ({age(s.created_at.astimezone().date(), today)})"
            f"   ·   {promised}   ·   updated {fmt.local_time(s.updated_at)}")


class HistoryCard(Card):
    """Every status change, newest first, with who and the note."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Status history", parent)
        self.tree = tree(["When", "Change", "By", "Note"], [140, 230, 140])
        self.tree.setMinimumHeight(150)
        self.body.addWidget(self.tree)

    def show_ticket(self, d: TicketDetail) -> None:
        self.tree.clear()
        for change in reversed(d.history):
            move = label("status", change.to_status) if change.from_status is None else \
                f"{label('status', change.from_status)} → {label('status', change.to_status)}"
            self.tree.addTopLevelItem(QTreeWidgetItem([
                fmt.local_time(change.at), move, change.staff_name, change.note]))
