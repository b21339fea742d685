"""Shop → Appointments…: the counter's day view (a date, the day's bookings by time) with
Book…, Cancel, Done and No-show. Booking one queues its reminder for the day before.

Keyboard: Alt+Left / Alt+Right change the day. Thread rule: GUI thread only.
"""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.services.messaging.views import AppointmentView
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager

HEADERS = ["Time", "Length", "Customer", "Name", "Reason", "Ticket", "Status"]


class AppointmentsDialog(QDialog):
    """See the module docstring. `loads` counts finished loads (tests wait on it)."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.loads = 0
        self.setWindowTitle("Appointments")
        self.resize(820, 420)
        self.day = QDateEdit(QDate.currentDate())
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd d MMM yyyy")
        self.day.dateChanged.connect(lambda _d: self.reload())
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(HEADERS)
        self.tree.setRootIsDecorated(False)
        for i, width in enumerate([70, 60, 100, 180, 220, 110, 80]):
            self.tree.setColumnWidth(i, width)
        self.empty = QLabel("No appointments on this day")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error = QLabel()
        self.error.setStyleSheet("color:#b3261e;")
        book = QPushButton("Book…")
        book.clicked.connect(self.book)
        buttons = QHBoxLayout()
        buttons.addWidget(book)
        for label, status in (("Cancel", "cancelled"), ("Done", "done"), ("No-show", "no_show")):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, s=status: self.set_status(s))
            buttons.addWidget(button)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(QLabel("Day"))
        top.addWidget(self.day)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Alt+Left"), self).activated.connect(
            lambda: self.day.setDate(self.day.date().addDays(-1)))
        QShortcut(QKeySequence("Alt+Right"), self).activated.connect(
            lambda: self.day.setDate(self.day.date().addDays(1)))
        ops.bus.ops_did_execute.connect(self._on_changes)
        self.reload()

    def shown_day(self) -> date:
        d = self.day.date()
        return date(d.year(), d.month(), d.day())

    def reload(self) -> None:
        appointments, day = self.shop.appointments, self.shown_day()
        self.ops.query(self, lambda: appointments.day(day), self._show)

    def _show(self, rows: list[AppointmentView]) -> None:
        self.tree.clear()
        for a in rows:
            item = QTreeWidgetItem([
                a.starts_at.astimezone().strftime("%H:%M"), f"{a.duration_minutes} min",
                a.customer_code, a.customer_name, a.reason, a.ticket_number or "",
                a.status.replace("_", " ")])
            item.setData(0, Qt.ItemDataRole.UserRole, a.id)
            self.tree.addTopLevelItem(item)
        self.tree.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self.loads += 1

    def _on_changes(self, changes: Changes) -> None:
        if changes.messages or changes.remote:
            self.reload()

    def selected(self) -> UUID | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def set_status(self, status: str) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        appointments = self.shop.appointments
        self.ops.write(self, lambda: appointments.set_status(chosen, status),
                       on_error=lambda exc: self.error.setText(str(exc)),
                       changes=Changes(messages=frozenset({chosen})))

    def book(self, code: str = "") -> QDialog:
        dialog = QDialog(self)
        dialog.setWindowTitle("Book an appointment")
        form = QFormLayout(dialog)
        customer = QLineEdit(code)
        customer.setPlaceholderText("customer code")
        start = QDateTimeEdit(QDateTime(self.day.date(), QTime(10, 0)))
        start.setCalendarPopup(True)
        minutes = QSpinBox()
        minutes.setRange(5, 480)
        minutes.setValue(30)
        reason = QLineEdit()
        ticket = QLineEdit()
        ticket.setPlaceholderText("optional repair ticket number")
        problem = QLabel()
        problem.setStyleSheet("color:#b3261e;")
        form.addRow("Customer", customer)
        form.addRow("When", start)
        form.addRow("Length (min)", minutes)
        form.addRow("Reason", reason)
        form.addRow("Ticket", ticket)
        form.addRow(problem)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        form.addRow(box)
        appointments = self.shop.appointments

        def booked(view: AppointmentView) -> None:
            dialog.accept()
            self.day.setDate(QDate(view.day.year, view.day.month, view.day.day))
            self.reload()

        def accept() -> None:
            when = start.dateTime().toPython()
            assert isinstance(when, datetime)
            local = datetime.combine(when.date(), time(when.hour, when.minute)).astimezone()
            self.ops.write(dialog, lambda: appointments.book(
                customer.text().strip(), local, reason.text(), minutes.value(),
                ticket.text().strip() or None),
                booked,
                lambda exc: problem.setText(str(exc)),
                changes=Changes(messages=frozenset()))

        box.accepted.connect(accept)
        box.rejected.connect(dialog.reject)
        dialog.open()
        self.booking = dialog
        return dialog
