"""The condition checks at intake: each one Yes, No or Not tested, in one Tab stop.

Every check starts as Not tested, so a check nobody made never reads as a
fault. The chosen answer is highlighted in one neutral colour: "No" is good
news for "Screen cracked" and bad news for "Powers on". With the keyboard the
whole list is one stop in the Tab chain: Up and Down (or Left and Right
between the two columns) move between checks, Y, N and T answer the current
one and move on, Space cycles it. With the mouse, each answer is a button.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from shopdesk.domain.checklist import STANDARD, Check

ANSWERS = (Check.YES, Check.NO, Check.NOT_TESTED)
_KEYS = {Qt.Key.Key_Y: Check.YES, Qt.Key.Key_N: Check.NO, Qt.Key.Key_T: Check.NOT_TESTED}
STYLE = """
QFrame#checklist { border:1px solid #d3d7de; border-radius:6px; background:#ffffff; }
QFrame#checklist:focus { border:1px solid #4f7fd9; }
QWidget#checkRow[current="true"] { background:#e8f0fc; border-radius:4px; }
QPushButton[answer] { padding:1px 8px; min-height:20px; border:1px solid #c9ced8;
                      border-radius:4px; background:#f7f8fa; color:#4a5162; }
QPushButton[answer="yes"]:checked, QPushButton[answer="no"]:checked {
    background:#dbe7fb; color:#1f4f99; border-color:#7aa2e3; font-weight:600; }
QPushButton[answer="not_tested"]:checked { background:#eef0f3; color:#1d2330;
                                           border-color:#9aa1ad; }
"""


class _Row(QWidget):
    """One check: its name and three answer buttons (not Tab stops themselves)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkRow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.name = name
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(4)
        self.label = QLabel(name)
        layout.addWidget(self.label, 1)
        self.group = QButtonGroup(self)
        self.buttons: dict[Check, QPushButton] = {}
        for answer in ANSWERS:
            button = QPushButton(answer.label)
            button.setCheckable(True)
            button.setProperty("answer", answer.value)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.group.addButton(button)
            self.buttons[answer] = button
            layout.addWidget(button)
        self.buttons[Check.NOT_TESTED].setChecked(True)

    @property
    def answer(self) -> Check:
        return next(a for a, b in self.buttons.items() if b.isChecked())

    def set_answer(self, answer: Check) -> None:
        self.buttons[answer].setChecked(True)


class ChecklistEdit(QFrame):
    """The checks as one control; `values()` gives check -> "yes"/"no"/"not_tested".

    Signals: `changed()` whenever an answer changes.
    """

    changed = Signal()

    def __init__(self, items: Sequence[str] = STANDARD, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checklist")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setStyleSheet(STYLE)
        self.setToolTip("Up/Down to choose a check; Y, N or T to answer it (Space cycles)")
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(2)
        self.rows: list[_Row] = []
        self._half = (len(items) + 1) // 2
        for index, name in enumerate(items):
            row = _Row(name)
            row.group.buttonClicked.connect(lambda _b, i=index: self._clicked(i))
            row.group.buttonToggled.connect(self._toggled)
            self.rows.append(row)
            grid.addWidget(row, index % self._half, index // self._half)
        self.current = 0

    def _toggled(self, _button: object, on: bool) -> None:
        if on:
            self.changed.emit()

    # -- values ------------------------------------------------------------------
    def values(self) -> dict[str, str]:
        return {row.name: row.answer.value for row in self.rows}

    def set_values(self, values: Mapping[str, str]) -> None:
        for row in self.rows:
            try:
                row.set_answer(Check(values.get(row.name, Check.NOT_TESTED.value)))
            except ValueError:  # a note: shown where it is read, not edited here
                row.set_answer(Check.NOT_TESTED)

    def reset(self) -> None:
        for row in self.rows:
            row.set_answer(Check.NOT_TESTED)
        self._move_to(0)

    # -- keyboard ----------------------------------------------------------------
    def _move_to(self, index: int) -> None:
        self.current = max(0, min(len(self.rows) - 1, index))
        for i, row in enumerate(self.rows):
            row.setProperty("current", "true" if i == self.current and self.hasFocus()
                            else "false")
            row.style().unpolish(row)
            row.style().polish(row)

    def _clicked(self, index: int) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._move_to(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        row = self.rows[self.current]
        if key in _KEYS:
            row.set_answer(_KEYS[key])
            self._move_to(self.current + 1)
        elif key == Qt.Key.Key_Space:
            row.set_answer(ANSWERS[(ANSWERS.index(row.answer) + 1) % len(ANSWERS)])
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self._move_to(self.current + (1 if key == Qt.Key.Key_Down else -1))
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Left):
            self._move_to(self.current + (self._half if key == Qt.Key.Key_Right
                                          else -self._half))
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._move_to(self.current)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self._move_to(self.current)
