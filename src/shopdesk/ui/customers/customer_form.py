"""The registration form, also used to edit a customer.

The fields a counter registration types first (name, mobile, e-mail and three
choices with defaults), then collapsible optional sections. Errors from
`ValidationError.errors` appear under their fields and focus moves to the first
one. Phone, e-mail and name changes trigger a debounced duplicate check whose
matches fill the "Possible existing customers" panel.

Keyboard: Tab goes through the fields in reading order, then Save, then Cancel.
Enter saves when the form is valid (Ctrl+S saves too); in a half-filled form
whose typed fields are fine, Enter moves to the next field still to fill
instead, and otherwise shows what is wrong. In Notes Enter is a new line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from itertools import pairwise
from typing import Any
from uuid import UUID

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from shopdesk.changes import Changes
from shopdesk.domain.customer_rules import CustomerInput, Policy, clean_customer
from shopdesk.errors import ValidationError
from shopdesk.services.customers.customer_views import CustomerProfile
from shopdesk.services.customers.customers import Saved
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.form_fields import SECTIONS, FieldBox, build_section
from shopdesk.ui.common.taskman import TaskManager, show_error
from shopdesk.ui.common.widgets import CollapsibleSection, ErrorLabel, Heading
from shopdesk.ui.customers.match_panel import MatchPanel

MATCH_DEBOUNCE_MS = 250
_WATCHED = ("phone", "email", "first_name", "last_name")  # in find_matches order


class CustomerForm(QWidget):
    """Register or edit a customer. GUI thread only; saves via `TaskManager.write`.

    Signals: `saved(UUID)` after a successful save, `cancelled()` on Esc/Cancel,
    `open_customer(UUID)` when staff choose an existing customer in the panel.
    """

    saved = Signal(object)
    cancelled = Signal()
    open_customer = Signal(object)
    matches_shown = Signal(int)

    def __init__(self, shop: Shop, ops: TaskManager, region: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop = shop
        self.ops = ops
        self.region = region
        self.editing: UUID | None = None
        self._match_seq = 0
        self._last_matches: list = []
        self.fields: dict[str, FieldBox] = {}
        self.sections: dict[str, CollapsibleSection] = {}
        self._section_of: dict[str, str] = {}

        self.title = Heading("Register a new customer", 20)
        self.general = ErrorLabel()
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 12, 0)
        column.setSpacing(6)
        for key, title, names, expanded in SECTIONS:
            grid, boxes = build_section(names, region)
            self.fields.update(boxes)
            for name in names:
                self._section_of[name] = key
            if key == "required":
                column.addWidget(Heading(title, 14))
                column.addLayout(grid)
                continue
            section = CollapsibleSection(title, expanded)
            section.content.setLayout(grid)
            self.sections[key] = section
            column.addWidget(section)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields
        self.scroll_area.setWidget(content)
        self.panel = MatchPanel(region)
        self.panel.open_customer.connect(self.open_customer)

        self.save_button = QPushButton("Save  (Ctrl+S)")
        self.save_button.setProperty("primary", True)
        self.save_button.setAutoDefault(True)
        self.save_button.clicked.connect(self.save)
        cancel = self.cancel_button = QPushButton("Cancel  (Esc)")
        cancel.setAutoDefault(True)  # Enter on a focused Cancel cancels (does not save)
        cancel.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.general, 3)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)

        body = QHBoxLayout()
        body.setSpacing(18)
        body.addWidget(self.scroll_area, 1)
        body.addWidget(self.panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 12)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)

        self._tab_order()
        self._policy: Policy | None = None  # the shop's rules, read when a form starts
        save_key = QShortcut(QKeySequence("Ctrl+S"), self)
        save_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save_key.activated.connect(self.save)
        self._match_timer = QTimer(self)
        self._match_timer.setSingleShot(True)
        self._match_timer.setInterval(MATCH_DEBOUNCE_MS)
        self._match_timer.timeout.connect(self.check_matches)
        for name in _WATCHED:
            self.fields[name].changed.connect(self._match_timer.start)
        ops.bus.ops_did_execute.connect(self._on_changes)
        self._load_policy()

    def _tab_order(self) -> None:
        """Fields in reading order, each section's toggle before its fields, then
        Save, then Cancel (the buttons sit at the bottom right, Cancel first)."""
        chain: list[QWidget] = []
        for key, _title, names, _expanded in SECTIONS:
            section = self.sections.get(key)
            if section is not None:
                chain.append(section.toggle)
            chain += [self.fields[name].input for name in names]
        chain += [self.save_button, self.cancel_button]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- starting ----------------------------------------------------------------
    def start_new(self) -> None:
        self.editing = None
        self.title.setText("Register a new customer")
        self._fill(CustomerInput())
        for key, section in self.sections.items():
            section.set_expanded(key == "contact")

    def start_edit(self, profile: CustomerProfile) -> None:
        self.editing = profile.summary.id
        self.title.setText(f"Edit {profile.summary.name}  ·  {profile.summary.code}")
        self._fill(profile.as_input())

    def _fill(self, data: CustomerInput) -> None:
        self._match_timer.stop()
        self._match_seq += 1
        for name, box in self.fields.items():
            box.set_value(getattr(data, name))
        self.clear_errors()
        self.panel.clear()
        self._last_matches = []
        self.save_button.setEnabled(True)
        self._match_timer.stop()
        self.fields["first_name"].input.setFocus()
        self._load_policy()

    def _on_changes(self, changes: Changes) -> None:
        if changes.settings:  # the region or a required field may have changed
            self._load_policy()

    def _load_policy(self, then: Callable[[], None] | None = None) -> None:
        """Read the shop's rules (region, required e-mail...) for Enter's check."""
        settings = self.shop.settings

        def loaded(policy: Policy) -> None:
            self._policy = policy
            if then is not None:
                then()

        self.ops.query(self, settings.policy, loaded)

    def values(self) -> CustomerInput:
        # One value per CustomerInput field: text for inputs and choices, bool for checks.
        given: dict[str, Any] = {name: box.value() for name, box in self.fields.items()}
        return CustomerInput(**given)

    # -- saving ------------------------------------------------------------------
    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        data = self.values()
        customers = self.shop.customers
        self.clear_errors()
        self.save_button.setEnabled(False)
        if self.editing is None:
            job = lambda: customers.register(data)  # noqa: E731
        else:
            editing, changes = self.editing, dataclasses.asdict(data)
            job = lambda: customers.update(editing, changes)  # noqa: E731
        self.ops.write(self, job, self._saved, self._failed)

    def _saved(self, result: Saved) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit(result.customer.id)

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.show_errors(error)
        else:
            show_error(self, error)

    def cancel(self) -> None:
        self._match_timer.stop()
        self.cancelled.emit()

    # -- Enter -------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Line edits, combo boxes and check boxes pass Enter up to here; Notes and
        # the buttons keep theirs (a new line; the focused button's click).
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
            return
        focused = QApplication.focusWidget()
        if isinstance(focused, QToolButton) and focused.objectName() == "sectionToggle":
            focused.toggle()  # Enter on a section's title opens or closes it
        else:
            self.enter()
        event.accept()

    def enter(self) -> None:
        """Save when the form is valid; else go to the next field still to fill,
        or (a typed value is wrong) show every error as Save does."""
        if self._policy is None:  # the rules are not read yet: check once they are
            self._load_policy(self.enter)
            return
        try:
            clean_customer(self.values(), self._policy, self.shop.store.clock().date())
        except ValidationError as error:
            names = list(self.fields)
            empty = {e.field for e in error.errors
                     if e.field in self.fields and self.fields[e.field].value() == ""}
            here = self._focused_field()
            after = names.index(here) if here in names else -1
            later = [n for n in names[after + 1:] if n in empty]
            if len(empty) == len(error.errors) and here not in empty and later:
                self._focus_field(later[0])
                return
            self.clear_errors()
            self.show_errors(error)
            return
        self.save()

    def _focused_field(self) -> str | None:
        focused = QApplication.focusWidget()
        return next((name for name, box in self.fields.items()
                     if focused is not None and box.isAncestorOf(focused)), None)

    def _focus_field(self, name: str) -> None:
        section = self.sections.get(self._section_of[name])
        if section is not None:
            section.set_expanded(True)
        self.fields[name].input.setFocus()
        self.scroll_area.ensureWidgetVisible(self.fields[name])

    # -- errors ------------------------------------------------------------------
    def clear_errors(self) -> None:
        self.general.show_message("")
        for box in self.fields.values():
            box.set_error("")

    def show_errors(self, error: ValidationError) -> None:
        other = []
        for item in error.errors:
            box = self.fields.get(item.field)
            message = fmt.field_message(item.field, item.message)
            if box is None:
                other.append(message)
            elif not box.error.text():
                box.set_error(message)
        self.general.show_message("Please correct the fields marked in red."
                                  + ("  " + "  ".join(other) if other else ""))
        in_error = [n for n in self.fields if self.fields[n].error.text()]
        for name in in_error:  # open every section that hides an error
            section = self.sections.get(self._section_of[name])
            if section is not None:
                section.set_expanded(True)
        first = in_error[0] if in_error else None
        if first is not None:
            self.fields[first].input.setFocus()
            self.scroll_area.ensureWidgetVisible(self.fields[first])
        holders = [UUID(e.ref) for e in error.errors if e.rule == "unique" and e.ref]
        if holders:
            self._show_holders(holders, {UUID(e.ref): e.field for e in error.errors
                                         if e.rule == "unique" and e.ref})

    def _show_holders(self, ids: list[UUID], fields: dict[UUID, str]) -> None:
        customers = self.shop.customers

        def shown(rows: list) -> None:
            holders = [(s, (f"holds this {'e-mail' if fields[s.id] == 'email' else 'phone'}",))
                       for s in rows]
            rest = [m for m in self._last_matches if m[0].id not in fields]
            self.panel.show_matches(holders + rest)
            self.matches_shown.emit(len(holders) + len(rest))

        self.ops.query(self, lambda: customers.summaries(ids), shown)

    # -- duplicate check ---------------------------------------------------------
    def check_matches(self) -> None:
        self._match_timer.stop()
        self._match_seq += 1
        seq = self._match_seq
        phone, email, first, last = (str(self.fields[name].value()) for name in _WATCHED)
        exclude, customers = self.editing, self.shop.customers
        self.ops.query(self, lambda: customers.find_matches(
            exclude=exclude, phone=phone, email=email, first_name=first, last_name=last),
                       lambda found: self._show_matches(seq, found))

    def _show_matches(self, seq: int, found: list) -> None:
        if seq != self._match_seq:
            return
        self._last_matches = [(m.customer, m.reasons) for m in found]
        self.panel.show_matches(self._last_matches)
        self.matches_shown.emit(len(found))
