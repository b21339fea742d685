"""The tabs under a customer profile: documents and audit (repairs: `repair_tabs`).

Thread rule: GUI thread only; file opening and attaching go through the
TaskManager, the chosen file is read by the core on the writer thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shopdesk.domain.choices import DocumentKind
from shopdesk.services.audit import AuditRecord
from shopdesk.services.customers.customer_views import DocumentInfo
from shopdesk.shop import Shop
from shopdesk.ui.common import fmt
from shopdesk.ui.common.taskman import TaskManager
from shopdesk.ui.common.widgets import muted, tree_rows

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _tree(headers: list[str], widths: list[int]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    for column, width in enumerate(widths):
        tree.setColumnWidth(column, width)
    return tree


class AttachDialog(QDialog):
    """Kind and title for a file about to be attached."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Attach document")
        self.setMinimumWidth(420)
        form = QFormLayout(self)
        form.addRow("File", QLabel(path.name))
        self.kind = QComboBox()
        for kind in DocumentKind:
            self.kind.addItem(fmt.choice_label(kind), kind.value)
        self.title = QLineEdit(path.stem)
        form.addRow("Kind", self.kind)
        form.addRow("Title", self.title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class DocumentsTab(QWidget):
    """The customer's attached files; Attach… and Open. GUI thread only."""

    attached = Signal(object)  # DocumentInfo

    def __init__(self, shop: Shop, ops: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shop = shop
        self.ops = ops
        self.customer_id: UUID | None = None
        self.tree = _tree(["Title", "Kind", "File", "Size", "Added", "By"],
                          [220, 110, 200, 80, 140])
        self.tree.itemDoubleClicked.connect(lambda item, _col: self.open_document(
            item.data(0, ID_ROLE)))
        self.attach_button = QPushButton("Attach…")
        self.attach_button.clicked.connect(self.choose_and_attach)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self._open_selected)
        self.empty = muted("No documents yet. Attach ID scans, signed forms or photos.")
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty, 3)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.attach_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

    def set_documents(self, customer_id: UUID, documents: list[DocumentInfo]) -> None:
        self.customer_id = customer_id
        self.tree.clear()
        for doc in documents:
            item = QTreeWidgetItem([doc.title, fmt.label_of("kind", doc.kind), doc.filename,
                                    fmt.size(doc.size), fmt.local_time(doc.added_at),
                                    doc.added_by or fmt.DASH])
            item.setData(0, ID_ROLE, doc.id)
            self.tree.addTopLevelItem(item)
        self.empty.setVisible(not documents)
        self.open_button.setEnabled(bool(documents))

    def choose_and_attach(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(self, "Attach a document")
        if not name:
            return
        dialog = AttachDialog(Path(name), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.attach_file(Path(name), dialog.kind.currentData(), dialog.title.text())

    def attach_file(self, path: Path, kind: str, title: str) -> None:
        if self.customer_id is None:
            return
        customer_id, documents = self.customer_id, self.shop.documents
        self.ops.write(self, lambda: documents.attach(customer_id, path, kind, title),
                       lambda result: self.attached.emit(result[0]))

    def _open_selected(self) -> None:
        item = self.tree.currentItem() or self.tree.topLevelItem(0)
        if item is not None:
            self.open_document(item.data(0, ID_ROLE))

    def open_document(self, document_id: UUID) -> None:
        documents = self.shop.documents
        self.ops.query(self, lambda: documents.path_of(document_id),
                       lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


_ACTIONS = {"view": "Viewed", "create": "Registered", "update": "Edited",
            "deactivate": "Deactivated", "reactivate": "Reactivated", "verify": "Verified",
            "unverify": "Verification cleared", "id_check": "ID checked",
            "attach": "Document attached"}


def describe(record: AuditRecord) -> str:
    """One readable line for an audit entry's detail."""
    detail: dict[str, Any] = record.detail
    if record.action == "update" and "fields" in detail:
        parts = []
        for field, change in detail["fields"].items():
            old, new = [*change, None, None][:2] if isinstance(change, list) else (None, None)
            parts.append(f"{fmt.FIELD_LABELS.get(field, field)}: {fmt.text(old)} → "
                         f"{fmt.text(new)}")
        return "; ".join(parts)
    if record.action in ("verify", "unverify"):
        return str(detail.get("item", "")).capitalize()
    if record.action == "id_check":
        return f"{fmt.label_of('id_document_type', detail.get('type'))} "\
               f"ending {detail.get('last_digits', '')}"
    if record.action == "attach":
        return f"{fmt.label_of('kind', detail.get('kind'))}: {detail.get('filename', '')}"
    if record.action == "deactivate":
        return f"Reason: {detail.get('reason') or fmt.DASH}"
    return ""


class AuditTab(QWidget):
    """Who did what to this customer, newest first (READ_AUDIT roles only)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = _tree(["When", "Who", "Action", "Details"], [150, 150, 150])
        QVBoxLayout(self).addWidget(self.tree)

    def set_entries(self, entries: list[AuditRecord]) -> None:
        self.tree.clear()
        for record in entries:
            self.tree.addTopLevelItem(QTreeWidgetItem([
                fmt.local_time(record.at), record.actor,
                _ACTIONS.get(record.action, record.action.replace("_", " ").capitalize()),
                describe(record)]))

    def action_texts(self) -> list[str]:
        return [item.text(2) for item in tree_rows(self.tree)]
