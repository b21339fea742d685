"""Dialogs of the support screens: a new support ticket, resolving one, a note.

`NewSupportDialog` writes `support.open` on the writer thread; the core's
per-field errors (`ValidationError.errors`) land under their fields, any other
refusal in the red line at the bottom, and the dialog stays open. On success
it emits `created(UUID)` and closes. `ResolveDialog` and `NoteDialog` only
collect text; the support page does the write and shows refusals.

Thread rule: GUI thread only. Open them with `open()` (window-modal, not blocking).
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.support import Priority
from shopdesk.errors import ValidationError
from shopdesk.services.repairs.repair_views import SupportSaved
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.fmt import error_text
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ErrorLabel, Heading, field_with_error, mark_error, muted


def priority_text(priority: Priority) -> str:
    """'High (8 h)': the priority with its resolution target."""
    return f"{priority.label} ({priority.target_hours} h)"



def _buttons(dialog: QDialog, action: str) -> tuple[QDialogButtonBox, QPushButton]:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setProperty("primary", True)
    buttons.rejected.connect(dialog.reject)
    return buttons, ok


class NewSupportDialog(QDialog):
    """Subject, description, priority and complaint flag for one customer.

    Signals: `created(UUID)` with the new support ticket's id.
    """

    created = Signal(object)

    def __init__(self, shop: Shop, ops: TaskManager, customer_id: UUID, customer_label: str = "",
                 repair_ticket_id: UUID | None = None, repair_label: str = "",
                 device_id: UUID | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.customer_id, self.repair_ticket_id, self.device_id = \
            customer_id, repair_ticket_id, device_id
        self.saving = False
        self.setWindowTitle("New support ticket")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading("New support ticket or complaint"))
        about = [f"Customer: {customer_label}" if customer_label else ""]
        if repair_label:
            about.append(f"Repair ticket: {repair_label}")
        layout.addWidget(muted("   ·   ".join(p for p in about if p)))
        form = QFormLayout()
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("in a line, e.g. Screen flickers again")
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText("what the customer reports")
        self.description.setFixedHeight(90)
        self.priority = QComboBox()
        for priority in Priority:
            self.priority.addItem(priority_text(priority), priority.value)
        self.priority.setCurrentIndex(self.priority.findData(Priority.NORMAL.value))
        self.complaint = QCheckBox("This is a complaint (five steps, resolved by a manager)")
        self.errors = {
            "subject": field_with_error(form, "Subject", self.subject),
            "description": field_with_error(form, "Description", self.description),
            "priority": field_with_error(form, "Priority", self.priority),
        }
        form.addRow("", self.complaint)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons, self.ok = _buttons(self, "Open ticket")
        buttons.accepted.connect(self.submit)
        layout.addWidget(buttons)
        self.subject.setFocus()

    def _inputs(self) -> dict[str, QWidget]:
        return {"subject": self.subject, "description": self.description,
                "priority": self.priority}

    def show_errors(self, errors: dict[str, str], general: str = "") -> None:
        for name, label in self.errors.items():
            label.show_message(errors.get(name, ""))
            mark_error(self._inputs()[name], name in errors)
        self.error.show_message(general)

    def submit(self) -> None:
        if self.saving:
            return
        self.show_errors({})
        support = self.shop.support
        customer, repair, device = self.customer_id, self.repair_ticket_id, self.device_id
        subject, description = self.subject.text(), self.description.toPlainText()
        priority, complaint = self.priority.currentData(), self.complaint.isChecked()
        self.saving = True
        self.ops.write(self, lambda: support.open(
            customer, subject, description, priority=priority, repair_ticket_id=repair,
            device_id=device, complaint=complaint), self._saved, self._failed)

    def _saved(self, saved: SupportSaved) -> None:
        self.saving = False
        self.accept()
        self.created.emit(saved.ticket.ticket.id)

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        if isinstance(error, ValidationError):
            fields = {e.field: fmt.field_message(e.field, e.message) for e in error.errors
                      if e.field in self.errors}
            rest = [fmt.field_message(e.field, e.message) for e in error.errors
                    if e.field not in self.errors]
            self.show_errors(fields, "\n".join(rest))
        else:
            self.show_errors({}, error_text(error))


class ResolveDialog(QDialog):
    """How the issue was resolved, and an optional refund (managers and owners).

    Signals: `submitted()` for the Resolve button; the page writes, then closes
    the dialog, or shows the core's refusal in `error` and leaves it open.
    """

    submitted = Signal()

    def __init__(self, number: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Resolve {number}")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading(f"Resolve {number}"))
        form = QFormLayout()
        self.resolution = QPlainTextEdit()
        self.resolution.setPlaceholderText("how the issue was resolved")
        self.resolution.setFixedHeight(90)
        self.refund = QLineEdit()
        self.refund.setPlaceholderText("0.00 (optional; needs a manager)")
        form.addRow("Resolution", self.resolution)
        form.addRow("Refund", self.refund)
        layout.addLayout(form)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons, self.ok = _buttons(self, "Resolve")
        buttons.accepted.connect(self.submitted)
        layout.addWidget(buttons)
        self.resolution.setFocus()

    def values(self) -> tuple[str, str | None]:
        return self.resolution.toPlainText(), self.refund.text().strip() or None


class NoteDialog(QDialog):
    """One line of text (a note) before an action such as recording a complaint step."""

    def __init__(self, title: str, prompt: str, action: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        heading = QLabel(prompt)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("note (kept with the ticket's events)")
        self.note.setFixedHeight(80)
        layout.addWidget(self.note)
        buttons, self.ok = _buttons(self, action)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.note.setFocus()

    def text(self) -> str:
        return self.note.toPlainText().strip()
