"""Shop → Messaging settings… (managers): each channel's settings, its secret (stored in the
OS keyring, never in the database) and a "Send test message" button; quiet hours, time
zone, fallback order. Saving goes through `settings.set_many` (the CLI's rules): all or
nothing, each bad field named under it.

Thread rule: GUI thread only; saves and test sends run through the TaskManager.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from shopdesk.errors import ValidationError
from shopdesk.services.messaging.config import SECRETS, secret, set_secret
from shopdesk.services.messaging.views import MessageView
from shopdesk.services.settings import CATALOGUE
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager

SECTIONS = [("WhatsApp", "whatsapp", "messaging.whatsapp."), ("SMS", "sms", "messaging.sms."),
            ("E-mail", "email", "messaging.email."), ("General", None, "messaging.")]
SECRET_LABELS = {"whatsapp": "Access token", "sms": "Auth token", "email": "SMTP password"}


def _label(key: str) -> str:
    return key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


class MessagingSettingsDialog(QDialog):
    """See the module docstring. Signals come from the buttons; `saved` text shows results."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.setWindowTitle("Messaging settings")
        self.resize(620, 460)
        values = shop.settings.all()
        self.fields: dict[str, QLineEdit] = {}
        self.secrets: dict[str, QLineEdit] = {}
        self.test_to: dict[str, QLineEdit] = {}
        self.results: dict[str, QLabel] = {}
        tabs = QTabWidget()
        for title, channel, prefix in SECTIONS:
            page = QWidget()
            form = QFormLayout(page)
            keys = [k for k in CATALOGUE if k.startswith(prefix)
                    and (channel is not None or k.count(".") == 1)]
            for key in keys:
                edit = QLineEdit(values.get(key, ""))
                edit.setToolTip(CATALOGUE[key].help)
                self.fields[key] = edit
                form.addRow(_label(key), edit)
            if channel is not None:
                hidden = QLineEdit()
                hidden.setEchoMode(QLineEdit.EchoMode.Password)
                stored = secret(channel)
                hidden.setPlaceholderText("stored" if stored else
                                          f"or set {SECRETS[channel][1]}")
                self.secrets[channel] = hidden
                form.addRow(SECRET_LABELS[channel], hidden)
                to = QLineEdit()
                to.setPlaceholderText("e-mail address" if channel == "email"
                                      else "+44… number")
                button = QPushButton("Send test message")
                button.clicked.connect(lambda _=False, c=channel: self.send_test(c))
                row = QHBoxLayout()
                row.addWidget(to, 1)
                row.addWidget(button)
                self.test_to[channel] = to
                form.addRow("Test to", row)
                result = QLabel()
                result.setWordWrap(True)
                self.results[channel] = result
                form.addRow("", result)
            tabs.addTab(page, title)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#b3261e;")
        save = QPushButton("Save")
        save.setDefault(True)
        save.clicked.connect(self.save)
        cancel = QPushButton("Close")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(save)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._initial = {k: e.text() for k, e in self.fields.items()}

    def changed(self) -> dict[str, str]:
        return {k: e.text() for k, e in self.fields.items() if e.text() != self._initial[k]}

    def save(self) -> None:
        try:
            for channel, edit in self.secrets.items():
                if edit.text():
                    set_secret(channel, edit.text())
                    edit.clear()
                    edit.setPlaceholderText("stored")
        except Exception as exc:  # no keyring: say so; the rest still saves
            self.error.setText(str(exc))
        values, settings = self.changed(), self.shop.settings
        if not values:
            return
        self.ops.write(self, lambda: settings.set_many(values), lambda _c: self._saved(values),
                       self._refused)

    def _saved(self, values: dict[str, str]) -> None:
        self._initial.update(values)
        self.error.setText("Saved.")

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.error.setText("\n".join(f"{e.field}: {e.message}" for e in exc.errors))
        else:
            self.error.setText(str(exc))

    def send_test(self, channel: str) -> None:
        to = self.test_to[channel].text().strip()
        if not to:
            self.results[channel].setText("Type where to send it.")
            return
        self.results[channel].setText("Sending…")
        messaging = self.shop.messaging
        self.ops.write(self, lambda: messaging.test_message(channel, to),
                       lambda view: self._tested(channel, view),
                       lambda exc: self.results[channel].setText(str(exc)))

    def _tested(self, channel: str, view: MessageView) -> None:
        self.results[channel].setText(
            "Sent." if view.status == "sent" else f"Not sent: {view.last_error}")
