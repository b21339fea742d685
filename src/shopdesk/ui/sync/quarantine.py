"""The sync panel's list of pulled rows this counter did not store (issue 10).

A row that breaks this counter's rules (or that the server marked deleted) is kept
out and listed here with the reason, so a manager sees it; a row stored but pointing
at a row this counter lacks is listed too. "Dismiss" takes an entry off the list (the
row stays out); a later good version of the row resolves its entry by itself.

Thread rule: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTreeWidgetItem

from shopdesk.sync.views import QuarantinedRow
from shopdesk.ui.common.widgets import ID_ROLE, Card, select_first, tree

KIND_TEXT = {"refused": "Not stored", "orphan": "Points nowhere"}


class QuarantineCard(Card):
    """Rows from the server this counter did not store; `dismiss(entry id)` is called
    for the selected entry when a supervisor or above presses Dismiss."""

    def __init__(self, tables: dict[str, str], dismiss: Callable[[int], None]) -> None:
        super().__init__("Rows from the server not stored here")
        self._tables, self._dismiss = tables, dismiss
        self._may: bool = False
        self.rows = tree(["Table", "What", "Reason"], [150, 170])
        self.rows.currentItemChanged.connect(lambda *_a: self.enable(self._may))
        self.body.addWidget(self.rows)
        row = QHBoxLayout()
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setAutoDefault(False)
        self.dismiss_button.clicked.connect(self._dismiss_selected)
        row.addWidget(self.dismiss_button)
        row.addStretch(1)
        self.body.addLayout(row)

    def fill(self, entries: list[QuarantinedRow], labels: dict[str, str]) -> None:
        """Show `entries`; `labels` names customers by code and name (hex id -> label)."""
        keep = self._selected()
        self.rows.clear()
        for q in entries:
            what = labels.get(q.row_id) or q.row_id[:8]
            item = QTreeWidgetItem([self._tables.get(q.table, q.table),
                                    f"{KIND_TEXT.get(q.kind, q.kind)}: {what}", q.reason])
            item.setData(0, ID_ROLE, q.id)
            item.setToolTip(2, q.reason)
            self.rows.addTopLevelItem(item)
            if q.id == keep:
                self.rows.setCurrentItem(item)
        select_first(self.rows)
        self.setVisible(bool(entries))

    def enable(self, may: bool) -> None:
        self._may = may
        self.dismiss_button.setEnabled(may and self.rows.currentItem() is not None)

    def _selected(self) -> int | None:
        item = self.rows.currentItem()
        value = item.data(0, ID_ROLE) if item is not None else None
        return value if isinstance(value, int) else None

    def _dismiss_selected(self) -> None:
        entry = self._selected()
        if entry is not None:
            self._dismiss(entry)
