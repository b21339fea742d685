"""The search page's filter bar: the advanced filters (spec 3.2) as plain controls.

`FilterBar` builds a `SearchFilters` from its controls each time one changes and
emits `changed(SearchFilters)` when the combination is valid. A bad date range
(from after to) shows an inline message instead and emits `invalid(str)`; the
search page then keeps its previous results.

Thread rule: GUI thread only. The bar never calls the core except the pure
`SearchFilters.validate()`; the search itself runs on the read pool.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from shopdesk.domain.choices import Channel, ContactMethod, CustomerType, Labelled
from shopdesk.errors import ValidationError
from shopdesk.search.filters import SearchFilters
from shopdesk.ui.common import fmt
from shopdesk.ui.common.widgets import ErrorLabel

ANY = "Any"
_RANGE_NAMES = {"registered": "Registered", "last_service": "Last service"}


def _enum_combo(enum: type[Labelled]) -> QComboBox:
    combo = QComboBox()
    combo.addItem(ANY, None)
    for member in enum:
        combo.addItem(fmt.choice_label(member), member.value)
    return combo


class DateBound(QWidget):
    """A date that may be unset: a checkbox ("from"/"to") enabling a QDateEdit.

    Thread rule: GUI thread only.
    """

    changed = Signal()

    def __init__(self, label: str, default: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox(label)
        self.edit = QDateEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("dd MMM yyyy")
        self.edit.setDate(QDate(default.year, default.month, default.day))
        self.edit.setEnabled(False)
        self._default = self.edit.date()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.check)
        layout.addWidget(self.edit)
        self.check.toggled.connect(self.edit.setEnabled)
        self.check.toggled.connect(self.changed)
        self.edit.dateChanged.connect(self._date_changed)

    def _date_changed(self, _day: QDate) -> None:
        if self.check.isChecked():
            self.changed.emit()

    def value(self) -> date | None:
        if not self.check.isChecked():
            return None
        chosen = self.edit.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def set_value(self, value: date | None) -> None:
        if value is not None:
            self.edit.setDate(QDate(value.year, value.month, value.day))
        self.check.setChecked(value is not None)

    def clear(self) -> None:
        self.check.setChecked(False)
        self.edit.setDate(self._default)


class FilterBar(QFrame):
    """Customer type, dates, service kind, location, contact, marketing, channel.

    Signals: `changed(SearchFilters)` for every valid change (including "Clear
    filters"), `invalid(str)` when the ranges do not make sense. `filters` is
    the last valid combination, `count` how many filters it sets (a date range
    counts once). Thread rule: GUI thread only.
    """

    changed = Signal(object)
    invalid = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self.setStyleSheet("QFrame#filterBar { background:#ffffff; border:1px solid #e1e4ea;"
                           " border-radius:8px; }"
                           "QDateEdit:disabled { color:#9aa1ad; }")
        self.filters = SearchFilters()
        self.valid = True
        self._quiet = False
        today = date.today()
        self.customer_type = _enum_combo(CustomerType)
        self.registered_from = DateBound("from", today - timedelta(days=365))
        self.registered_to = DateBound("to", today)
        self.last_service_from = DateBound("from", today - timedelta(days=90))
        self.last_service_to = DateBound("to", today)
        self.service_kind = QLineEdit()
        self.service_kind.setPlaceholderText("e.g. repair")
        self.location = QLineEdit()
        self.location.setPlaceholderText("City or postcode")
        self.location.setToolTip("A city or region (whole name), or the start of a postcode")
        self.preferred_contact = _enum_combo(ContactMethod)
        self.marketing = QComboBox()
        for text, value in ((ANY, None), ("Opted in", True), ("Opted out", False)):
            self.marketing.addItem(text, value)
        self.channel = _enum_combo(Channel)
        self.active_only = QCheckBox("Active only")
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.clicked.connect(self.clear)
        self.error = ErrorLabel()

        grid = QGridLayout(self)
        grid.setContentsMargins(12, 10, 12, 10)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)

        def pair(row: int, column: int, text: str, widget: QWidget, span: int = 1) -> None:
            label = QLabel(text)
            label.setStyleSheet("color:#4a5162;")
            label.setBuddy(widget)
            grid.addWidget(label, row, column)
            grid.addWidget(widget, row, column + 1, 1, span)

        # Three columns of label + control; the date ranges share the middle one.
        pair(0, 0, "Customer &type", self.customer_type)
        pair(0, 2, "&Registered", self._range(self.registered_from, self.registered_to))
        pair(0, 4, "&Marketing", self.marketing)
        pair(1, 0, "Service &kind", self.service_kind)
        pair(1, 2, "Last ser&vice", self._range(self.last_service_from,
                                                self.last_service_to))
        pair(1, 4, "Preferred &contact", self.preferred_contact)
        pair(2, 0, "&Location", self.location)
        pair(2, 2, "Re&gistered via", self.channel)
        grid.addWidget(self.active_only, 2, 4)
        grid.addWidget(self.clear_button, 2, 5, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.error, 3, 3, 1, 3)
        self.channel.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        for column in (1, 5):
            grid.setColumnStretch(column, 1)

        for combo in (self.customer_type, self.preferred_contact, self.marketing, self.channel):
            combo.currentIndexChanged.connect(self._update)
        for bound in (self.registered_from, self.registered_to, self.last_service_from,
                      self.last_service_to):
            bound.changed.connect(self._update)
        for edit in (self.service_kind, self.location):
            edit.textChanged.connect(self._update)
        self.active_only.toggled.connect(self._update)

    @staticmethod
    def _range(lo: DateBound, hi: DateBound) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        row.addWidget(lo)
        row.addWidget(hi)
        row.addStretch(1)
        return box

    # -- reading the controls -----------------------------------------------------
    def current(self) -> SearchFilters:
        """The controls as a SearchFilters (not validated)."""
        return SearchFilters(
            customer_type=self.customer_type.currentData(),
            registered_from=self.registered_from.value(),
            registered_to=self.registered_to.value(),
            last_service_from=self.last_service_from.value(),
            last_service_to=self.last_service_to.value(),
            service_kind=self.service_kind.text().strip() or None,
            location=self.location.text().strip() or None,
            preferred_contact=self.preferred_contact.currentData(),
            marketing_opt_in=self.marketing.currentData(),
            channel=self.channel.currentData(),
            active_only=self.active_only.isChecked(),
        )

    @property
    def count(self) -> int:
        return count_filters(self.filters)

    def _update(self) -> None:
        if self._quiet:
            return
        wanted = self.current()
        try:
            wanted.validate()
        except ValidationError as exc:
            self.valid = False
            message = "; ".join(_message(e.field, e.message) for e in exc.errors)
            self.error.show_message(message)
            self.invalid.emit(message)
            return
        was_valid, self.valid = self.valid, True
        self.error.show_message("")
        if wanted != self.filters or not was_valid:
            self.filters = wanted
            self.changed.emit(wanted)

    def clear(self) -> None:
        """Every control back to "any"; emits `changed` once if anything was set."""
        self._quiet = True
        try:
            for combo in (self.customer_type, self.preferred_contact, self.marketing,
                          self.channel):
                combo.setCurrentIndex(0)
            for bound in (self.registered_from, self.registered_to, self.last_service_from,
                          self.last_service_to):
                bound.clear()
            self.service_kind.clear()
            self.location.clear()
            self.active_only.setChecked(False)
        finally:
            self._quiet = False
        self._update()

    def focus_first(self) -> None:
        self.customer_type.setFocus(Qt.FocusReason.ShortcutFocusReason)


def _message(field: str, message: str) -> str:
    name = _RANGE_NAMES.get(field.removesuffix("_to").removesuffix("_from"))
    if name:
        return f"{name}: the “to” date is before the “from” date"
    return fmt.field_message(field, message)


def count_filters(f: SearchFilters) -> int:
    """How many filters `f` sets; each date range counts once."""
    return sum((
        f.customer_type is not None,
        f.registered_from is not None or f.registered_to is not None,
        f.last_service_from is not None or f.last_service_to is not None,
        bool(f.service_kind), bool(f.location), f.preferred_contact is not None,
        f.marketing_opt_in is not None, f.channel is not None, f.active_only,
    ))
