"""The customer form's fields: which widget each one uses and how sections group them.

Thread rule: GUI thread only (these are widgets).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.choices import (
    BestTime,
    Channel,
    ContactMethod,
    CustomerType,
    Gender,
    Labelled,
)
from shopdesk.domain.phones import example_mobile
from shopdesk.ui.common.fmt import FIELD_LABELS, choice_label
from shopdesk.ui.common.widgets import ErrorLabel

# (key, title, fields, expanded at start). The first section is what a counter
# registration types (name, mobile, e-mail) plus the three choices with defaults;
# fields are in Tab order, left to right, then down.
SECTIONS: list[tuple[str, str, tuple[str, ...], bool]] = [
    ("required", "Customer", ("first_name", "last_name", "phone", "email",
                              "preferred_contact", "customer_type", "channel"), True),
    ("contact", "More contact details", ("secondary_phone", "whatsapp"), True),
    ("address", "Address", ("address_line1", "address_line2", "city", "region", "postcode",
                            "country"), False),
    ("personal", "Personal and business", ("company", "date_of_birth", "gender",
                                           "occupation"), False),
    ("preferences", "Preferences", ("best_time", "language", "marketing_opt_in",
                                    "service_notifications"), False),
    ("notes", "Notes", ("notes",), False),
]
CHOICES: dict[str, tuple[type[Labelled], bool]] = {
    "preferred_contact": (ContactMethod, False), "customer_type": (CustomerType, False),
    "channel": (Channel, False), "gender": (Gender, True), "best_time": (BestTime, False),
}
CHECKS = {"marketing_opt_in": "Agrees to marketing messages",
          "service_notifications": "Send repair status notifications"}
PLACEHOLDERS = {
    "email": "name@example.com",
    "date_of_birth": "YYYY-MM-DD", "language": "e.g. en, fr, pt-br",
    "secondary_phone": "optional, any phone", "whatsapp": "if different from mobile",
}
REQUIRED = {"first_name", "last_name", "phone"}


def phone_placeholder(region: str) -> str:
    """The mobile field's example: valid for the shop's region, as people there type
    it, and the same number with its country code ('e.g. 07400 123456 or +44 7400 123456')."""
    return (f"e.g. {example_mobile(region)} or "
            f"{example_mobile(region, international=True)}")


class FieldBox(QWidget):
    """Label, input and inline error label for one customer field."""

    changed = Signal()

    def __init__(self, name: str, region: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(3)
        title = FIELD_LABELS[name] + (" *" if name in REQUIRED else "")
        self.label = QLabel(title)
        self.label.setStyleSheet("color:#4a5162; font-weight:500;")
        self.input: QWidget
        if name in CHOICES:
            enum, optional = CHOICES[name]
            combo = QComboBox()
            if optional:
                combo.addItem("Not given", "")
            for member in enum:
                combo.addItem(choice_label(member), member.value)
            combo.currentIndexChanged.connect(self.changed)
            self.input = combo
        elif name in CHECKS:
            check = QCheckBox(CHECKS[name])
            check.toggled.connect(self.changed)
            self.input = check
            self.label.setText("")
        elif name == "notes":
            notes = QPlainTextEdit()
            notes.setFixedHeight(90)
            notes.setTabChangesFocus(True)
            notes.textChanged.connect(self.changed)
            self.input = notes
        else:
            line = QLineEdit()
            line.setPlaceholderText(phone_placeholder(region) if name == "phone"
                                    else PLACEHOLDERS.get(name, ""))
            if name == "country":
                line.setMaxLength(2)
                line.setPlaceholderText(f"two letters, e.g. {region}")
            line.textChanged.connect(self.changed)
            self.input = line
        self.input.setObjectName(f"field_{name}")
        self.error = ErrorLabel()
        if self.label.text():
            layout.addWidget(self.label)
        layout.addWidget(self.input)
        layout.addWidget(self.error)

    def value(self) -> str | bool:
        widget = self.input
        if isinstance(widget, QComboBox):
            return widget.currentData() or ""
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        assert isinstance(widget, QLineEdit)
        return widget.text()

    def set_value(self, value: object) -> None:
        widget = self.input
        if isinstance(widget, QComboBox):
            index = widget.findData(str(value or ""))
            widget.setCurrentIndex(max(index, 0))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QPlainTextEdit):
            widget.setPlainText(str(value or ""))
        else:
            assert isinstance(widget, QLineEdit)
            if isinstance(value, date):
                value = value.isoformat()
            widget.setText(str(value or ""))

    def set_error(self, message: str) -> None:
        self.error.show_message(message)
        self.input.setProperty("error", "true" if message else "false")
        self.input.style().unpolish(self.input)
        self.input.style().polish(self.input)


def build_section(names: tuple[str, ...], region: str) -> tuple[QGridLayout, dict[str, FieldBox]]:
    """Fields of one section in a two-column grid (notes span both columns)."""
    grid = QGridLayout()
    grid.setContentsMargins(4, 0, 4, 6)
    grid.setHorizontalSpacing(16)
    grid.setVerticalSpacing(2)
    grid.setColumnStretch(0, 1)
    grid.setColumnStretch(1, 1)
    boxes: dict[str, FieldBox] = {}
    for position, name in enumerate(names):
        box = FieldBox(name, region)
        boxes[name] = box
        if name == "notes":
            grid.addWidget(box, 0, 0, 1, 2)
        else:
            grid.addWidget(box, position // 2, position % 2, Qt.AlignmentFlag.AlignTop)
    return grid, boxes
