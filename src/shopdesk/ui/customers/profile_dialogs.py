"""Small dialogs of the customer profile: record an ID check, give a reason.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.choices import IdDocumentType
from shopdesk.ui.common import fmt
from shopdesk.ui.common.widgets import field_with_error, muted


class IdCheckDialog(QDialog):
    """Record that an ID document was seen: its type and last characters only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record ID check")
        layout = QVBoxLayout(self)
        layout.addWidget(muted("Only the document type and its last 2–6 characters are "
                               "kept; never store the full number."))
        form = QFormLayout()
        self.kind = QComboBox()
        for item in IdDocumentType:
            self.kind.addItem(fmt.choice_label(item), item.value)
        self.digits = QLineEdit()
        self.digits.setMaxLength(6)
        self.digits.setPlaceholderText("e.g. 4821")
        form.addRow("Document", self.kind)
        self.digits_error = field_with_error(form, "Last characters", self.digits)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.digits.setFocus()

    def values(self) -> tuple[str, str]:
        return self.kind.currentData(), self.digits.text()


class ReasonDialog(QDialog):
    """Asks for a short reason before an action such as deactivating."""

    def __init__(self, title: str, prompt: str, action: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("Reason (kept in the audit trail)")
        self.reason.setFixedHeight(80)
        layout.addWidget(self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reason.setFocus()

    def text(self) -> str:
        return self.reason.toPlainText().strip()
