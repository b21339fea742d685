"""Shop settings in the window, for managers and owners (Shop → Settings…).

The shop's name, address, phone and logo; its currency and tax rate; the country
whose phone numbers may be typed without a country code; receipt paper and label
stock; how many days after intake a repair is promised. Saving goes through
`shop.settings.set_many` — the same rules as `shopdesk settings set` — with the
values staff changed: either all are stored, or none is and each bad field shows
its rule under it. While the address is blank a hint says receipts print without
it.

Keyboard: Enter (outside the address) or Ctrl+S saves, Esc cancels.
Thread rule: GUI thread only; reads and the save run through the TaskManager.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.phones import example_mobile
from shopdesk.errors import ValidationError
from shopdesk.services.settings import CATALOGUE
from shopdesk.shop import Shop
from shopdesk.ui.common.style import STYLE
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import ErrorLabel, Heading, mark_error, muted

# (section, [(key, label, choices or None)]); a key the catalogue lacks is skipped.
LAYOUT: list[tuple[str, list[tuple[str, str, dict[str, str] | None]]]] = [
    ("Shop", [("shop.name", "Shop name", None), ("shop.address", "Address", None),
              ("shop.phone", "Phone", None), ("shop.logo_path", "Logo", None)]),
    ("Money", [("shop.currency", "Currency", None), ("shop.tax_rate", "Tax rate (%)", None)]),
    ("Phones", [("phone.default_region", "Country", None)]),
    ("Printing", [
        ("print.receipt_paper", "Receipt paper",
         {"80mm": "80 mm roll", "a4": "A4 sheet", "letter": "Letter sheet"}),
        ("print.label_size", "Device labels",
         {"62x29mm": "62 x 29 mm (Brother)", "2.25x1.25in": "2.25 x 1.25 in (Dymo, Zebra)"})]),
    ("Repairs", [("repairs.promised_days", "Promised by (days)", None)]),
]
PLACEHOLDERS = {
    "shop.currency": "three letters, e.g. GBP, EUR, USD",
    "shop.tax_rate": "e.g. 20 or 8.5; 0 when prices carry no tax",
    "phone.default_region": "two letters, e.g. GB",
    "repairs.promised_days": "days from intake to the promised day, e.g. 3",
    "shop.logo_path": "PNG or JPEG; empty: none",
}
ADDRESS_HINT = "Receipts print without an address while this is blank."
_VERB_STARTS = ("is ", "must ", "cannot ")


def field_message(label: str, message: str) -> str:
    """'Tax rate (%) must be between 0 and 100', or the message as a sentence."""
    if message.startswith(_VERB_STARTS):
        return f"{label} {message}"
    return message[:1].upper() + message[1:]


class ShopSettingsDialog(QDialog):
    """Edit the shop's settings. GUI thread only.

    Signals: `loaded()` once the current values are shown, `saved()` after a save.
    """

    loaded = Signal()
    saved = Signal()

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.setWindowTitle("Shop settings")
        self.setStyleSheet(STYLE)
        self.resize(880, 430)
        self.stored: dict[str, str] = {}
        self.inputs: dict[str, QLineEdit | QPlainTextEdit | QComboBox] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.labels: dict[str, str] = {}
        self.address_hint = QLabel(ADDRESS_HINT)  # shown under the address while blank
        self.address_hint.setStyleSheet("color:#8a5300;")
        self.address_hint.setWordWrap(True)
        self.address_hint.hide()
        columns = QHBoxLayout()
        columns.setSpacing(32)
        for half in (LAYOUT[:1], LAYOUT[1:]):  # the shop itself | the rest
            form = QFormLayout()
            form.setVerticalSpacing(4)
            form.setHorizontalSpacing(12)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
            for title, fields in half:
                shown = [f for f in fields if f[0] in CATALOGUE]
                if shown:
                    form.addRow(Heading(title, 14))
                for key, label, choices in shown:
                    form.addRow(label, self._field(key, label, choices))
            column = QVBoxLayout()
            column.addLayout(form)
            column.addStretch(1)
            columns.addLayout(column, 1)
        self.general = ErrorLabel()
        self.save_button = QPushButton("Save  (Ctrl+S)")
        self.save_button.setProperty("primary", True)
        self.save_button.setDefault(True)  # Enter in a one-line field saves
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("Cancel  (Esc)")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.general, 1)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(muted("Printed on receipts, job sheets and labels, and used to check "
                               "what staff type. The same settings as `shopdesk settings`."))
        layout.addLayout(columns, 1)
        layout.addLayout(buttons)
        save_key = QShortcut(QKeySequence("Ctrl+S"), self)
        save_key.activated.connect(self.save)
        address = self.inputs.get("shop.address")
        if isinstance(address, QPlainTextEdit):
            address.textChanged.connect(self._address_changed)
        self.ready = False  # until the current values are read and shown
        self.save_button.setEnabled(False)
        settings = shop.settings
        ops.query(self, settings.all, self._show, self._failed)

    def _field(self, key: str, label: str, choices: dict[str, str] | None) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        widget: QLineEdit | QPlainTextEdit | QComboBox
        if choices is not None:
            combo = QComboBox()
            for value, caption in choices.items():
                combo.addItem(caption, value)
            widget = combo
        elif key == "shop.address":
            lines = QPlainTextEdit()
            lines.setTabChangesFocus(True)
            lines.setFixedHeight(84)
            lines.setPlaceholderText("as it should print, up to five lines")
            widget = lines
        else:
            widget = QLineEdit()
            widget.setPlaceholderText(PLACEHOLDERS.get(key, ""))
        widget.setObjectName(f"setting_{key}")
        widget.setToolTip(CATALOGUE[key].help)
        self.inputs[key], self.labels[key] = widget, label
        if key == "shop.logo_path":
            row = QHBoxLayout()
            row.addWidget(widget, 1)
            choose = QPushButton("Choose…")
            choose.clicked.connect(self.choose_logo)
            row.addWidget(choose)
            column.addLayout(row)
        else:
            column.addWidget(widget)
        if key == "shop.address":
            column.addWidget(self.address_hint)
        self.errors[key] = ErrorLabel()
        column.addWidget(self.errors[key])
        return box

    # -- values --------------------------------------------------------------------
    def _show(self, values: dict[str, str]) -> None:
        self.stored = values
        for key, widget in self.inputs.items():
            value = values.get(key, "")
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(value)))
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(value)
            else:
                widget.setText(value)
        phone = self.inputs["shop.phone"]
        if isinstance(phone, QLineEdit):  # an example valid for the shop's country
            region = values.get("phone.default_region", "GB")
            phone.setPlaceholderText(f"as it should print, e.g. {example_mobile(region)}")
        self._address_changed()
        self.ready = True
        self.save_button.setEnabled(True)
        self.inputs["shop.name"].setFocus()
        self.loaded.emit()

    def value(self, key: str) -> str:
        widget = self.inputs[key]
        if isinstance(widget, QComboBox):
            return str(widget.currentData())
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        return widget.text()

    def changed(self) -> dict[str, str]:
        """The values staff changed (compared with what was stored)."""
        return {key: self.value(key) for key in self.inputs
                if self.value(key).strip() != self.stored.get(key, "").strip()}

    def _address_changed(self) -> None:
        self.address_hint.setVisible(not self.value("shop.address").strip())

    def choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Logo for receipts", "",
                                              "Images (*.png *.jpg *.jpeg)")
        if path:
            widget = self.inputs["shop.logo_path"]
            assert isinstance(widget, QLineEdit)
            widget.setText(path)

    # -- saving --------------------------------------------------------------------
    def save(self) -> None:
        if not self.ready or not self.save_button.isEnabled():
            return  # still reading the values, or a save is under way
        self.clear_errors()
        changes = self.changed()
        if not changes:
            self.accept()
            return
        settings = self.shop.settings
        self.save_button.setEnabled(False)
        self.ops.write(self, lambda: settings.set_many(changes), self._saved, self._failed)

    def _saved(self, _changes: object) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(self.ready)
        if not isinstance(error, ValidationError):
            self.general.show_message(f"Not saved: {error}")
            return
        first = None
        for item in error.errors:
            label = self.labels.get(item.field, item.field)
            target = self.errors.get(item.field)
            if target is None:
                self.general.show_message(field_message(label, item.message))
                continue
            target.show_message(field_message(label, item.message))
            mark_error(self.inputs[item.field], True)
            first = first or self.inputs[item.field]
        self.general.show_message(self.general.text() or
                                  "Nothing was saved: correct the fields marked in red.")
        if first is not None:
            first.setFocus()

    def clear_errors(self) -> None:
        self.general.show_message("")
        for key, label in self.errors.items():
            label.show_message("")
            mark_error(self.inputs[key], False)
