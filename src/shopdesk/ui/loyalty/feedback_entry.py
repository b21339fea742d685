"""Typing in a paper feedback form at the counter (spec 8.1).

Opened from a ticket, or by scanning the QR code printed on the form (it carries
`FB-<ticket number>`; the search box's `identify` names it a feedback form). Every
score is optional; the service validates and says which field broke which rule.

Thread rule: GUI thread only; the save runs on the writer thread.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QWidget,
)

from shopdesk.models.feedback import CHANNELS
from shopdesk.services.feedback.feedback_views import ASPECTS, FeedbackInput, FeedbackSaved
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ErrorLabel
from shopdesk.ui.loyalty.parts import save_cancel

SCALES = {"csat": ("Overall satisfaction (1-5)", 1, 5),
          "nps": ("Would recommend us (0-10)", 0, 10),
          "ces": ("'The shop made it easy' (1-7)", 1, 7),
          **{a: (f"{a.capitalize()} (1-5)", 1, 5) for a in ASPECTS}}


class FeedbackEntryDialog(QDialog):
    """One answer for one repair ticket. `saved` holds the result once accepted."""

    def __init__(self, shop: Shop, ops: TaskManager, ticket_number: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Feedback for {ticket_number}")
        self.shop, self.ops, self.ticket_number = shop, ops, ticket_number
        self.saved: FeedbackSaved | None = None
        self.boxes: dict[str, QComboBox] = {}
        form = QFormLayout(self)
        form.addRow(QLabel(f"<b>Ticket {ticket_number}</b>"))
        for key, (title, low, high) in SCALES.items():
            box = QComboBox()
            box.addItem("—", None)
            for value in range(low, high + 1):
                box.addItem(str(value), value)
            self.boxes[key] = box
            form.addRow(title, box)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText("What the customer wrote, word for word")
        self.comment.setFixedHeight(90)
        form.addRow("Comment", self.comment)
        self.channel = QComboBox()
        for channel in CHANNELS:
            if channel != "review":
                self.channel.addItem(channel.capitalize(), channel)
        form.addRow("Came by", self.channel)
        self.error = ErrorLabel()
        form.addRow(self.error)
        buttons = save_cancel(self, self.save)
        form.addRow(buttons)

    def value(self, key: str) -> int | None:
        data = self.boxes[key].currentData()
        return int(data) if data is not None else None

    def save(self) -> None:
        data = FeedbackInput(
            ticket=self.ticket_number, channel=str(self.channel.currentData()),
            csat=self.value("csat"), nps=self.value("nps"), ces=self.value("ces"),
            aspects={a: self.value(a) for a in ASPECTS if self.value(a) is not None},
            comment=self.comment.toPlainText())
        feedback = self.shop.feedback
        self.ops.write(self, lambda: feedback.record(data), self._done,
                       lambda exc: self.error.show_message(str(exc)))

    def _done(self, saved: FeedbackSaved) -> None:
        self.saved = saved
        self.accept()
