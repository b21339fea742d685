"""Suggestions under the search box: up to five "Name · phone · code" lines.

A `QCompleter` (unfiltered popup, model = `QStringListModel`) attached to the
box with `setWidget` only, so it never rewrites what staff typed. The hits come
from `shop.search(text, 5, filters)`, run by the search page on the read pool
together with the table's query; `show_hits` is called with them on the GUI
thread.

What Enter opens is always on screen and highlighted: while the popup is open
one suggestion is always highlighted (the table's current customer when it is
among them, else the first, and the table then selects that customer too), and
Enter opens it. Up/Down/PageUp/PageDown move in the results table and the
highlight follows; moving to a customer who is not among the suggestions closes
the popup, so the table row Enter now opens is no longer hidden under it. Esc
closes the popup until the text changes. A click opens that suggestion.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import shiboken6
from PySide6.QtCore import (
    QAbstractProxyModel,
    QEvent,
    QModelIndex,
    QObject,
    QStringListModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QLineEdit

from shopdesk.search.engine import Hit
from shopdesk.ui.common import fmt

MAX_SUGGESTIONS = 5
NAV_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}
_ENTER_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter}


def suggestion_text(hit: Hit, region: str) -> str:
    """What one suggestion line says: 'Jürgen Müller · +49 1512 3456789 · C-000123'."""
    parts = [hit.name.strip() or fmt.DASH]
    if hit.company:
        parts[0] += f" ({hit.company})"
    if hit.phone:
        parts.append(fmt.phone(hit.phone, region))
    parts.append(hit.code)
    return " · ".join(parts)


class Suggestions(QObject):
    """The popup list of suggestions for `box`. GUI thread only.

    `chosen(UUID)` is emitted when staff click a suggestion or press Enter on
    a highlighted one. `on_nav(key)` and `on_enter()` are the page's own
    handlers for the keys the popup would otherwise swallow.
    """

    chosen = Signal(object)

    def __init__(self, box: QLineEdit, region: str, on_nav: Callable[[int], None],
                 on_enter: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.box = box
        self.region = region
        self._on_nav = on_nav
        self._on_enter = on_enter
        self.ids: list[UUID] = []
        self._dismissed_for: str | None = None  # the text Esc closed the popup on
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(MAX_SUGGESTIONS)
        self.completer.setWidget(box)
        # The QModelIndex overload of activated (the default one passes the text); the
        # stubs do not declare SignalInstance.__getitem__, which picks an overload.
        self.completer.activated[QModelIndex].connect(self._activated)  # type: ignore[index]
        popup = self.completer.popup()
        if popup is None:  # never: QCompleter makes its list view when first asked
            raise RuntimeError("QCompleter has no popup")
        self.popup: QAbstractItemView = popup
        self.popup.setObjectName("suggestions")
        self.popup.setStyleSheet(
            "QListView#suggestions { background:#ffffff; border:1px solid #c9ced8;"
            " font-size:14px; padding:2px; }"
            "QListView#suggestions::item { padding:6px 8px; }"
            "QListView#suggestions::item:selected { background:#dbe7fb; color:#1d2330; }")
        self.popup.installEventFilter(self)  # after the completer's: runs first

    # -- showing ------------------------------------------------------------------
    @property
    def visible(self) -> bool:
        # The popup dies with the completer; the page may still ask while closing.
        return shiboken6.isValid(self.popup) and self.popup.isVisible()

    def lines(self) -> list[str]:
        return self.model.stringList()

    def show_hits(self, hits: list[Hit], current: UUID | None = None,
                  lines: list[str] | None = None) -> UUID | None:
        """Replace the suggestions; the popup opens only while the box has focus.

        Highlights `current` (the table's customer) when it is a suggestion,
        else the first one; returns the highlighted customer (None: popup closed).
        `lines` are the hits' `suggestion_text`s when the caller made them already
        (off the GUI thread).
        """
        hits = hits[:MAX_SUGGESTIONS]
        self.ids = [hit.id for hit in hits]
        if lines is None or len(lines) < len(hits):
            lines = [suggestion_text(hit, self.region) for hit in hits]
        self.model.setStringList(lines[:len(hits)])
        if (not hits or not self.box.hasFocus() or not self.box.isVisible()
                or self.box.text() == self._dismissed_for):
            self.hide()
            return None
        self.completer.complete()
        chosen = current if current in self.ids else self.ids[0]
        self._highlight(chosen)
        return chosen

    def hide(self) -> None:
        if self.visible:
            self.popup.hide()

    def dismiss(self) -> None:
        """Esc: close, and stay closed until staff change the text."""
        self._dismissed_for = self.box.text()
        self.hide()

    # -- the highlighted suggestion -----------------------------------------------
    def clear_highlight(self) -> None:
        if shiboken6.isValid(self.popup):
            self.popup.setCurrentIndex(QModelIndex())

    def highlighted(self) -> UUID | None:
        """The suggestion staff highlighted, if the popup is open and one is."""
        if not self.visible:
            return None
        index = self.popup.currentIndex()
        if not index.isValid():
            return None
        return self._id_of(index)

    def follow(self, customer_id: UUID | None) -> None:
        """Highlight `customer_id` if it is a suggestion; else close the popup, which
        would hide the table row that Enter now opens."""
        if not self.visible:
            return
        if customer_id in self.ids:
            self._highlight(customer_id)
        else:
            self.hide()

    def _highlight(self, customer_id: UUID) -> None:
        source = self.model.index(self.ids.index(customer_id), 0)
        proxy = self.completer.completionModel()
        index = proxy.mapFromSource(source) if isinstance(proxy, QAbstractProxyModel) else source
        self.popup.setCurrentIndex(index)
        self.popup.scrollTo(index)

    def _id_of(self, index: QModelIndex) -> UUID | None:
        proxy = self.completer.completionModel()
        row = (proxy.mapToSource(index).row()
               if isinstance(proxy, QAbstractProxyModel) else index.row())
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def _activated(self, index: QModelIndex) -> None:
        customer_id = self._id_of(index)
        self.hide()
        if customer_id is not None:
            self.chosen.emit(customer_id)

    # -- keys the popup receives while open ----------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # PySide6 hands key events over as QKeyEvent, so isinstance narrows the type.
        if watched is self.popup and isinstance(event, QKeyEvent) \
                and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in NAV_KEYS:
                self._on_nav(key)
                return True
            if key in _ENTER_KEYS:
                self._on_enter()  # the page opens highlighted() or its own choice
                return True
            if key == Qt.Key.Key_Escape:
                self.dismiss()
                return True
        return super().eventFilter(watched, event)
