"""Shop → Message templates… (managers): the automated messages, each switched on or off,
with its delay and its text per language, and a live preview of what a customer gets.

Keyboard: arrows choose a template; Ctrl+S saves. Thread rule: GUI thread only; the
preview and the save run through the TaskManager.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.messaging.rules import PLACEHOLDERS
from shopdesk.errors import ValidationError
from shopdesk.services.messaging.views import TemplateView
from shopdesk.shop import Shop
from shopdesk.ui.common.taskman import TaskManager


class TemplatesDialog(QDialog):
    """See the module docstring. `previews` counts shown previews (tests wait on it)."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.previews = 0
        self.setWindowTitle("Message templates")
        self.resize(860, 480)
        self.views: list[TemplateView] = []
        self.names = QListWidget()
        self.names.setMinimumWidth(190)
        self.names.currentRowChanged.connect(self._choose)
        self.language = QLineEdit(shop.settings.get("shop.language"))
        self.language.setMaximumWidth(80)
        self.language.editingFinished.connect(self.reload)
        self.enabled = QCheckBox("Send automatically")
        self.delay = QSpinBox()
        self.delay.setRange(0, 60 * 24 * 90)
        self.delay.setSuffix(" min")
        self.subject = QLineEdit()
        self.body = QPlainTextEdit()
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.help.setStyleSheet("color:#4a5162;")
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setStyleSheet("background:#f4f6fa; border:1px solid #d5d9e2; "
                                   "padding:8px;")
        self.error = QLabel()
        self.error.setStyleSheet("color:#b3261e;")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Language", self.language)
        form.addRow("", self.enabled)
        form.addRow("Delay", self.delay)
        form.addRow("Subject", self.subject)
        form.addRow("Text", self.body)
        known = QLabel("Placeholders: " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
        known.setWordWrap(True)
        known.setStyleSheet("color:#4a5162;")
        form.addRow("", known)
        form.addRow("Preview", self.preview)
        save = QPushButton("Save")
        save.clicked.connect(self.save)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addWidget(save)
        buttons.addWidget(close)
        right = QVBoxLayout()
        right.addWidget(self.help)
        right.addLayout(form, 1)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.names, 1)
        layout.addLayout(right, 3)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.update_preview)
        self.subject.textChanged.connect(self._timer.start)
        self.body.textChanged.connect(self._timer.start)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save)
        self.reload()

    def reload(self) -> None:
        messaging, language = self.shop.messaging, self.language.text().strip() or None
        self.ops.query(self, lambda: messaging.templates(language), self._listed)

    def _listed(self, views: list[TemplateView]) -> None:
        row = max(self.names.currentRow(), 0)
        self.views = views
        self.names.blockSignals(True)
        self.names.clear()
        for v in views:
            self.names.addItem(v.name.replace("_", " ") + ("" if v.enabled else "  (off)"))
        self.names.blockSignals(False)
        self.names.setCurrentRow(min(row, len(views) - 1))
        self._choose(self.names.currentRow())

    def current(self) -> TemplateView | None:
        row = self.names.currentRow()
        return self.views[row] if 0 <= row < len(self.views) else None

    def _choose(self, _row: int) -> None:
        view = self.current()
        if view is None:
            return
        self.help.setText(f"{view.help} ({view.purpose}"
                          + (", edited)" if view.customized else ")"))
        self.enabled.setChecked(view.enabled)
        self.delay.setValue(view.delay_minutes)
        self.subject.setText(view.subject)
        self.body.setPlainText(view.body)
        self.error.clear()
        self.update_preview()

    def update_preview(self) -> None:
        view = self.current()
        if view is None:
            return
        messaging, subject, body = self.shop.messaging, self.subject.text(), \
            self.body.toPlainText()
        language = self.language.text().strip() or None

        def shown(result: tuple[str, str]) -> None:
            self.preview.setText(f"<b>{result[0]}</b><br>{result[1]}")
            self.error.clear()
            self.previews += 1

        def refused(exc: BaseException) -> None:
            self.error.setText(str(exc))
            self.previews += 1

        self.ops.query(self, lambda: messaging.preview(view.name, language, None, subject,
                                                       body), shown, refused)

    def save(self) -> None:
        view = self.current()
        if view is None:
            return
        messaging = self.shop.messaging
        language = self.language.text().strip() or view.language
        subject, body = self.subject.text(), self.body.toPlainText()
        enabled, delay = self.enabled.isChecked(), self.delay.value()
        self.ops.write(self, lambda: messaging.save_template(
            view.name, language, subject=subject, body=body, enabled=enabled,
            delay_minutes=delay), lambda _v: self.reload(), self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.error.setText(str(exc) if isinstance(exc, ValidationError) else f"Not saved: {exc}")
