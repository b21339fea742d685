"""Small shared widgets: badges, sections, error labels, headings, lists, id combos.

Thread rule: like every widget, create and use them on the GUI thread only.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from uuid import UUID

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLayout,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

ID_ROLE = Qt.ItemDataRole.UserRole + 1  # where list rows keep their record's id
BADGE_STYLES = {
    "ok": "background:#e3f4e8; color:#17663a; border:1px solid #9fd7b3;",
    "off": "background:#eef0f3; color:#5b6270; border:1px solid #d3d7de;",
    "warn": "background:#fdecea; color:#a3281c; border:1px solid #f0b4ad;",
    "info": "background:#e8f0fc; color:#1f4f99; border:1px solid #b5cbef;",
}


class Badge(QLabel):
    """A rounded coloured tag: 'ok' (green), 'off' (grey), 'warn' (red), 'info' (blue).

    Thread rule: GUI thread only.
    """

    def __init__(self, text: str = "", tone: str = "off", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.tone = tone
        self.set_tone(tone)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def set_tone(self, tone: str) -> None:
        self.tone = tone
        self.setStyleSheet(f"QLabel {{ {BADGE_STYLES[tone]} border-radius:9px;"
                           " padding:2px 10px; font-weight:600; }")

    def show_state(self, text: str, tone: str) -> None:
        self.setText(text)
        self.set_tone(tone)


class ErrorLabel(QLabel):
    """Red text under a field; hidden while empty. GUI thread only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(True)
        self.setStyleSheet("color:#b3261e; font-size:12px;")
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))


class Heading(QLabel):
    """A section title. GUI thread only."""

    def __init__(self, text: str, size: int = 15, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setStyleSheet(f"font-size:{size}px; font-weight:600; color:#1d2330;")


class Card(QFrame):
    """A white rounded panel with an optional title. GUI thread only."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 12, 14, 14)
        self.body.setSpacing(8)
        if title:
            self.body.addWidget(Heading(title, 14))


class CollapsibleSection(QWidget):
    """A titled section whose content shows or hides with a click. GUI thread only."""

    def __init__(self, title: str, expanded: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton(self)
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setObjectName("sectionToggle")
        self.toggle.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.content = QWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(4)
        layout.addWidget(self.toggle)
        layout.addWidget(self.content)
        self.toggle.toggled.connect(self.set_expanded)
        self.set_expanded(expanded)

    def set_expanded(self, expanded: bool) -> None:
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.content.setVisible(expanded)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()


def muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color:#6b7280;")
    label.setWordWrap(True)
    return label


def fill_with_scrolled(page: QWidget, content: QWidget) -> QScrollArea:
    """Make `content` the whole of `page`, scrolling vertically when it is taller."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields, not the frame
    scroll.setWidget(content)
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    return scroll


def field_with_error(form: QFormLayout, caption: str, widget: QWidget) -> ErrorLabel:
    """Add `widget` to `form` with a hidden error label under it; returns the label."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    error = ErrorLabel()
    layout.addWidget(error)
    form.addRow(caption, box)
    return error


def mark_error(widget: QWidget, on: bool) -> None:
    """Show `widget` with (or without) the red error frame of the style sheet."""
    widget.setProperty("error", "true" if on else "false")
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def tree(headers: list[str], widths: list[int]) -> QTreeWidget:
    """A flat, single-selection list with a header, as the profile tabs use."""
    view = QTreeWidget()
    view.setHeaderLabels(headers)
    view.setRootIsDecorated(False)
    view.setAlternatingRowColors(True)
    view.setUniformRowHeights(True)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    for column, width in enumerate(widths):
        view.setColumnWidth(column, width)
    return view


def tree_rows(view: QTreeWidget) -> list[QTreeWidgetItem]:
    """The top-level rows of a flat list, top to bottom."""
    return [item for i in range(view.topLevelItemCount())
            if (item := view.topLevelItem(i)) is not None]


def select_first(view: QTreeWidget) -> None:
    """Make the first row current when no row is (and the list is not empty)."""
    first = view.topLevelItem(0)
    if view.currentItem() is None and first is not None:
        view.setCurrentItem(first)


def tab_chain(widgets: Sequence[QWidget]) -> None:
    """Tab visits `widgets` in this order (each after the one before it)."""
    for first, second in pairwise(widgets):
        QWidget.setTabOrder(first, second)


def take_all(layout: QLayout) -> list[QWidget]:
    """Empty `layout`; returns the widgets it held (its stretches and spacers go)."""
    widgets = []
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widgets.append(widget)
    return widgets


def title_label(text: str = "") -> QLabel:
    heading = QLabel(text)
    heading.setStyleSheet("font-size:20px; font-weight:700; color:#111827;")
    return heading


# Combo boxes keep ids as text: QComboBox.findData cannot match Python UUID objects.
def combo_id(combo: QComboBox) -> UUID | None:
    """The UUID behind the combo's current item (None for an item without one)."""
    data = combo.currentData()
    return UUID(data) if data else None


def select_id(combo: QComboBox, value: UUID | None) -> bool:
    """Make the item for `value` current; False (and the first item) if it is absent."""
    index = combo.findData(str(value) if value is not None else "")
    combo.setCurrentIndex(max(0, index))
    return index >= 0
