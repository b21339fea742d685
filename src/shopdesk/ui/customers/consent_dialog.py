"""Recording a consent (given or withdrawn, how, when) and reading a customer's history.

Keyboard: the purpose list has focus; Alt+G / Alt+W choose given or withdrawn; Enter
records; Esc closes. The history below is the register itself: nothing in it is ever
changed, a withdrawal is a new line.

Thread rule: GUI thread only; the write goes through the TaskManager.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.privacy.consent import ConsentMethod, Purpose
from shopdesk.errors import ValidationError
from shopdesk.services.consent.consent import STAFF_METHODS, ConsentView
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager, show_error
from shopdesk.ui.common.widgets import ErrorLabel, Heading, muted, tree


class ConsentDialog(QDialog):
    """See the module docstring. GUI thread only."""

    def __init__(self, shop: Shop, ops: TaskManager, customer_id: UUID, view: ConsentView,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops, self.customer_id = shop, ops, customer_id
        self.setWindowTitle("Consents")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading("Record a consent", 15))
        layout.addWidget(muted("What the customer agreed to or withdrew, how, and when. "
                               "Marketing by a channel needs its own consent."))
        form = QFormLayout()
        self.purpose = QComboBox()
        for purpose in Purpose:
            self.purpose.addItem(purpose.label, purpose.value)
        self.given = QRadioButton("&Given")
        self.withdrawn = QRadioButton("&Withdrawn")
        self.given.setChecked(True)
        choice = QHBoxLayout()
        choice.addWidget(self.given)
        choice.addWidget(self.withdrawn)
        choice.addStretch(1)
        self.method = QComboBox()
        for method in STAFF_METHODS:
            self.method.addItem(method.label, method.value)
        now = int(shop.store.clock().timestamp())  # the shop's clock, not the widget's
        self.when = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(now))
        self.when.setDisplayFormat("dd MMM yyyy HH:mm")
        self.when.setCalendarPopup(True)
        self.note = QLineEdit()
        self.note.setMaxLength(500)
        self.note.setPlaceholderText("e.g. the form's reference (no other personal data)")
        form.addRow("Purpose", self.purpose)
        form.addRow("Decision", choice)
        form.addRow("How", self.method)
        form.addRow("When", self.when)
        form.addRow("Note", self.note)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.history = tree(["When", "Purpose", "Decision", "How", "Recorded by", "Note"],
                            [120, 150, 80, 90, 110, 120])
        self.history.setMinimumHeight(170)
        layout.addWidget(self.history)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.record_button = buttons.addButton("&Record", QDialogButtonBox.ButtonRole.ActionRole)
        self.record_button.setProperty("primary", True)
        self.record_button.setDefault(True)
        self.record_button.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.show_history(view)
        self.purpose.setFocus()

    def show_history(self, view: ConsentView) -> None:
        self.history.clear()
        for event in reversed(view.history):
            QTreeWidgetItem(self.history, [
                fmt.local_time(event.at), Purpose(event.purpose).label,
                "Given" if event.granted else "Withdrawn",
                ConsentMethod(event.method).label, event.recorded_by or fmt.DASH,
                event.note or ""])

    def submit(self) -> None:
        self.error.show_message("")
        # Seconds since the epoch: the local time shown, as an instant.
        at = datetime.fromtimestamp(self.when.dateTime().toSecsSinceEpoch(), UTC)
        purpose, granted = self.purpose.currentData(), self.given.isChecked()
        method, note = self.method.currentData(), self.note.text()
        customer_id, consent = self.customer_id, self.shop.consent
        self.ops.write(self, lambda: consent.record(customer_id, purpose, granted, method,
                                                    at, note),
                       self._recorded, self._failed)

    def _recorded(self, result: tuple[ConsentView, object]) -> None:
        self.show_history(result[0])
        self.note.clear()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self.error.show_message(fmt.field_message(error.errors[0].field,
                                                      error.errors[0].message))
        else:
            show_error(self, error)
