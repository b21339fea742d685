"""The manager's audit trail browser: every record's history, filtered and paged.

Filters: who, what was done, on what kind of record, and a date range ("Any" at the
start of a date field means no bound). Newest first, 100 entries a page. The selected
entry's full detail (with sealed personal values opened, "(erased)" once the customer
was forgotten) shows below the list.

Keyboard: Alt+W/A/R/F/T reach the filters, Enter in a filter applies them, Alt+Left and
Alt+Right (or the Newer/Older buttons, Alt+N/Alt+O) page, arrows move in the list.
Opening the browser and each page read are themselves recorded in the trail.

Thread rule: GUI thread only; pages load on the read pool.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.services.audit import AuditFilter, AuditPage, AuditRecord
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import Heading, tree

PAGE = 100
ANY = "Any"
_FIRST = QDate(2000, 1, 1)


def _combo(choices: list[str]) -> QComboBox:
    box = QComboBox()
    box.setEditable(True)
    box.addItem(ANY, None)
    for value in choices:
        box.addItem(value, value)
    box.setCurrentIndex(0)
    return box


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setCalendarPopup(True)
    edit.setMinimumDate(_FIRST)
    edit.setSpecialValueText(ANY)  # shown at the minimum: no bound
    edit.setDate(_FIRST)
    return edit


class AuditBrowser(QDialog):
    """See the module docstring. GUI thread only."""

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop, self.ops = shop, ops
        self.offset, self.page = 0, AuditPage([], 0, 0)
        self.setWindowTitle("Audit trail")
        self.resize(1000, 640)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading("Audit trail", 16))
        filters = QGridLayout()
        self.actor, self.action, self.entity = _combo([]), _combo([]), _combo([])
        self.since, self.until = _date_edit(), _date_edit()
        for column, (text, widget) in enumerate((("&Who", self.actor),
                                                 ("&Action", self.action),
                                                 ("&Record", self.entity),
                                                 ("&From", self.since), ("&To", self.until))):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label, 0, column)
            filters.addWidget(widget, 1, column)
        self.apply_button = QPushButton("A&pply")
        self.apply_button.setProperty("primary", True)
        self.apply_button.clicked.connect(self.apply)
        filters.addWidget(self.apply_button, 1, 5)
        layout.addLayout(filters)
        self.table = tree(["#", "When", "Who", "Action", "Record", "Detail"],
                          [60, 150, 150, 160, 230, 300])  # "withdraw_consent" unclipped
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setSizes([420, 140])
        layout.addWidget(splitter, 1)
        pager = QHBoxLayout()
        self.summary = QLabel()
        self.newer = QPushButton("&Newer")
        self.older = QPushButton("&Older")
        self.newer.clicked.connect(lambda: self.go(self.offset - PAGE))
        self.older.clicked.connect(lambda: self.go(self.offset + PAGE))
        pager.addWidget(self.summary, 1)
        pager.addWidget(self.newer)
        pager.addWidget(self.older)
        layout.addLayout(pager)
        for keys, step in (("Alt+Left", -PAGE), ("Alt+Right", PAGE)):
            QShortcut(QKeySequence(keys), self).activated.connect(
                lambda s=step: self.go(self.offset + s))
        for box in (self.actor, self.action, self.entity):
            line = box.lineEdit()
            if line is not None:
                line.returnPressed.connect(self.apply)
        self.table.currentItemChanged.connect(self._show_detail)
        audit = shop.audit
        ops.query(self, audit.choices, self._fill_choices)
        self.apply()

    # -- filters -------------------------------------------------------------------------
    def _fill_choices(self, choices: dict[str, list[str]]) -> None:
        for box, name in ((self.actor, "actor"), (self.action, "action"),
                          (self.entity, "entity")):
            current = box.currentText()
            box.blockSignals(True)
            while box.count() > 1:
                box.removeItem(1)
            for value in choices.get(name, []):
                box.addItem(value, value)
            box.setCurrentText(current)
            box.blockSignals(False)

    def wanted(self) -> AuditFilter:
        def text(box: QComboBox) -> str | None:
            value = box.currentText().strip()
            return None if value in ("", ANY) else value

        def bound(edit: QDateEdit, extra: int) -> datetime | None:
            if edit.date() == _FIRST:
                return None
            picked = edit.date()
            day = date(picked.year(), picked.month(), picked.day()) + timedelta(days=extra)
            return datetime.combine(day, time()).astimezone(UTC)

        return AuditFilter(actor=text(self.actor), action=text(self.action),
                           entity=text(self.entity), since=bound(self.since, 0),
                           until=bound(self.until, 1))

    def apply(self) -> None:
        self.go(0)

    def go(self, offset: int) -> None:
        if offset < 0 or (offset and offset >= max(self.page.total, 1)):
            return
        wanted, audit = self.wanted(), self.shop.audit
        access = self.shop.access
        self.ops.query(self, lambda: audit.browse(wanted, offset, PAGE), self._show)
        access.record("view_list", "audit", "browser", {
            k: v for k, v in (("actor", wanted.actor), ("action", wanted.action),
                              ("entity", wanted.entity), ("offset", offset)) if v})

    # -- the page ------------------------------------------------------------------------
    def _show(self, page: AuditPage) -> None:
        self.page, self.offset = page, page.offset
        self.table.clear()
        for record in page.records:
            name = record.detail.get("code") or record.detail.get("number") or record.entity_id
            item = QTreeWidgetItem(self.table, [
                str(record.seq), fmt.local_time(record.at), record.actor, record.action,
                f"{record.entity} {name}", _short(record.detail)])
            item.setData(0, Qt.ItemDataRole.UserRole, record)
        first = self.table.topLevelItem(0)
        if first is not None:
            self.table.setCurrentItem(first)
        shown = len(page.records)
        self.summary.setText(f"Entries {page.offset + 1 if shown else 0}–"
                             f"{page.offset + shown} of {page.total:,}")
        self.newer.setEnabled(page.offset > 0)
        self.older.setEnabled(page.offset + shown < page.total)

    def _show_detail(self, item: QTreeWidgetItem | None) -> None:
        record: AuditRecord | None = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if record is None:
            self.detail.clear()
            return
        self.detail.setPlainText(
            f"#{record.seq}  {fmt.local_time(record.at)}  {record.actor}\n"
            f"{record.action} {record.entity} {record.entity_id}\n"
            + json.dumps(record.detail, indent=2, ensure_ascii=False, default=str))


def _short(detail: dict[str, Any]) -> str:
    parts = []
    for key, value in detail.items():
        if key in ("code", "number"):
            continue
        if key == "fields" and isinstance(value, dict):
            parts.append("changed " + ", ".join(value))
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)[:200]
