"""The profile's Contacts tab: every message, call and visit as one timeline, the response
figures per channel, permanent failures with their reason, and buttons to send a
message, log a call or a visit, and verify the phone by code.

Thread rule: GUI thread only; reads and writes go through the TaskManager.
"""

from __future__ import annotations

from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.messaging.rules import CALL_OUTCOMES, SEND_CHANNELS, TEMPLATE_NAMES
from shopdesk.services.messaging.views import History, MessageView
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager

HEADERS = ["When", "Channel", "", "What", "Status", "Delivered", "Read", "Answered", "Staff"]
WIDTHS = [130, 80, 24, 200, 90, 110, 110, 110, 120]
FAILED = QColor("#b3261e")


def _when(value: object) -> str:
    return value.astimezone().strftime("%d %b %H:%M") if hasattr(value, "astimezone") else ""


def entry_row(m: MessageView) -> list[str]:
    what = (m.template or "").replace("_", " ") or (
        f"{m.outcome.replace('_', ' ')}: {m.body}" if m.outcome else m.body)
    return [_when(m.sent_at or m.due_at if m.direction == "out" else m.created_at),
            m.channel, "→" if m.direction == "out" else "←", what[:80], m.status,
            _when(m.delivered_at), _when(m.read_at), _when(m.answered_at), m.staff or ""]


def figures_text(history: History) -> str:
    parts = []
    for s in history.stats:
        rate = f"{s.response_rate:.0%}" if s.response_rate is not None else "-"
        median = (f", answers in {s.median_response_minutes:.0f} min"
                  if s.median_response_minutes is not None else "")
        parts.append(f"{s.channel}: {s.answered}/{s.sent} answered ({rate}{median})")
    if history.satisfaction is not None:
        parts.append(f"satisfaction {history.satisfaction:.1f}/5")
    return " · ".join(parts) or "No messages sent yet"


class ContactHistoryTab(QWidget):
    """See the module docstring. `loads` counts finished loads (tests wait on it)."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.customer_id: UUID | None = None
        self.loads = 0
        self.tree = QTreeWidget()
        self.tree.setMinimumHeight(60)  # the profile's tab area stays compact at 1366x768
        self.tree.setHeaderLabels(HEADERS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        for i, width in enumerate(WIDTHS):
            self.tree.setColumnWidth(i, width)
        self.figures = QLabel()
        self.figures.setStyleSheet("color:#4a5162;")
        self.failures = QLabel()
        self.failures.setWordWrap(True)
        self.failures.setStyleSheet("color:#b3261e;")
        self.send_button = QPushButton("Send message…")
        self.call_button = QPushButton("Log call…")
        self.visit_button = QPushButton("Log visit…")
        self.verify_button = QPushButton("Verify phone by code…")
        self.send_button.clicked.connect(self.send_message)
        self.call_button.clicked.connect(lambda: self.log_contact("call"))
        self.visit_button.clicked.connect(lambda: self.log_contact("visit"))
        self.verify_button.clicked.connect(self.verify_phone)
        buttons = QHBoxLayout()
        for button in (self.send_button, self.call_button, self.visit_button,
                       self.verify_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.figures)
        layout.addWidget(self.failures)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.failures.hide()
        ops.bus.ops_did_execute.connect(self._on_changes)

    def load(self, customer_id: UUID) -> None:
        if customer_id != self.customer_id:
            self.tree.clear()
        self.customer_id = customer_id
        messaging = self.shop.messaging
        self.ops.query(self, lambda: messaging.history(customer_id),
                       lambda found: self._show(customer_id, found))

    def _show(self, customer_id: UUID, history: History) -> None:
        if customer_id != self.customer_id:
            return
        self.tree.clear()
        for m in history.entries:
            item = QTreeWidgetItem(entry_row(m))
            item.setData(0, Qt.ItemDataRole.UserRole, m.id)
            if m.last_error:
                item.setToolTip(4, m.last_error)
            if m.status in ("failed", "unknown"):
                for col in range(len(HEADERS)):
                    item.setForeground(col, QBrush(FAILED))
            self.tree.addTopLevelItem(item)
        self.figures.setText(figures_text(history))
        lines = [f"{f.channel} {(f.template or '').replace('_', ' ')}: {f.last_error}"
                 for f in history.failures[:3]]
        self.failures.setText("Not delivered — " + "; ".join(lines) if lines else "")
        self.failures.setVisible(bool(lines))
        self.loads += 1

    def _on_changes(self, changes: Changes) -> None:
        if self.customer_id is not None and (
                self.customer_id in changes.messages or self.customer_id in changes.customers
                or changes.remote):
            self.load(self.customer_id)

    # -- actions ---------------------------------------------------------------------------
    def send_message(self) -> None:
        if self.customer_id is None:
            return
        template = QComboBox()
        template.addItems(list(TEMPLATE_NAMES))
        channel = QComboBox()
        channel.addItems(["(preferred)", *SEND_CHANNELS])
        if not self._ask("Send a message", [("Message", template), ("Channel", channel)]):
            return
        customer, name = self.customer_id, template.currentText()
        chosen = channel.currentText() if channel.currentIndex() > 0 else None
        messaging = self.shop.messaging
        self.ops.write(self, lambda: messaging.send(customer, name, None, chosen),
                       changes=Changes(messages=frozenset({customer})))

    def log_contact(self, channel: str) -> None:
        if self.customer_id is None:
            return
        outcome = QComboBox()
        outcome.addItems([o for o in CALL_OUTCOMES if (o == "visited") == (channel == "visit")])
        note = QLineEdit()
        incoming = QComboBox()
        incoming.addItems(["We contacted them", "They contacted us"])
        title = "Log a phone call" if channel == "call" else "Log a visit"
        if not self._ask(title, [("Outcome", outcome), ("Note", note), ("Who", incoming)]):
            return
        customer, messaging = self.customer_id, self.shop.messaging
        what, text, way = outcome.currentText(), note.text(), (
            "in" if incoming.currentIndex() == 1 else "out")
        self.ops.write(self, lambda: messaging.log_contact(customer, channel, what, text, way),
                       changes=Changes(messages=frozenset({customer})))

    def _ask(self, title: str, rows: list[tuple[str, QWidget]]) -> bool:
        """A small modal form; True when staff press OK."""
        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        form = QFormLayout(dialog)
        for label, widget in rows:
            form.addRow(label, widget)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(dialog.accept)
        box.rejected.connect(dialog.reject)
        form.addRow(box)
        return dialog.exec() == QDialog.DialogCode.Accepted

    def verify_phone(self) -> None:
        """Send a code now; staff type what the customer reads out."""
        if self.customer_id is None:
            return
        customer, verification = self.customer_id, self.shop.verification

        def typed(_started: object) -> None:
            code, ok = QInputDialog.getText(self, "Verify phone",
                                            "Code the customer received (6 digits):")
            if ok and code.strip():
                self.ops.write(self, lambda: verification.confirm(customer, "phone", code),
                               self._confirmed,
                               changes=Changes(customers=frozenset({customer})))

        self.ops.write(self, lambda: verification.start(customer, "phone"), typed,
                       changes=Changes(messages=frozenset({customer})))

    def _confirmed(self, ok: bool) -> None:
        self.figures.setText("Phone verified" if ok else "Wrong code: ask again or send a new one")
